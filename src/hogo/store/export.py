"""Consent data out of the store as Arrow tables, for set-wise work in a data engine.

Read through the DB-API cursor in chunks (no ORM objects): at millions of events the ORM would
cost more than the decision itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, select
from sqlalchemy.sql import ClauseElement

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


def _read(engine: Engine, stmt: ClauseElement, schema: pa.Schema) -> pa.Table:
    """Stream rows as the driver returns them and let Arrow do the conversions in bulk.

    Column type processing is bypassed on purpose: SQLite hands back timestamps, dates and
    booleans as text and integers, and converting them per value in Python would cost more than
    the decision itself; Arrow casts whole columns (the stored times are naive UTC already).
    """
    sql = stmt.compile(engine)
    batches: list[pa.RecordBatch] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True).exec_driver_sql(str(sql))
        while rows := result.fetchmany(_CHUNK):
            columns = list(zip(*rows, strict=True))
            arrays = [_column(col, f.type) for col, f in zip(columns, schema, strict=True)]
            batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def _column(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    raw = pa.array(values)
    if raw.type == kind:
        return raw
    if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
        raw = raw.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
    return raw.cast(kind)


def consent_tables(engine: Engine) -> ConsentTables:
    s, e, x = SubjectRow, ConsentEventRow, LegalExceptionRow
    return ConsentTables(
        subjects=_read(engine, select(s.subject_id, s.birth_date, s.identity_verified), SUBJECTS_SCHEMA),
        events=_read(
            engine,
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
        exceptions=_read(
            engine,
            select(x.subject_id, x.purpose_id, x.recipient_id, x.recorded_at, x.valid_until),
            EXCEPTIONS_SCHEMA,
        ),
    )
