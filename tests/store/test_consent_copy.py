"""Consent read out of the store for a release: binary COPY (PostgreSQL) gives exactly what the
plain DB-API cursor gives, inside the reading transaction's snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest
from sqlalchemy import Engine, text

from hogo.domain.consent import ExceptionGround, LegalException
from hogo.services.consent import record_events, record_exception
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store import export
from hogo.store.database import read_connection, write_scope
from hogo.store.export import batch_reader, iter_batches, queries
from tests.factories import at, event, person, policy


@pytest.fixture()
def filled(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(
            s,
            [
                person("S1"),
                person("S2", birth=None, verified=False),
                person("KID", birth=at("2015-01-01").date()),
            ],
        )
        record_events(
            s,
            [
                event("S1", when="2022-01-01T10:00:00.123456"),
                event("S1", action="withdraw", when="2023-01-01T10:00"),
                event(
                    "KID",
                    when="2023-05-05T23:59:59",
                    guardian_name="山田 花子",
                    foreign_transfer_info_given=True,
                ),
                event("S2", purpose="service", action="deny", when="2021-12-31T15:00"),
            ],
        )
        for n, until in enumerate([None, at("2030-01-01T00:00")]):
            record_exception(
                s,
                LegalException(exception_id=f"x{n}", subject_id="S2", purpose_id="ad_partners",
                               recipient_id="adco" if n else None, ground=ExceptionGround.laws,
                               recorded_at=at("2023-02-01T10:00"), valid_until=until),
            )  # fmt: skip
    return store


def test_the_reader_gives_what_the_plain_cursor_gives(filled: Engine) -> None:
    with read_connection(filled) as conn, batch_reader(conn) as read:
        for stmt, schema in queries():
            fast = read(stmt, schema).read_all()
            plain = pa.Table.from_batches(list(iter_batches(conn, stmt, schema)), schema=schema)
            key = [(schema.names[0], "ascending"), (schema.names[1], "ascending")]
            assert fast.schema == schema and fast.num_rows == plain.num_rows > 0
            assert fast.sort_by(key).to_pylist() == plain.sort_by(key).to_pylist()


def test_the_reader_sees_the_snapshot_of_the_reading_transaction(filled: Engine) -> None:
    """A row committed after the read began is not read: consent and whatever the transaction read
    first (the ledger head of a snapshot) stay one view, on PostgreSQL through the exported snapshot."""
    stmt, schema = queries()[0]
    with read_connection(filled) as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM subjects")).scalar_one()
        with write_scope(filled) as s:
            upsert_subjects(s, [person("LATE")])
        with batch_reader(conn) as read:
            ids = read(stmt, schema).read_all().column("subject_id").to_pylist()
    assert len(ids) == before and "LATE" not in ids


@pytest.mark.parametrize(("fetch", "chunk"), [(1, 2), (2, 6), (4_096, 100_000)])
def test_the_reader_gives_the_stored_values_whatever_the_batch_size(
    filled: Engine, monkeypatch: pytest.MonkeyPatch, fetch: int, chunk: int
) -> None:
    """Rows fetched a few at a time and joined into batches (SQLite) are the rows SQLAlchemy reads
    with its column types: timestamps to the microsecond, dates, booleans, NULLs, Japanese text."""
    monkeypatch.setattr(export, "_FETCH", fetch)
    monkeypatch.setattr(export, "_CHUNK", chunk)
    with read_connection(filled) as conn, batch_reader(conn) as read:
        for stmt, schema in queries():
            got = read(stmt, schema).read_all()
            typed = [
                {k: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v
                 for k, v in row._mapping.items()}
                for row in conn.execute(stmt)
            ]  # fmt: skip
            key = [(schema.names[0], "ascending"), (schema.names[1], "ascending")]
            assert got.schema == schema and got.num_rows == len(typed) > 0
            assert (
                got.sort_by(key).to_pylist() == pa.Table.from_pylist(typed, schema).sort_by(key).to_pylist()
            )
