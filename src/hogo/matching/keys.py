"""Turn the identifier columns of a table into match tokens, with a report of unusable values.

Why one function for both sides: the partner runs ``hogo tokenize`` on its customers and we run
the release on our members; both must normalise and tokenise identically or nothing matches. The
output holds tokens only (plus row numbers and any column the caller chose to keep), never the
raw identifiers. Unusable values are counted and reported by row number, never by content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from hogo.engines import SqlEngine
from hogo.matching.normalize import EmailRules, NormalizedColumn, normalize_email_array, normalize_phone_array
from hogo.matching.tokens import TokenKey

#: How many invalid row numbers a report lists (the count is always complete).
MAX_LISTED_ROWS = 100
ROW_COLUMN = "row"


class KeyKind(StrEnum):
    email = "email"
    phone = "phone"


class FieldReport(BaseModel):
    """What happened to one identifier column: counts, and the rows that could not be used."""

    model_config = ConfigDict(frozen=True)

    field: str
    kind: KeyKind
    rows: int
    valid: int
    missing: int
    invalid: int
    invalid_rows: list[int]
    slow_path_rows: int = 0


def token_column(field: str) -> str:
    """The name of the token column made from identifier column ``field``."""
    return f"{field}_token"


def normalize_field(
    values: pa.Array | pa.ChunkedArray, kind: KeyKind, rules: EmailRules | None = None, region: str = "JP"
) -> NormalizedColumn:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    if kind is KeyKind.email:
        return normalize_email_array(values, rules)
    return normalize_phone_array(values, region)


def field_report(field: str, kind: KeyKind, result: NormalizedColumn, row_offset: int) -> FieldReport:
    listed = result.invalid_rows.slice(0, MAX_LISTED_ROWS).to_pylist()
    return FieldReport(
        field=field,
        kind=kind,
        rows=len(result.values),
        valid=result.valid,
        missing=result.missing,
        invalid=result.invalid,
        invalid_rows=[int(i) + row_offset for i in listed],
        slow_path_rows=result.fallback_rows,
    )


def tokenize_table(
    table: pa.Table,
    key: TokenKey,
    fields: Mapping[str, KeyKind],
    *,
    keep: Sequence[str] = (),
    rules: EmailRules | None = None,
    region: str = "JP",
    row_offset: int = 1,
    with_row_numbers: bool = True,
    engine: SqlEngine | None = None,
) -> tuple[pa.Table, list[FieldReport]]:
    """Tokens for ``fields`` (column → kind) plus the ``keep`` columns; raw identifiers dropped.

    ``row_offset`` converts a 0-based position into the row number a person sees (2 for a CSV
    whose header is row 1, 1 for Parquet). The ``row`` column carries those numbers so a partner
    can join results back to its own file without sending any identifier. With a DuckDB
    ``engine`` the HMACs run in SQL on all cores; the result is the same (rows in input order).
    """
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    rows = pa.array(range(row_offset, row_offset + table.num_rows), pa.int64())
    if with_row_numbers:
        columns[ROW_COLUMN] = rows
    for name in keep:
        if name in fields:
            raise ValueError(f"identifier column {name!r} cannot be kept next to its token")
        columns[name] = table.column(name)
    reports: list[FieldReport] = []
    normalized: dict[str, pa.Array] = {}
    for name, kind in fields.items():
        result = normalize_field(table.column(name), kind, rules, region)
        normalized[name] = result.values
        reports.append(field_report(name, kind, result, row_offset))
    if engine is not None and engine.dialect.name == "duckdb":
        return _tokens_in_engine(engine, key, fields, columns, normalized, rows, with_row_numbers), reports
    for name, kind in fields.items():
        columns[token_column(name)] = key.tokenize(kind.value, normalized[name])
    return pa.table(columns), reports


def _tokens_in_engine(
    engine: SqlEngine,
    key: TokenKey,
    fields: Mapping[str, KeyKind],
    columns: dict[str, pa.Array | pa.ChunkedArray],
    normalized: dict[str, pa.Array],
    rows: pa.Array,
    with_row_numbers: bool,
) -> pa.Table:
    i = engine.ident
    order = "__hogo_order"
    staged = dict(columns) | {order: rows} | {f"__value_{n}": normalized[f] for n, f in enumerate(fields)}
    name = engine.register_arrow(engine.temp_name("hogo_tokens"), pa.table(staged))
    try:
        select = [i(c) for c in columns]
        params: dict[str, bytes] = {}
        for n, (field, kind) in enumerate(fields.items()):
            expr, p = key.sql(engine, kind.value, i(f"__value_{n}"), name=f"k{n}")
            select.append(f"{expr} AS {i(token_column(field))}")
            params |= p
        sql = f"SELECT {', '.join(select)} FROM {i(name)}"
        if with_row_numbers:
            sql += f" ORDER BY {i(order)}"
        return engine.query(sql, params)
    finally:
        engine.drop(name)
