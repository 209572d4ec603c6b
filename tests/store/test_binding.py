"""Rows bound to ledger entries: every bound table forged behind hogo's back is caught.

Each forgery is raw SQL on the store (the ledger untouched): a row deleted, a row inserted, a
column changed. `ledger verify` must name the table and entry, and the check before a release or
snapshot must refuse to run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from hogo.domain.consent import ExceptionGround, LegalException
from hogo.domain.provision import ReleaseMode
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.services import binding, ledger, ledger_part
from hogo.services.binding import StoreNotReconciled
from hogo.services.consent import record_events, record_exception
from hogo.services.erasure import erase
from hogo.services.policy import apply_policy
from hogo.services.provisions import record_provision
from hogo.services.received import record_received
from hogo.services.snapshots import consent_source, write_snapshot
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from tests.factories import at, event, person, policy

LISTER = Provider(
    kind=ProviderKind.corporation,
    name="名簿提供株式会社",
    address="大阪府大阪市北区1-2",
    representative="提供 一郎",
)


@pytest.fixture()
def seeded(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(
            s,
            [person("S1"), person("S2"), person("S3")],
            [("s1@example.jp", "090-1111-2222"), (None, None), (None, None)],
        )
        record_events(
            s,
            [
                event("S1", when="2022-01-01T10:00", event_id="g1"),
                event("S1", action="withdraw", when="2023-01-01T10:00", event_id="w1"),
                event("S2", when="2022-01-01T10:00", event_id="g2"),
            ],
        )
        record_exception(
            s,
            LegalException(
                exception_id="x1",
                subject_id="S2",
                purpose_id="ad_partners",
                ground=ExceptionGround.laws,
                recorded_at=at("2023-02-01T10:00"),
            ),
        )
        upsert_subjects(s, [person("S2", verified=False)])  # an update: S2's first entry is superseded
        record_provision(
            s,
            policy(),
            provision_id="rel-1",
            mode=ReleaseMode.personal,
            purpose_id="ad_partners",
            recipient_id="adco",
            provided_at=at("2024-06-01T10:00"),
            data_items=["email_token"],
            persons=[("S1", "consent"), ("S2", "opt_out")],
        )
        record_received(
            s,
            received_id="in-1",
            provider=LISTER,
            acquisition="自社会員から同意を得て取得",
            received_at=at("2024-06-01T10:00"),
            data_items=["氏名"],
            persons=[(2, "S1"), (3, "S2")],
            basis=ReceivedBasis.consent,
        )
    return store


def _seq(c: Connection, sql: str) -> int:
    return int(c.execute(text(sql)).scalar_one())


def _sql(*statements: str) -> Callable[[Connection], None]:
    def forge(c: Connection) -> None:
        for statement in statements:
            c.execute(text(statement))

    return forge


def _insert_event(c: Connection) -> None:
    """A grant that never went through hogo, pointing at a real consent entry."""
    seq = _seq(c, "SELECT ledger_seq FROM consent_events WHERE event_id = 'g2'")
    c.execute(
        text(
            "INSERT INTO consent_events (event_id, subject_id, purpose_id, action, terms_version, method, "
            "collected_at, foreign_transfer_info_given, recorded_at, ledger_seq) VALUES ('forged', 'S3', "
            "'ad_partners', 'grant', '2021-07', 'web_form', :t, false, :t, :seq)"
        ),
        {"t": at("2022-05-01T10:00").replace(tzinfo=None), "seq": seq},
    )


def _insert_exception(c: Connection) -> None:
    seq = _seq(c, "SELECT ledger_seq FROM legal_exceptions WHERE exception_id = 'x1'")
    c.execute(
        text(
            "INSERT INTO legal_exceptions (exception_id, subject_id, purpose_id, ground, recorded_at, note, "
            "ledger_seq) VALUES ('x2', 'S3', 'ad_partners', 'laws', :t, '', :seq)"
        ),
        {"t": at("2023-02-01T10:00").replace(tzinfo=None), "seq": seq},
    )


def _insert_revision(c: Connection) -> None:
    c.execute(
        text(
            "INSERT INTO policy_revisions (revision, applied_at, sha256, document, ledger_seq) "
            "SELECT 2, applied_at, sha256, document, ledger_seq FROM policy_revisions WHERE revision = 1"
        )
    )


def _insert_record(table: str, key: str) -> Callable[[Connection], None]:
    def forge(c: Connection) -> None:
        columns = [
            r[0]
            for r in c.execute(text(f"SELECT * FROM {table} LIMIT 1")).cursor.description  # type: ignore[union-attr]
            if r[0] != key
        ]
        names = ", ".join(columns)
        c.execute(text(f"INSERT INTO {table} ({key}, {names}) SELECT 'forged', {names} FROM {table}"))

    return forge


FORGERIES: dict[str, tuple[Callable[[Connection], None], set[str]]] = {
    # the example: a withdrawal deleted turns a refused ad-partner provision into an allowed one
    "consent-delete-withdrawal": (
        _sql("DELETE FROM consent_events WHERE event_id = 'w1'"),
        {"consent_events"},
    ),
    "consent-insert-grant": (_insert_event, {"consent_events"}),
    "consent-flip-action": (
        _sql("UPDATE consent_events SET action = 'grant' WHERE event_id = 'w1'"),
        {"consent_events"},
    ),
    "subject-delete": (_sql("DELETE FROM subjects WHERE subject_id = 'S3'"), {"subjects"}),
    "subject-insert": (
        _sql(
            "INSERT INTO subjects (subject_id, identity_verified, created_at, updated_at) "
            "SELECT 'S9', identity_verified, created_at, updated_at FROM subjects WHERE subject_id = 'S3'"
        ),
        {"subjects"},
    ),
    "subject-modify": (
        _sql("UPDATE subjects SET email = 'x@example.jp' WHERE subject_id = 'S1'"),
        {"subjects"},
    ),
    "exception-delete": (
        _sql("DELETE FROM legal_exceptions WHERE exception_id = 'x1'"),
        {"legal_exceptions"},
    ),
    "exception-insert": (_insert_exception, {"legal_exceptions"}),
    "exception-modify": (
        _sql("UPDATE legal_exceptions SET purpose_id = 'newsletter' WHERE exception_id = 'x1'"),
        {"legal_exceptions"},
    ),
    "policy-delete": (_sql("DELETE FROM policy_revisions"), {"policy_revisions"}),
    "policy-insert": (_insert_revision, {"policy_revisions"}),
    "policy-modify": (_sql("UPDATE policy_revisions SET document = '{}'"), {"policy_revisions"}),
    "provision-delete": (
        _sql("DELETE FROM provision_subjects", "DELETE FROM provisions"),
        {"provisions", "provision_subjects"},
    ),
    "provision-insert": (_insert_record("provisions", "provision_id"), {"provisions"}),
    "provision-modify": (_sql("UPDATE provisions SET recipient_id = 'other'"), {"provisions"}),
    "provision-persons-delete": (
        _sql("DELETE FROM provision_subjects WHERE subject_id = 'S2'"),
        {"provision_subjects"},
    ),
    "provision-persons-insert": (
        _sql(
            "INSERT INTO provision_subjects (provision_id, subject_id, basis, ledger_seq) "
            "SELECT provision_id, 'S3', basis, ledger_seq FROM provision_subjects WHERE subject_id = 'S1'"
        ),
        {"provision_subjects"},
    ),
    "provision-persons-modify": (
        _sql("UPDATE provision_subjects SET basis = 'consent' WHERE subject_id = 'S2'"),
        {"provision_subjects"},
    ),
    "received-delete": (
        _sql("DELETE FROM received_provision_subjects", "DELETE FROM received_provisions"),
        {"received_provisions", "received_provision_subjects"},
    ),
    "received-insert": (_insert_record("received_provisions", "received_id"), {"received_provisions"}),
    "received-modify": (_sql("UPDATE received_provisions SET basis = 'opt_out'"), {"received_provisions"}),
    "received-persons-delete": (
        _sql("DELETE FROM received_provision_subjects WHERE subject_id = 'S2'"),
        {"received_provision_subjects"},
    ),
    "received-persons-insert": (
        _sql(
            "INSERT INTO received_provision_subjects (received_id, subject_id, ledger_seq) "
            "SELECT received_id, 'S3', ledger_seq FROM received_provision_subjects WHERE subject_id = 'S1'"
        ),
        {"received_provision_subjects"},
    ),
    "received-persons-modify": (
        _sql("UPDATE received_provision_subjects SET subject_id = 'S3' WHERE subject_id = 'S2'"),
        {"received_provision_subjects"},
    ),
}


def test_an_honest_store_reconciles(seeded: Engine, tmp_path: Path) -> None:
    with read_scope(seeded) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and rows.ok, rows.finding
        assert rows.rows["consent_events"] == 3 and rows.rows["provision_subjects"] == 2
        assert rows.entries["subject_added"] == 3 and rows.entries["subject_updated"] == 1
    with write_scope(seeded) as s:
        assert binding.check_store(s).ok
    write_snapshot(seeded, tmp_path / "snap")  # allowed


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forged_row_is_named_and_blocks_releases(seeded: Engine, tmp_path: Path, name: str) -> None:
    forge, tables = FORGERIES[name]
    with seeded.begin() as c:
        forge(c)
    with read_scope(seeded) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok  # the chain itself is intact: only the reconciliation sees it
        assert rows.finding is not None and rows.finding.table in tables
        assert not ledger.verify_ledger(s).ok
        text_shown = rows.finding.text()
    for personal in ("S1", "S2", "S3", "s1@example.jp", "090-1111-2222"):
        assert personal not in text_shown
    with pytest.raises(StoreNotReconciled) as refused:
        consent_source(seeded)
    assert refused.value.finding.table in tables
    with pytest.raises(StoreNotReconciled):
        write_snapshot(seeded, tmp_path / "snap")
    assert not (tmp_path / "snap").exists()


def test_the_cheap_check_counts_old_rows_and_reads_only_new_ones(seeded: Engine) -> None:
    """After a successful check, a deleted row is still caught by its table's count; a changed
    old row is caught by the full verify only (documented in docs/ledger.md)."""
    with write_scope(seeded) as s:
        assert binding.check_store(s).ok  # the checked point moves to the head
    with seeded.begin() as c:
        c.execute(text("UPDATE consent_events SET action = 'grant' WHERE event_id = 'w1'"))
    with write_scope(seeded) as s:
        assert binding.check_store(s).ok
    with read_scope(seeded) as s:
        assert not ledger.verify_ledger(s).ok
    with seeded.begin() as c:
        c.execute(text("DELETE FROM consent_events WHERE event_id = 'g2'"))
    with write_scope(seeded) as s:
        finding = binding.check_store(s).finding
    assert finding is not None and finding.table == "consent_events"


def test_rows_written_after_the_checked_point_are_read_one_by_one(seeded: Engine) -> None:
    with write_scope(seeded) as s:
        assert binding.check_store(s).ok
        record_events(s, [event("S3", when="2024-01-01T10:00", event_id="g3")])
    with seeded.begin() as c:
        c.execute(text("UPDATE consent_events SET purpose_id = 'newsletter' WHERE event_id = 'g3'"))
    with write_scope(seeded) as s:
        finding = binding.check_store(s).finding
    assert finding is not None and finding.table == "consent_events" and finding.key == "g3"


def test_an_erased_person_reconciles_as_erased(seeded: Engine) -> None:
    with write_scope(seeded) as s:
        done = erase(s, "S2")
    assert done.rows == {
        "subjects": 1, "consent_events": 1, "legal_exceptions": 1, "provision_subjects": 1,
        "received_provision_subjects": 1,
    }  # fmt: skip
    with read_scope(seeded) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and rows.ok, rows.finding
        # S2's two subject entries, one consent event and one exception
        assert rows.erased == 4 and rows.rows["subjects"] == 2 and rows.rows["provision_subjects"] == 1
        entry = ledger.entry(s, done.ledger_seq)
        assert entry is not None and entry.kind == "erasure" and "S2" not in entry.payload_json + entry.ref
        left = s.execute(text("SELECT count(*) FROM consent_events WHERE subject_id = 'S2'")).scalar_one()
        assert left == 0
    with write_scope(seeded) as s:
        assert binding.check_store(s).ok
    with seeded.begin() as c:  # an erasure explains only its own rows
        c.execute(text("DELETE FROM provision_subjects WHERE subject_id = 'S1'"))
    with read_scope(seeded) as s:
        _, rows = ledger.verify_all(s)
    assert rows.finding is not None and rows.finding.table == "provision_subjects"


def test_the_reconciler_reads_bound_rows_as_every_reader_does(seeded: Engine) -> None:
    """The full verify reads bound rows through the driver's cursor (no Row objects); each column
    must come out exactly as SQLAlchemy gives it to readers (datetimes aware UTC, booleans, dates),
    or a digest would differ from the one the writer sealed."""
    from sqlalchemy import select

    from hogo.domain import binding as b
    from hogo.services.bound_rows import RowCodec

    with read_scope(seeded) as s:
        conn = s.connection()
        for t in b.BOUND:
            table = binding.table_of(t)
            stmt = select(table.c.ledger_seq, *[table.c[c] for c in t.columns]).order_by(
                table.c.ledger_seq, table.c[t.key]
            )
            query = binding._compile(conn.dialect, stmt)
            codec = RowCodec(conn.dialect, t, [c.type for c in stmt.selected_columns], query.processors)
            raw = [
                r for chunk in binding._raw_chunks(conn, query, {}, f"test_{t.name}", chunk=2) for r in chunk
            ]
            fast = [codec.convert(r) for r in raw]
            # and the canonical text straight from the driver's values is the converted row's
            assert [codec.text(r) for r in raw] == [b.row_text(t, row[1:]) for row in fast], t.name
            assert fast == [tuple(r) for r in conn.execute(stmt)], t.name
            assert fast, t.name
            assert [type(v) for row in fast for v in row] == [
                type(v) for r in conn.execute(stmt) for v in r
            ], t.name


def _verdicts(s: Session, **how: int) -> tuple[object, ...]:
    chain, rows = ledger.verify_all(s, **how)
    return chain, rows.finding, rows.entries, rows.rows, rows.erased


def _every_split(engine: Engine) -> None:
    """Verified in two parts, split after every entry, the store gets the whole walk's verdict."""
    with read_scope(engine) as s:
        whole = _verdicts(s)
        for at in range(1, ledger.head(s).seq):
            assert _verdicts(s, split=at) == whole, at


