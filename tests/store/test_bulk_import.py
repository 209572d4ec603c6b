"""Bulk consent import (issue 10 findings 13/14/19): staged outside the ledger lock, checked by
joins, recorded all or nothing in one short transaction, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, create_engine, func, select

from hogo.domain.consent import ConsentAction, ConsentEvent
from hogo.domain.ledger import EntryKind, canonical
from hogo.domain.shredding import SEALED, person_ref
from hogo.errors import Conflict, InputError
from hogo.services import ledger, person_keys
from hogo.services.consent import event_digest, event_payload, record_events
from hogo.services.consent_import import EventImport, _row_checks_skippable
from hogo.services.erasure import erase
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from hogo.store.tables import ConsentEventRow, LedgerEntryRow
from tests.factories import event, person, policy

AT = "2024-05-01T10:00"


def _setup(store: Engine, persons: int = 5) -> None:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person(f"P{i}") for i in range(persons)])


def _events(n: int, prefix: str = "E") -> list[ConsentEvent]:
    return [
        event(f"P{i % 5}", "ad_partners", ConsentAction.grant, AT, event_id=f"{prefix}{i:05d}")
        for i in range(n)
    ]


def _import(store: Engine, batches: list[list[ConsentEvent]]) -> tuple[int, int]:
    with EventImport(store) as job:
        row = 2
        for batch in batches:
            job.stage(batch, list(range(row, row + len(batch))))
            row += len(batch)
        result = job.commit()
    return result.recorded, result.already_present


def _counts(store: Engine) -> tuple[int, int]:
    with write_scope(store) as s:
        events = s.execute(select(func.count()).select_from(ConsentEventRow)).scalar_one()
        entries = s.execute(select(func.count()).select_from(LedgerEntryRow)).scalar_one()
    return events, entries


def test_import_records_one_ledger_entry_per_event_in_file_order(store: Engine) -> None:
    _setup(store)
    events = _events(120)
    before = _counts(store)[1]
    assert _import(store, [events[:50], events[50:]]) == (120, 0)
    with write_scope(store) as s:
        assert ledger.verify_ledger(s).ok
        rows = s.execute(select(ConsentEventRow).order_by(ConsentEventRow.ledger_seq)).scalars().all()
        assert [r.event_id for r in rows] == [e.event_id for e in events]
        assert [r.ledger_seq for r in rows] == list(range(before + 1, before + 121))
        for r, e in zip(rows, events, strict=True):
            entry = ledger.entry(s, r.ledger_seq)
            assert entry is not None and entry.kind == "consent_event"
            keys = person_keys.lookup(s, [e.subject_id])[e.subject_id]
            assert entry.ref == person_ref(keys.pseudonym)
            # the same v3 payload as a single append writes: the event with its personal values
            # sealed (the nonce differs, the rest is equal) and its row's keyed digest
            payload = dict(entry.payload())
            expected = event_payload(e, event_digest(e, keys.digest_key), keys)
            assert payload.pop(SEALED) != expected.pop(SEALED)
            assert payload == expected and f'"{e.subject_id}"' not in entry.payload_json
            assert person_keys.reveal(s, entry)["subject_id"] == e.subject_id
            assert r.collected_at == e.collected_at
    # The same file again changes nothing; a repeated row in one file is recorded once.
    assert _import(store, [events, events[:3]]) == (0, 120)
    assert _counts(store) == (120, before + 120)


def test_repeated_rows_and_stored_events_are_left_out_of_a_new_import(store: Engine) -> None:
    """Rows repeated in the file and events already stored are renumbered out (the second
    staging table); the rest is recorded once each, in file order, and the chain verifies."""
    _setup(store)
    events = _events(30)
    assert _import(store, [events[:5]]) == (5, 0)
    before = _counts(store)[1]
    assert _import(store, [events[:12], events[8:20], events[18:30]]) == (25, 5)
    with write_scope(store) as s:
        assert ledger.verify_ledger(s).ok
        rows = s.execute(select(ConsentEventRow).order_by(ConsentEventRow.ledger_seq)).scalars().all()
        assert [r.event_id for r in rows] == [e.event_id for e in events]
        assert [r.ledger_seq for r in rows[5:]] == list(range(before + 1, before + 26))


def test_bad_files_store_nothing(store: Engine) -> None:
    _setup(store)
    _import(store, [_events(3)])
    counts = _counts(store)
    changed_dup = [*_events(4, "N"), _events(4, "N")[1].model_copy(update={"purpose_id": "profiling"})]
    with pytest.raises(Conflict, match="row 6"):
        _import(store, [changed_dup])
    unknown = [*_events(2, "U"), event("nobody", "ad_partners", ConsentAction.grant, AT, event_id="U9")]
    with pytest.raises(InputError, match="row 4 field subject_id"):
        _import(store, [unknown])
    changed_stored = [*_events(2, "V"), _events(3)[2].model_copy(update={"action": ConsentAction.withdraw})]
    with pytest.raises(Conflict, match="row 4"):
        _import(store, [changed_stored])
    unknown_purpose = [*_events(2, "W"), event("P1", "no_such", ConsentAction.grant, AT, event_id="W9")]
    with pytest.raises(InputError, match="purpose_id"):
        _import(store, [unknown_purpose])
    assert _counts(store) == counts


def test_writers_and_readers_are_not_blocked_while_an_import_stages(store: Engine) -> None:
    """Before: the import held the ledger lock for its whole run. Now a capture commits between
    the import's batches, readers answer, and the import still records all or nothing after it."""
    _setup(store)
    with EventImport(store) as job:
        job.stage(_events(200)[:100], list(range(2, 102)))
        with write_scope(store) as s:  # a live capture, on its own connection
            record_events(s, [event("P1", "profiling", ConsentAction.grant, AT, event_id="LIVE1")])
        with write_scope(store) as s:
            assert ledger.verify_ledger(s).ok
        job.stage(_events(200)[100:], list(range(102, 202)))
        assert job.commit().recorded == 200
    with write_scope(store) as s:
        assert ledger.verify_ledger(s).ok
        live = s.get(ConsentEventRow, "LIVE1")
        first = s.get(ConsentEventRow, "E00000")
        assert live is not None and first is not None and live.ledger_seq < first.ledger_seq


