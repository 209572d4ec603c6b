"""Turn the identifier columns of a table into match tokens, with a report of unusable values.

Why one function for both sides: the partner runs ``hogo tokenize`` on its customers and we run
the release on our members; both must normalise and tokenise identically or nothing matches. The
output holds tokens only (plus row numbers and any column the caller chose to keep), never the
raw identifiers. Unusable values are counted and reported by row number, never by content.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar, cast

import pyarrow as pa

from hogo.domain.model import Frozen
from hogo.engines import SqlEngine
from hogo.matching.inputs import InputStream
from hogo.matching.normalize import EmailRules, NormalizedColumn, normalize_email_array, normalize_phone_array
from hogo.matching.tokens import TokenKey

#: How many invalid row numbers a report lists (the count is always complete).
MAX_LISTED_ROWS = 100
ROW_COLUMN = "row"
_T = TypeVar("_T")


class KeyKind(StrEnum):
    email = "email"
    phone = "phone"


class FieldReport(Frozen):
    """What happened to one identifier column: counts, and the rows that could not be used."""

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
    can join results back to its own file without sending any identifier. Tokens are hex text, as
    a file holds them. With an ``engine`` whose dialect has SHA-256 the HMACs run in SQL on all
    cores; the result is the same (rows in input order).
    """
    batch = _normalised(table, fields, keep, rules, region, row_offset, with_row_numbers)
    if engine is not None and engine.dialect.has_sha256:
        name = engine.register_arrow(engine.temp_name("hogo_tokens"), batch.staged())
        try:
            sql, params = _token_select(engine, key, fields, batch.columns, name, hex_text=True)
            if with_row_numbers:
                sql += f" ORDER BY {engine.ident(_ORDER)}"
            return engine.query(sql, params), batch.reports
        finally:
            engine.drop(name)
    return batch.with_tokens(key, fields, hex_text=True), batch.reports


def tokenize_into(
    engine: SqlEngine,
    name: str,
    stream: InputStream,
    key: TokenKey,
    fields: Mapping[str, KeyKind],
    *,
    keep: Sequence[str] = (),
    rules: EmailRules | None = None,
    region: str = "JP",
    with_row_numbers: bool = True,
    hex_tokens: Sequence[str] = (),
    done: Callable[[int], None] | None = None,
) -> tuple[int, list[FieldReport]]:
    """Stream an input into engine table ``name`` batch by batch: tokens, ``keep`` columns, ``row``.

    Why: a 10M-row input held whole in Python costs gigabytes; here one batch is in Python at a
    time and the engine holds the rest (and may spill it). Returns the row count and the reports
    over all batches. Where the engine has SHA-256 the HMACs run in SQL on all cores.

    In the engine a token is its 32 bytes (`TokenKey.digests`), never hex text: kept columns named
    in ``hex_tokens`` (tokens a partner made on its side, `hogo tokenize`) are turned into bytes
    as they arrive (`Dialect.token_from_hex`), so they meet ours; `hex_select` gives them back as
    text for a file. ``done`` is told the rows stored so far after each batch (progress).
    """
    rows, created = 0, False
    reports: list[FieldReport] = []
    in_sql = engine.dialect.has_sha256

    def prepared() -> Iterator[_Batch]:
        offset, seen = stream.row_offset, False
        for record_batch in stream.batches:
            if record_batch.num_rows or not seen:
                table = pa.Table.from_batches([record_batch])
                yield _normalised(table, fields, keep, rules, region, offset, with_row_numbers)
                offset, seen = offset + record_batch.num_rows, True
        if not seen:  # an input without rows still makes its (empty) table
            empty = stream.schema.empty_table()
            yield _normalised(empty, fields, keep, rules, region, offset, with_row_numbers)

    # Normalising the next batch (Arrow compute, one core) overlaps the engine's HMACs.
    for batch in _ahead(prepared()):
        staged = engine.register_arrow(
            engine.temp_name("hogo_tokens"), batch.staged() if in_sql else batch.with_tokens(key, fields)
        )
        try:
            sql, params = _token_select(
                engine, key, fields, batch.columns, staged, in_sql=in_sql, hex_tokens=hex_tokens
            )
            if created:
                engine.insert_into(name, sql, params)
            else:
                engine.create_table_as(name, sql, params)
        finally:
            engine.drop(staged)
        if created:
            reports = [merge_reports(x, y) for x, y in zip(reports, batch.reports, strict=True)]
        else:
            reports, created = batch.reports, True
        rows += len(batch.rows)
        if done is not None:
            done(rows)
    return rows, reports