#: Entries broken in the chain itself: a payload changed, an entry deleted.
_CHAIN_BREAKS = {
    "payload": "UPDATE ledger_entries SET payload = '{}' WHERE seq = 6",
    "deleted": "DELETE FROM ledger_entries WHERE seq = 7",
}


@pytest.mark.parametrize("name", ["honest", *FORGERIES, *_CHAIN_BREAKS])
def test_the_chunked_walk_finds_what_the_entry_by_entry_walk_finds(
    seeded: Engine, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ledger.verify_part` walks the chain a chunk at a time and feeds each chunk's entries up
    to the first broken one in one loop (`Reconciler.feed_entries`, the common case decided
    inline): whatever the chunk size, the verdict is the same, and the finding and row counts
    are those `Reconciler.feed`, entry by entry, gives."""
    if name in FORGERIES:
        forge, _ = FORGERIES[name]
        with seeded.begin() as c:
            forge(c)
    elif name in _CHAIN_BREAKS:
        with seeded.begin() as c:
            c.execute(text(_CHAIN_BREAKS[name]))
    with read_scope(seeded) as s:
        whole = _verdicts(s)
        chain, rows = ledger.verify_all(s)
        assert chain.ok == (name not in _CHAIN_BREAKS)
        if chain.ok:
            one_by_one = binding.reconcile_rows(s.connection(), ledger.iter_rows(s))
            assert (rows.finding, rows.rows) == (one_by_one.finding, one_by_one.rows)
        for size in (1, 2, 3, 5):
            monkeypatch.setattr(ledger, "_VERIFY_CHUNK", size)
            assert _verdicts(s) == whole, size


def test_parts_of_an_honest_store_reconcile_as_the_whole(seeded: Engine) -> None:
    """S2's first subject entry is superseded by its update: split between the two, the first
    part leaves it without its row and the second supersedes it."""
    _every_split(seeded)
    with read_scope(seeded) as s:
        chain, rows = ledger.verify_all(s, split=2)
        assert chain.ok and rows.ok and rows.entries["subject_updated"] == 1


@pytest.mark.parametrize("name", list(FORGERIES))
def test_parts_find_every_forged_row_as_the_whole_does(seeded: Engine, name: str) -> None:
    forge, _ = FORGERIES[name]
    with seeded.begin() as c:
        forge(c)
    _every_split(seeded)


def test_parts_of_a_store_with_an_erased_person_reconcile_as_the_whole(seeded: Engine) -> None:
    with write_scope(seeded) as s:
        erase(s, "S2")
    _every_split(seeded)
    with seeded.begin() as c:
        c.execute(text("DELETE FROM provision_subjects WHERE subject_id = 'S1'"))
    _every_split(seeded)


@pytest.mark.parametrize("forged", [False, True])
def test_the_first_part_in_a_process_of_its_own(seeded: Engine, forged: bool) -> None:
    """Two processes read one state (PostgreSQL: the exported snapshot; SQLite: the same head)
    and give the one-process verdict, a forged row included."""
    if forged:
        with seeded.begin() as c:
            c.execute(text("UPDATE consent_events SET action = 'grant' WHERE event_id = 'w1'"))
    with read_scope(seeded) as s:
        whole = _verdicts(s)
        for at in (3, 7):
            assert _verdicts(s, split=at, processes=2) == whole
        entry = ledger.entry(s, 3)
        assert entry is not None
        worker = ledger_part.start(s, tuple(ledger.head(s)), (3, entry.hash), binding.switch_seq(s))
        assert worker is not None and worker.result() is not None  # the other process answered
    assert (whole[1] is not None) == forged


def test_a_part_read_after_the_head_moved_is_walked_again_here(seeded: Engine) -> None:
    """SQLite: the other process reads its own snapshot; when the head it sees is not the one
    this transaction reads (a write in between), its answer is not used and the part is walked
    here. (PostgreSQL's other process reads this transaction's snapshot.)"""
    with read_scope(seeded) as s:
        whole = _verdicts(s)
        with write_scope(seeded) as w:
            record_events(w, [event("S3", when="2024-01-01T10:00", event_id="g3")])
        assert _verdicts(s, split=5, processes=2) == whole
    with read_scope(seeded) as s:
        assert _verdicts(s, split=5, processes=2) == _verdicts(s) != whole