def test_an_abandoned_import_leaves_nothing(store: Engine) -> None:
    _setup(store)
    counts = _counts(store)
    with pytest.raises(RuntimeError), EventImport(store) as job:
        job.stage(_events(50), list(range(2, 52)))
        raise RuntimeError("the user's file had a bad row")
    assert _counts(store) == counts
    assert _import(store, [_events(5)]) == (5, 0)  # the staging tables were cleaned up


def test_a_reader_verifies_one_snapshot_while_writers_append(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hogo ledger verify` during an import failed on PostgreSQL: the head and the entries were
    read in different snapshots, so an append committed in between looked like tampering."""
    _setup(store)
    streamed = ledger.iter_rows

    def append_then_stream(session: object, chunk: int = 50_000, **part: int | None) -> object:
        with write_scope(store) as w:  # another writer commits between the head and the entries
            record_events(w, [event("P2", "profiling", ConsentAction.grant, AT)])
        return streamed(session, chunk, **part)  # type: ignore[arg-type]

    monkeypatch.setattr(ledger, "iter_rows", append_then_stream)
    with read_scope(store) as s:
        assert ledger.verify_ledger(s).ok


def _stage_table(name: str) -> Table:
    """A staging table as `ledger.append_staged` reads it: n = 1, 2, 3, …, ref and payload."""
    return Table(
        name,
        MetaData(),
        Column("n", Integer, primary_key=True, autoincrement=False),
        Column("ref", Text, nullable=False),
        Column("payload", Text, nullable=False),
        prefixes=["TEMPORARY"],
    )


def test_the_staged_chain_refuses_rows_out_of_order(store: Engine) -> None:
    """SQLite hashes inside one INSERT…SELECT, in the order SQLite scans the rows: a gap or a
    different order must fail the whole transaction, never write a chain in the wrong order."""
    _setup(store)
    with write_scope(store) as s:
        record_events(s, _events(3, prefix="L"))  # the chain has a head already
    stage = _stage_table("hogo_test_stage")
    counts = _counts(store)
    with store.connect() as conn:
        stage.create(conn)
        rows = [{"n": n, "ref": f"ref-{n}", "payload": canonical({"n": n}).decode()} for n in (1, 2, 4)]
        conn.execute(stage.insert(), rows)
        conn.commit()
        with pytest.raises(ValueError, match="not numbered"):
            ledger.append_staged(conn, EntryKind.processing, stage)
        conn.rollback()
        conn.execute(stage.delete().where(stage.c.n == 4))
        assert _counts(store) == counts  # the failed append wrote nothing
        # a kind that binds no row: this tests the chain alone
        first, last = ledger.append_staged(conn, EntryKind.processing, stage)
        conn.commit()
    assert (first, last) == (counts[1] + 1, counts[1] + 2)
    with read_scope(store) as s:
        assert ledger.verify_ledger(s).ok
        assert [e.ref for e in ledger.entries_for(s, "ref-2")] == ["ref-2"]


def test_a_person_deleted_before_the_locked_step_refuses_the_whole_import(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The persons are checked by a join before the lock; one deleted after that check (by
    another writer) must not let events in without their person, on either backend (PostgreSQL
    checks and locks them set-wise in the locked transaction, SQLite by the foreign key)."""
    _setup(store)
    checked = EventImport._check

    def check_then_delete(self: EventImport) -> int:
        present = checked(self)
        with write_scope(store) as s:
            erase(s, "P4")  # the one way hogo deletes a person: its rows go, an erasure entry comes
        return present

    monkeypatch.setattr(EventImport, "_check", check_then_delete)
    events, entries = _counts(store)
    with pytest.raises(Conflict):
        _import(store, [_events(20)])
    assert _counts(store) == (events, entries + 1)  # only the erasure's entry: no event came in
    with write_scope(store) as s:
        assert ledger.verify_ledger(s).ok


@pytest.mark.postgres
def test_an_insert_trigger_added_to_consent_events_still_fires_for_imported_rows(store: Engine) -> None:
    """The import skips the foreign key's per-row trigger only when that trigger is all an insert
    into consent_events fires; anything added later (here a counting trigger) keeps running."""
    if store.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no per-row foreign-key trigger to skip")
    _setup(store)
    with store.begin() as c:
        c.exec_driver_sql("CREATE TABLE test_seen (event_id text)")
        c.exec_driver_sql(
            "CREATE FUNCTION test_seen_fn() RETURNS trigger LANGUAGE plpgsql AS "
            "$$BEGIN INSERT INTO test_seen VALUES (NEW.event_id); RETURN NEW; END$$"
        )
        c.exec_driver_sql(
            "CREATE TRIGGER test_seen_tr AFTER INSERT ON consent_events "
            "FOR EACH ROW EXECUTE FUNCTION test_seen_fn()"
        )
    try:
        assert _import(store, [_events(30)]) == (30, 0)
        with store.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM test_seen").scalar_one() == 30
    finally:
        with store.begin() as c:
            c.exec_driver_sql("DROP TRIGGER test_seen_tr ON consent_events")
            c.exec_driver_sql("DROP FUNCTION test_seen_fn()")
            c.exec_driver_sql("DROP TABLE test_seen")


@pytest.mark.postgres
def test_without_the_privilege_the_import_keeps_the_row_checks(store: Engine) -> None:
    """A role that may not set session_replication_role imports the same, through the triggers."""
    if store.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    _setup(store)
    role = "hogo_test_import_role"
    with store.begin() as c:
        c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        c.exec_driver_sql(f"CREATE ROLE {role}")
        c.exec_driver_sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        c.exec_driver_sql(f"GRANT CREATE, USAGE ON SCHEMA public TO {role}")
    limited = create_engine(store.url, connect_args={"options": f"-c role={role}"})
    try:
        with limited.connect() as c:
            assert not _row_checks_skippable(c)
            c.rollback()
        assert _import(limited, [_events(25)]) == (25, 0)
        with write_scope(store) as s:
            assert ledger.verify_ledger(s).ok
    finally:
        limited.dispose()
        with store.begin() as c:
            c.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
            c.exec_driver_sql(f"REVOKE ALL ON SCHEMA public FROM {role}")
            c.exec_driver_sql(f"DROP ROLE {role}")


def test_the_staged_chain_keeps_payloads_byte_for_byte(store: Engine) -> None:
    """PostgreSQL copies the staged rows out and the entries back in COPY's text format: payloads
    and refs with backslashes, tabs, line breaks and U+2028 / U+0085 come back exactly and the
    chain verifies."""
    _setup(store)
    stage = _stage_table("hogo_test_stage_bytes")
    texts = ["a\\b", "tab\there", "line\nbreak\r", "sep\u2028and\x85", '"quoted"', "\\N", "日本語"]
    rows = [
        {"n": n, "ref": f"ref\\{n}\t", "payload": canonical({"n": n, "t": t}).decode()}
        for n, t in enumerate(texts, start=1)
    ]
    with store.connect() as conn:
        stage.create(conn)
        conn.execute(stage.insert(), rows)
        conn.commit()
        first, _last = ledger.append_staged(conn, EntryKind.processing, stage)
        conn.commit()
    with read_scope(store) as s:
        assert ledger.verify_ledger(s).ok
        for offset, r in enumerate(rows):
            entry = ledger.entry(s, first + offset)
            assert entry is not None
            assert (entry.ref, entry.payload_json) == (r["ref"], r["payload"])
