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
) -> UnusualReport:
    """Create ``target`` from ``source`` with unusual values treated; report counts per column."""
    low_q, high_q = quantiles
    if not 0 <= low_q < high_q <= 1:
        raise InputError("分位点の指定が不正です。", "invalid quantiles", field="quantiles")
    e, d = engine, engine.dialect
    src = e.ident(source)
    findings: list[ColumnFinding] = []
    select: dict[str, str] = {c: e.ident(c) for c in e.columns(source)}
    rare_filters: list[str] = []
    params: dict[str, object] = {}
    for i, column in enumerate(columns):
        col = e.ident(column)
        counts = e.query(
            f"SELECT CAST(COUNT(*) AS BIGINT) AS v, CAST(COALESCE(SUM(c), 0) AS BIGINT) AS r FROM "
            f"(SELECT COUNT(*) AS c FROM {src} GROUP BY {col}) AS g WHERE c < {d.param('min_count')}",
            {"min_count": min_count},
        ).to_pylist()[0]
        finding = ColumnFinding(column=column, rare_values=int(counts["v"]), rare_records=int(counts["r"]))
        if mode == UnusualMode.topcode and is_numeric(e, source, column):
            bounds = e.query(
                f"SELECT percentile_disc({d.param('lo')}) WITHIN GROUP (ORDER BY {col}) AS lo, "
                f"percentile_disc({d.param('hi')}) WITHIN GROUP (ORDER BY {col}) AS hi FROM {src}",
                {"lo": low_q, "hi": high_q},
            ).to_pylist()[0]
            if is_integer(e, source, column):
                # Some engines return quantiles as doubles; keep integer columns integer.
                bounds = {key: None if v is None else int(v) for key, v in bounds.items()}
            lo_name, hi_name = f"lo{i}", f"hi{i}"
            params[lo_name], params[hi_name] = bounds["lo"], bounds["hi"]
            coded = e.query(
                f"SELECT CAST(SUM(CASE WHEN {col} < {d.param('lo')} THEN 1 ELSE 0 END) AS BIGINT) AS l, "
                f"CAST(SUM(CASE WHEN {col} > {d.param('hi')} THEN 1 ELSE 0 END) AS BIGINT) AS h FROM {src}",
                {"lo": bounds["lo"], "hi": bounds["hi"]},
            ).to_pylist()[0]
            finding.coded_low, finding.coded_high = int(coded["l"] or 0), int(coded["h"] or 0)
            select[column] = (
                f"CASE WHEN {col} < {d.param(lo_name)} THEN {d.param(lo_name)} "
                f"WHEN {col} > {d.param(hi_name)} THEN {d.param(hi_name)} ELSE {col} END AS {col}"
            )
        elif mode == UnusualMode.suppress:
            rare = (
                f"SELECT {col} AS v FROM {src} WHERE {col} IS NOT NULL GROUP BY {col} "
                f"HAVING COUNT(*) < {d.param('min_count')}"
            )
            rare_filters.append(f"({col} IS NULL OR {col} NOT IN ({rare}))")
            params["min_count"] = min_count
        findings.append(finding)
    where = (" WHERE " + " AND ".join(rare_filters)) if rare_filters else ""
    e.create_table_as(target, f"SELECT {', '.join(select.values())} FROM {src}{where}", params or None)
    removed = e.count(source) - e.count(target)
    return UnusualReport(
        mode=mode, min_count=min_count, quantiles=quantiles, findings=findings, removed_records=removed
    )
