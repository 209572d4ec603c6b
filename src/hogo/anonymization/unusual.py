"""Unusual descriptions (特異な記述, PPC rule 34 item 4): find them, then code or remove them.

Why in the engine: rare values are found with one GROUP BY per column and extreme numbers with
one quantile query, so detection costs a few scans, never a Python loop over records. Reports
carry counts per column only, never the values themselves.

- ``topcode``: numbers above the upper quantile become that quantile (and below the lower one,
  the lower one): top/bottom coding keeps the record but hides the extreme.
- ``suppress``: records holding a value seen fewer than ``min_count`` times in any of the
  checked columns are removed before generalisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import pyarrow as pa
from pydantic import BaseModel

from hogo.engines.base import SqlEngine
from hogo.errors import InputError


class UnusualMode(StrEnum):
    none = "none"
    topcode = "topcode"
    suppress = "suppress"


class ColumnFinding(BaseModel):
    column: str
    rare_values: int
    rare_records: int
    coded_low: int = 0
    coded_high: int = 0


class UnusualReport(BaseModel):
    mode: UnusualMode
    min_count: int
    quantiles: tuple[float, float]
    findings: list[ColumnFinding]
    removed_records: int


def is_numeric(engine: SqlEngine, table: str, column: str) -> bool:
    sample: pa.Table = engine.query(f"SELECT {engine.ident(column)} FROM {engine.ident(table)} LIMIT 0")
    kind = sample.schema.field(0).type
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


def is_integer(engine: SqlEngine, table: str, column: str) -> bool:
    sample: pa.Table = engine.query(f"SELECT {engine.ident(column)} FROM {engine.ident(table)} LIMIT 0")
    return bool(pa.types.is_integer(sample.schema.field(0).type))


def treat_unusual(
    engine: SqlEngine,
    source: str,
    target: str,
    columns: Sequence[str],
    *,
    mode: UnusualMode,
    min_count: int,
    quantiles: tuple[float, float] = (0.01, 0.99),
    carry: Sequence[str] | None = None,
    rows: int | None = None,
) -> UnusualReport:
    """Create ``target`` from ``source`` with unusual values treated; report counts per column.

    ``carry`` names the columns ``target`` keeps (all by default), so treating and projecting the
    input is one copy; ``rows`` is the row count of ``source`` when the caller knows it. Each kind
    of measurement is one statement for all columns, not one per column.
    """
    low_q, high_q = quantiles
    if not 0 <= low_q < high_q <= 1:
        raise InputError("分位点の指定が不正です。", "invalid quantiles", field="quantiles")
    e, d = engine, engine.dialect
    src = e.ident(source)
    carried = list(carry) if carry is not None else e.columns(source)
    select: dict[str, str] = {c: e.ident(c) for c in carried}
    findings = [ColumnFinding(column=c, rare_values=0, rare_records=0) for c in columns]
    create_params: dict[str, object] = {}
    _count_rare(e, src, columns, min_count, findings)
    if mode == UnusualMode.topcode and columns:
        _topcode(e, src, columns, quantiles, findings, select, create_params)
    rare_filters: list[str] = []
    if mode == UnusualMode.suppress:
        for column in columns:
            col = e.ident(column)
            rare = (
                f"SELECT {col} AS v FROM {src} WHERE {col} IS NOT NULL GROUP BY {col} "
                f"HAVING COUNT(*) < {d.param('min_count')}"
            )
            rare_filters.append(f"({col} IS NULL OR {col} NOT IN ({rare}))")
            create_params["min_count"] = min_count
    where = (" WHERE " + " AND ".join(rare_filters)) if rare_filters else ""
    e.create_table_as(target, f"SELECT {', '.join(select.values())} FROM {src}{where}", create_params or None)
    removed = (e.count(source) if rows is None else rows) - e.count(target)
    return UnusualReport(
        mode=mode, min_count=min_count, quantiles=quantiles, findings=findings, removed_records=removed
    )


def _count_rare(
    e: SqlEngine, src: str, columns: Sequence[str], min_count: int, findings: list[ColumnFinding]
) -> None:
    """Count, per column, the values held by fewer than `min_count` records and their records
    (one statement for all columns)."""
    if not columns:
        return
    d = e.dialect
    parts, count_params = [], {"min_count": min_count}
    for i, column in enumerate(columns):
        count_params[f"i{i}"] = i
        parts.append(
            f"SELECT CAST({d.param(f'i{i}')} AS INTEGER) AS i, CAST(COUNT(*) AS BIGINT) AS v, "
            f"CAST(COALESCE(SUM(c), 0) AS BIGINT) AS r FROM (SELECT COUNT(*) AS c FROM {src} "
            f"GROUP BY {e.ident(column)}) AS g{i} WHERE c < {d.param('min_count')}"
        )
    for r in e.query(" UNION ALL ".join(parts), count_params).to_pylist():
        findings[int(r["i"])].rare_values = int(r["v"])
        findings[int(r["i"])].rare_records = int(r["r"])


def _topcode(
    e: SqlEngine,
    src: str,
    columns: Sequence[str],
    quantiles: tuple[float, float],
    findings: list[ColumnFinding],
    select: dict[str, str],
    create_params: dict[str, object],
) -> None:
    """Top- and bottom-code the numeric columns at the quantiles: count the values beyond them
    and clamp them in the `select` list (with their bounds in `create_params`)."""
    d = e.dialect
    low_q, high_q = quantiles
    params: dict[str, object] = {}
    schema = e.query(f"SELECT {', '.join(e.ident(c) for c in columns)} FROM {src} LIMIT 0").schema
    numeric = [
        (i, c, pa.types.is_integer(schema.field(i).type))
        for i, c in enumerate(columns)
        if _is_number(schema.field(i).type)
    ]
    if numeric:
        quantile_sql = ", ".join(
            f"percentile_disc({d.param('lo')}) WITHIN GROUP (ORDER BY {e.ident(c)}) AS lo{i}, "
            f"percentile_disc({d.param('hi')}) WITHIN GROUP (ORDER BY {e.ident(c)}) AS hi{i}"
            for i, c, _ in numeric
        )
        bounds = e.query(f"SELECT {quantile_sql} FROM {src}", {"lo": low_q, "hi": high_q}).to_pylist()[0]
        for i, _, integral in numeric:
            for key in (f"lo{i}", f"hi{i}"):
                # Some engines return quantiles as doubles; keep integer columns integer.
                value = bounds[key]
                params[key] = int(value) if integral and value is not None else value
        coded_sql = []
        for i, column, _ in numeric:
            col, lo, hi = e.ident(column), d.param(f"lo{i}"), d.param(f"hi{i}")
            coded_sql.append(f"CAST(SUM(CASE WHEN {col} < {lo} THEN 1 ELSE 0 END) AS BIGINT) AS l{i}")
            coded_sql.append(f"CAST(SUM(CASE WHEN {col} > {hi} THEN 1 ELSE 0 END) AS BIGINT) AS h{i}")
        coded = e.query(f"SELECT {', '.join(coded_sql)} FROM {src}", params).to_pylist()[0]
        for i, column, _ in numeric:
            findings[i].coded_low = int(coded[f"l{i}"] or 0)
            findings[i].coded_high = int(coded[f"h{i}"] or 0)
            if column in select:
                create_params[f"lo{i}"], create_params[f"hi{i}"] = params[f"lo{i}"], params[f"hi{i}"]
                col, lo, hi = e.ident(column), d.param(f"lo{i}"), d.param(f"hi{i}")
                clamp = f"CASE WHEN {col} < {lo} THEN {lo} WHEN {col} > {hi} THEN {hi} ELSE {col} END"
                select[column] = f"{clamp} AS {col}"


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))