def _ahead(items: Iterator[_T]) -> Iterator[_T]:
    """Yield ``items`` while a background thread already produces the next one."""
    done = object()
    slot: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                slot.put(item)
            slot.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            slot.put(_Failed(exc))

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := slot.get()) is not done:
            if isinstance(item, _Failed):
                raise item.error
            yield cast(_T, item)
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full slot
            with contextlib.suppress(queue.Empty):
                slot.get(timeout=0.05)
        worker.join()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def merge_reports(a: FieldReport, b: FieldReport) -> FieldReport:
    """One report for a column read in two parts (``b`` after ``a``)."""
    listed = [*a.invalid_rows, *b.invalid_rows][:MAX_LISTED_ROWS]
    return FieldReport(
        field=a.field,
        kind=a.kind,
        rows=a.rows + b.rows,
        valid=a.valid + b.valid,
        missing=a.missing + b.missing,
        invalid=a.invalid + b.invalid,
        invalid_rows=listed,
        slow_path_rows=a.slow_path_rows + b.slow_path_rows,
    )


_ORDER = "__hogo_order"
#: Stands for "a table exists" while streaming an input without identifier fields.
_NO_FIELDS = FieldReport(field="", kind=KeyKind.email, rows=0, valid=0, missing=0, invalid=0, invalid_rows=[])


@dataclass
class _Batch:
    """Kept columns (and row numbers) with the normalised identifier values beside them."""

    columns: dict[str, pa.Array | pa.ChunkedArray]
    normalized: list[pa.Array]
    rows: pa.Array
    reports: list[FieldReport]

    def staged(self) -> pa.Table:
        values = {f"__value_{n}": v for n, v in enumerate(self.normalized)}
        return pa.table(dict(self.columns) | {_ORDER: self.rows} | values)

    def with_tokens(
        self, key: TokenKey, fields: Mapping[str, KeyKind], *, hex_text: bool = False
    ) -> pa.Table:
        """The kept columns and the tokens computed in Python: bytes, or hex text."""
        make = key.tokenize if hex_text else key.digests
        tokens = {
            token_column(name): make(kind.value, values)
            for (name, kind), values in zip(fields.items(), self.normalized, strict=True)
        }
        return pa.table(dict(self.columns) | tokens)


def _normalised(
    table: pa.Table,
    fields: Mapping[str, KeyKind],
    keep: Sequence[str],
    rules: EmailRules | None,
    region: str,
    row_offset: int,
    with_row_numbers: bool,
) -> _Batch:
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    rows = pa.array(range(row_offset, row_offset + table.num_rows), pa.int64())
    if with_row_numbers:
        columns[ROW_COLUMN] = rows
    for name in keep:
        if name in fields:
            raise ValueError(f"identifier column {name!r} cannot be kept next to its token")
        columns[name] = table.column(name)
    reports: list[FieldReport] = []
    normalized: list[pa.Array] = []
    for name, kind in fields.items():
        result = normalize_field(table.column(name), kind, rules, region)
        normalized.append(result.values)
        reports.append(field_report(name, kind, result, row_offset))
    return _Batch(columns, normalized, rows, reports)


def _token_select(
    engine: SqlEngine,
    key: TokenKey,
    fields: Mapping[str, KeyKind],
    columns: Mapping[str, object],
    staged: str,
    *,
    in_sql: bool = True,
    hex_text: bool = False,
    hex_tokens: Sequence[str] = (),
) -> tuple[str, dict[str, bytes]]:
    """SELECT the kept columns and the tokens of a staged batch: computed in SQL (``in_sql``) or
    already in it (`_Batch.with_tokens`); as bytes, or as hex text (``hex_text``). Kept columns in
    ``hex_tokens`` are tokens given as text, turned into bytes."""
    i, d = engine.ident, engine.dialect
    select = [f"{d.token_from_hex(i(c))} AS {i(c)}" if c in hex_tokens else i(c) for c in columns]
    params: dict[str, bytes] = {}
    for n, (field, kind) in enumerate(fields.items()):
        if in_sql:
            expr, p = key.sql(engine, kind.value, i(f"__value_{n}"), name=f"k{n}")
            params |= p
        else:
            expr = i(token_column(field))
        select.append(f"{d.hex(expr) if hex_text else expr} AS {i(token_column(field))}")
    return f"SELECT {', '.join(select)} FROM {i(staged)}", params


def hex_select(engine: SqlEngine, name: str, tokens: Collection[str]) -> str:
    """SELECT every column of engine table ``name``, the token columns ``tokens`` as the hex text
    a file holds (`tokenize_into` keeps them as bytes)."""
    i = engine.ident
    select = [f"{engine.dialect.hex(i(c))} AS {i(c)}" if c in tokens else i(c) for c in engine.columns(name)]
    return f"SELECT {', '.join(select)} FROM {i(name)}"
