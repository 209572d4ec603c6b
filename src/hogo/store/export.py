"""Consent data out of the store for set-wise work in a data engine.

A consent source registers three tables in an engine: :class:`ConsentTables` from Arrow,
:class:`StoreConsent` streamed from the store, and ``hogo.store.snapshot.ConsentFiles`` from a
snapshot. The store is read as Arrow record batches that the engine pulls one at a time
(`SqlEngine.load_batches`), so nothing accumulates in Python:

- PostgreSQL: binary ``COPY … TO STDOUT`` decoded into Arrow in C++ (ADBC's libpq driver), on a
  second connection that imports the reading transaction's snapshot (``pg_export_snapshot``), so
  the three tables and whatever the caller read first are one consistent view. Through the
  Python driver the same rows came at about 200k/s, one Python object per value.
- SQLite: the DB-API cursor a few thousand rows at a time (no ORM objects, no SQLAlchemy rows),
  each piece converted by Arrow while its Python objects are fresh and the pieces joined into
  batches. SQLite has no bulk export, DuckDB's SQLite scanner is an extension it would have to
  download, and a reader in C (ADBC's SQLite driver) would need a connection of its own, which
  cannot share the reading transaction's WAL snapshot. Creating the Python objects is what a
  plain read costs; converting them to Arrow and loading the engine adds about as much again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, select
from sqlalchemy.sql import ClauseElement

from hogo.eligibility import Names
from hogo.engines import SqlEngine
from hogo.store.database import SNAPSHOT_ID, export_snapshot, read_connection
from hogo.store.tables import ConsentEventRow, LegalExceptionRow, SubjectRow

#: Rows per batch handed to the engine.
_CHUNK = 100_000
#: Rows fetched and converted at a time (see `_fetch`).
_FETCH = 4_096

SUBJECTS_SCHEMA = pa.schema(
    [("subject_id", pa.string()), ("birth_date", pa.date32()), ("identity_verified", pa.bool_())]
)
EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("subject_id", pa.string()),
        ("purpose_id", pa.string()),
        ("action", pa.string()),
        ("terms_version", pa.string()),
        ("collected_at", pa.timestamp("us")),  # UTC
        ("guardian_name", pa.string()),
        ("foreign_transfer_info_given", pa.bool_()),
    ]
)
EXCEPTIONS_SCHEMA = pa.schema(
    [
        ("subject_id", pa.string()),
        ("purpose_id", pa.string()),
        ("recipient_id", pa.string()),
        ("recorded_at", pa.timestamp("us")),  # UTC
        ("valid_until", pa.timestamp("us")),  # UTC
    ]
)


@dataclass(frozen=True)
class ConsentTables:
    subjects: pa.Table
    events: pa.Table
    exceptions: pa.Table

    def register(self, engine: SqlEngine, names: Names) -> None:
        for name, table in zip(names, (self.subjects, self.events, self.exceptions), strict=True):
            engine.register_arrow(name, table)


@dataclass(frozen=True)
class StoreConsent:
    """The store itself, streamed into engine tables (one consistent read of the three tables)."""

    store: Engine

    def register(self, engine: SqlEngine, names: Names) -> None:
        with read_connection(self.store) as conn, batch_reader(conn) as read:
            for name, (stmt, schema) in zip(names, queries(), strict=True):
                engine.load_batches(name, read(stmt, schema))


Reader = Callable[[ClauseElement, pa.Schema], pa.RecordBatchReader]


@contextmanager
def batch_reader(conn: Connection) -> Iterator[Reader]:
    """How queries on ``conn``'s transaction are read as Arrow batches of a given schema (see the
    module's docstring): binary COPY on PostgreSQL, the DB-API cursor elsewhere."""
    if conn.dialect.name != "postgresql":
        yield lambda stmt, schema: pa.RecordBatchReader.from_batches(schema, iter_batches(conn, stmt, schema))
        return
    snapshot = export_snapshot(conn)
    assert snapshot is not None  # PostgreSQL
    with _copy_connection(conn, snapshot) as copy:
        yield lambda stmt, schema: _copy_batches(copy, conn, stmt, schema)


