"""Consent data out of the store for set-wise work in a data engine.

Read through the DB-API cursor in chunks (no ORM objects): at millions of events the ORM would
cost more than the decision itself. A consent source registers three tables in an engine:
:class:`ConsentTables` from Arrow, :class:`StoreConsent` streamed from the store batch by batch
(nothing accumulates in Python), and ``hogo.store.snapshot.ConsentFiles`` from a snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, select
from sqlalchemy.sql import ClauseElement

from hogo.eligibility import Names
from hogo.engines import SqlEngine
from hogo.store.tables import ConsentEventRow, LegalExceptionRow, SubjectRow

_CHUNK = 100_000

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
    """The store itself, streamed into engine tables one chunk at a time."""

    store: Engine

    def register(self, engine: SqlEngine, names: Names) -> None:
        with self.store.connect() as conn:
            for name, (stmt, schema) in zip(names, queries(), strict=True):
                staged = engine.temp_name("hogo_consent")
                first = True
                for batch in iter_batches(conn, stmt, schema):
                    engine.register_arrow(staged, pa.Table.from_batches([batch]))
                    sql = f"SELECT * FROM {engine.ident(staged)}"
                    if first:
                        engine.create_table_as(name, sql)
                    else:
                        engine.insert_into(name, sql)
                    first = False
                if first:
                    engine.register_arrow(staged, schema.empty_table())
                    engine.create_table_as(name, f"SELECT * FROM {engine.ident(staged)}")
                engine.drop(staged)


def iter_batches(conn: Connection, stmt: ClauseElement, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Stream rows as the driver returns them and let Arrow do the conversions in bulk.

    Column type processing is bypassed on purpose: SQLite hands back timestamps, dates and
    booleans as text and integers, and converting them per value in Python would cost more than
    the decision itself; Arrow casts whole columns (the stored times are naive UTC already).
    """
    sql = stmt.compile(conn.engine)
    result = conn.execution_options(stream_results=True).exec_driver_sql(str(sql))
    while rows := result.fetchmany(_CHUNK):
        columns = list(zip(*rows, strict=True))
        arrays = [_column(col, f.type) for col, f in zip(columns, schema, strict=True)]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _column(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    raw = pa.array(values)
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
    with db.connect() as conn:
        tables = [
            pa.Table.from_batches(list(iter_batches(conn, stmt, schema)), schema=schema)
            for stmt, schema in queries()
        ]
    return ConsentTables(*tables)
