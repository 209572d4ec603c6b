"""Purchases into the data engine, a batch at a time, with one type per column.

Times become UTC instants: a time with an offset is that instant, one without is Japan time (as
Japanese spreadsheets and POS exports write them, `hogo.domain.clock.parse_instant`). Amounts
become numbers. A value that is neither is refused naming its row and column, never the value.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hogo.domain.clock import parse_instant
from hogo.engines import SqlEngine
from hogo.errors import InputError
from hogo.matching.inputs import InputSpec, open_input

UTC_MICROS = pa.timestamp("us", tz="UTC")
#: The columns a job reads, in the engine's table, with their types there.
TYPES = {"member_id": pa.string(), "purchased_at": UTC_MICROS, "amount_yen": pa.float64(),
         "category": pa.string(), "channel": pa.string()}  # fmt: skip


def stage_purchases(engine: SqlEngine, spec: InputSpec, name: str) -> int:
    """Table ``name`` in ``engine`` with the mapped purchase columns, typed (a view of the file
    where the engine reads it itself); returns its rows."""
    stream = open_input(spec)
    columns = [c for c in TYPES if c in spec.columns]
    if _typed_parquet(spec, stream.schema, columns):
        return _stage_file(engine, spec, name, columns)
    rows, first = 0, stream.row_offset
    staged = engine.temp_name("prof_batch")
    engine.register_arrow(staged, _typed(stream.schema.empty_table(), columns, first))
    engine.create_table_as(name, f"SELECT * FROM {engine.ident(staged)}")
    engine.drop(staged)
    for batch in stream.batches:
        table = _typed(pa.Table.from_batches([batch]), columns, first + rows)
        engine.register_arrow(staged, table)
        engine.insert_into(name, f"SELECT * FROM {engine.ident(staged)}")
        engine.drop(staged)
        rows += table.num_rows
    return rows


def _typed_parquet(spec: InputSpec, schema: pa.Schema, columns: list[str]) -> bool:
    """A Parquet file whose columns already hold instants, numbers and text needs no checking
    row by row: the engine can read it itself, which is what keeps 100M purchases fast."""
    if spec.resolved_format() != "parquet" or spec.path.is_dir():
        return False
    in_file = set(pq.read_schema(spec.path).names)
    if any(c not in schema.names or spec.columns[c] not in in_file for c in columns):
        return False  # a header matched loosely (width, spaces): the batch reader knows its name
    kinds = {c: schema.field(c).type for c in columns}
    instant = kinds["purchased_at"]
    return (
        pa.types.is_timestamp(instant)
        and instant.tz is not None
        and (pa.types.is_integer(kinds["amount_yen"]) or pa.types.is_floating(kinds["amount_yen"]))
        and all(pa.types.is_string(kinds[c]) for c in columns if TYPES[c] == pa.string())
    )


def _stage_file(engine: SqlEngine, spec: InputSpec, name: str, columns: list[str]) -> int:
    """A view of the file under the job's column names: the one pass over the purchases reads the
    file where it lies (copying 100M purchases into the engine first cost a pass of its own)."""
    i, source = engine.ident, engine.temp_name("prof_file")
    engine.register_file(source, spec.path, format="parquet")
    select = ", ".join(
        f"CAST({i(spec.columns[c])} AS DOUBLE) AS {i(c)}"
        if c == "amount_yen"
        else f"{i(spec.columns[c])} AS {i(c)}"
        for c in columns
    )
    engine.create_view(name, f"SELECT {select} FROM {i(source)}")
    return engine.count(name)


def _typed(table: pa.Table, columns: list[str], first_row: int) -> pa.Table:
    return pa.table({c: _column(table[c], c, first_row) for c in columns})


def _column(values: pa.ChunkedArray, name: str, first_row: int) -> pa.ChunkedArray:
    kind = TYPES[name]
    if name == "purchased_at":
        return _instants(values, first_row)
    if values.type == kind:
        return values
    try:
        return pc.cast(values, kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputError(
            "値の形式が正しくありません。",
            "a value has the wrong form.",
            row=_first_bad(values, kind, first_row),
            field=name,
        ) from None


def _instants(values: pa.ChunkedArray, first_row: int) -> pa.ChunkedArray:
    if pa.types.is_timestamp(values.type):
        local = values if values.type.tz else pc.assume_timezone(values, "Asia/Tokyo")
        return pc.cast(local, UTC_MICROS)
    parsed = []
    for n, text in enumerate(values.to_pylist()):
        try:
            parsed.append(None if text in (None, "") else parse_instant(str(text)))
        except ValueError:
            raise InputError(
                "日時の形式が正しくありません。", "not a date-time.", row=first_row + n, field="purchased_at"
            ) from None
    return pa.chunked_array([pa.array(parsed, UTC_MICROS)])


def _first_bad(values: pa.ChunkedArray, kind: pa.DataType, first_row: int) -> int | None:
    for n, value in enumerate(values.to_pylist()):
        try:
            pc.cast(pa.array([value]), kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return first_row + n
    return None