@contextmanager
def _copy_connection(conn: Connection, snapshot: str) -> Iterator[Any]:
    """A libpq connection (ADBC) reading in ``snapshot``, the exporting transaction's view."""
    import adbc_driver_postgresql.dbapi as adbc  # imported when PostgreSQL is read

    if SNAPSHOT_ID.fullmatch(snapshot) is None:
        raise ValueError("unexpected snapshot id from pg_export_snapshot()")
    uri = conn.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    copy = adbc.connect(uri)
    try:
        with copy.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # SET TRANSACTION SNAPSHOT takes no bind parameter; the id was checked above.
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        yield copy
    finally:
        copy.rollback()
        copy.close()


def _copy_batches(
    copy: Any, conn: Connection, stmt: ClauseElement, schema: pa.Schema
) -> pa.RecordBatchReader:
    """The rows of ``stmt`` through binary COPY, as batches of ``schema`` (names and types)."""
    cursor = copy.cursor()
    cursor.execute(str(stmt.compile(conn.engine)))
    source: pa.RecordBatchReader = cursor.fetch_record_batch()

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in source:
                columns = [_column(c, f.type) for c, f in zip(batch.columns, schema, strict=True)]
                yield pa.RecordBatch.from_arrays(columns, schema=schema)
        finally:
            cursor.close()

    return pa.RecordBatchReader.from_batches(schema, batches())


def iter_batches(conn: Connection, stmt: ClauseElement, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Stream rows as the DB-API cursor returns them and let Arrow do the conversions in bulk.

    Column type processing is bypassed on purpose: SQLite hands back timestamps, dates and
    booleans as text and integers, and converting them per value in Python would cost more than
    the decision itself; Arrow casts whole columns (the stored times are naive UTC already).
    """
    # Rows are converted whole, as structs of what SQLite returns (text for times and dates,
    # integers for booleans), without transposing them in Python first: three times faster.
    raw = pa.struct([pa.field(f.name, _as_returned(f.type)) for f in schema])
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(stmt.compile(conn.engine)))
        while pieces := _fetch(cursor, raw, schema):
            columns = [pa.concat_arrays(list(column)) for column in zip(*pieces, strict=True)]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)
    finally:
        cursor.close()


def _fetch(cursor: Any, raw: pa.StructType, schema: pa.Schema) -> list[list[pa.Array]]:
    """Up to :data:`_CHUNK` rows of ``cursor`` as columns of ``schema``, in pieces of :data:`_FETCH`.

    Why pieces: each piece's rows are converted while they are fresh in the CPU cache and freed
    before the next are fetched; holding a whole batch of rows as Python objects at once made
    the conversion cost almost twice as much (cache misses, and page faults as the interpreter's
    memory grew and shrank by a batch each time).
    """
    pieces: list[list[pa.Array]] = []
    for _ in range(_CHUNK // _FETCH):
        rows = cursor.fetchmany(_FETCH)
        if not rows:
            break
        try:
            columns = pa.array(rows, type=raw).flatten()
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # a driver returning other types
            columns = [pa.array(col) for col in zip(*rows, strict=True)]
        pieces.append([_column(col, f.type) for col, f in zip(columns, schema, strict=True)])
    return pieces


def _as_returned(kind: pa.DataType) -> pa.DataType:
    """The Arrow type of what SQLite hands back for a column of ``kind``."""
    if pa.types.is_boolean(kind):
        return pa.int64()
    if pa.types.is_temporal(kind):
        return pa.string()
    return kind


def _column(raw: pa.Array, kind: pa.DataType) -> pa.Array:
    if raw.type == kind:
        return raw
    if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
        raw = raw.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
    return raw.cast(kind)


def queries() -> list[tuple[ClauseElement, pa.Schema]]:
    """What each of the three consent tables is read with, in the order of :data:`Names`."""
    s, e, x = SubjectRow, ConsentEventRow, LegalExceptionRow
    return [
        (select(s.subject_id, s.birth_date, s.identity_verified), SUBJECTS_SCHEMA),
        (
            select(
                e.event_id,
                e.subject_id,
                e.purpose_id,
                e.action,
                e.terms_version,
                e.collected_at,
                e.guardian_name,
                e.foreign_transfer_info_given,
            ),
            EVENTS_SCHEMA,
        ),
        (select(x.subject_id, x.purpose_id, x.recipient_id, x.recorded_at, x.valid_until), EXCEPTIONS_SCHEMA),
    ]


def consent_tables(db: Engine) -> ConsentTables:
    """All consent data as Arrow (small stores, tests); large ones use :class:`StoreConsent`."""
    with read_connection(db) as conn, batch_reader(conn) as read:
        tables = [read(stmt, schema).read_all() for stmt, schema in queries()]
    return ConsentTables(*tables)
