"""Group commit of captures (issue 15): concurrent submissions recorded by one writer in batches,
one ledger entry per event, each caller answered with its own result or its own error; on both
backends. Batches are made deterministic by holding the writer in a first batch (a gate) while
the next items queue up behind it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod
from hogo.errors import Conflict, InputError
from hogo.services import capture, ledger, notice, sites
from hogo.services.consent import RecordResult, record_event_groups
from hogo.services.group_commit import GroupCommit
from hogo.services.policy import apply_policy
from hogo.services.policy_cache import PolicyCache
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from hogo.store.tables import ConsentEventRow, LedgerEntryRow
from tests.embed_helpers import member_token
from tests.factories import at, event, person, policy

Group = tuple[ConsentEvent, ...]
AT = "2024-05-01T10:00"
ORIGIN = "https://shop.example.jp"
SECRET = "group-commit-secret-0123456789abcdefghijklmn"


class Gated:
    """`record_event_groups` that holds its first call until `open()`, counting batch sizes."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[int] = []

    def __call__(self, session: Session, groups: Sequence[Group]) -> list[RecordResult]:
        self.batches.append(len(groups))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.gate.wait(30)
        return record_event_groups(session, groups)

    def open(self) -> None:
        self.gate.set()


@pytest.fixture()
def db(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person(f"P{i}") for i in range(5)])
    return store


@pytest.fixture()
def gated(db: Engine) -> Iterator[tuple[GroupCommit[Group, RecordResult], Gated]]:
    record = Gated()
    queue: GroupCommit[Group, RecordResult] = GroupCommit(db, record)
    yield queue, record
    record.open()
    queue.close()


def _grant(subject: str, event_id: str) -> ConsentEvent:
    return event(subject, "ad_partners", ConsentAction.grant, AT, event_id=event_id)


def _held(queue: GroupCommit[Group, RecordResult], record: Gated) -> Future[RecordResult]:
    """Submit a first item and wait until the writer is inside its batch, so what is submitted
    next forms the following batch."""
    first = queue.submit((_grant("P0", "gate"),))
    assert record.entered.wait(30)
    return first


def _counts(db: Engine) -> tuple[int, int]:
    with read_scope(db) as s:
        events = s.execute(select(func.count()).select_from(ConsentEventRow)).scalar_one()
        entries = s.execute(select(func.count()).select_from(LedgerEntryRow)).scalar_one()
    return events, entries


def _verifies(db: Engine) -> bool:
    with read_scope(db) as s:
        return ledger.verdict(*ledger.verify_all(s)).ok


def test_concurrent_captures_are_all_recorded_with_one_entry_each_in_commit_order(db: Engine) -> None:
    queue: GroupCommit[Group, RecordResult] = GroupCommit(db, record_event_groups)
    before = _counts(db)
    n = 60
    groups = [(_grant(f"P{i % 5}", f"C{i:03d}"),) for i in range(n)]
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = list(pool.map(queue.submit, groups))
        results = [f.result(timeout=60) for f in futures]
    finally:
        queue.close()
    assert results == [RecordResult(recorded=1, already_present=0)] * n
    assert _counts(db) == (before[0] + n, before[1] + n)
    assert _verifies(db)
    with read_scope(db) as s:
        # Each event is bound to its own entry; the chain's order is the order of the rows' seqs.
        seqs = s.execute(
            select(ConsentEventRow.ledger_seq).where(ConsentEventRow.event_id.like("C%"))
        ).scalars()
        assert len(set(seqs)) == n


def test_submissions_behind_a_running_batch_are_committed_together(
    gated: tuple[GroupCommit[Group, RecordResult], Gated], db: Engine
) -> None:
    queue, record = gated
    first = _held(queue, record)
    rest = [queue.submit((_grant("P1", f"B{i}"), _grant("P2", f"B{i}x"))) for i in range(5)]
    record.open()
    assert first.result(timeout=30) == RecordResult(1, 0)
    assert [f.result(timeout=30) for f in rest] == [RecordResult(2, 0)] * 5
    assert record.batches == [1, 5]
    assert _verifies(db)


def test_one_failing_item_gets_its_error_and_the_others_are_recorded(
    gated: tuple[GroupCommit[Group, RecordResult], Gated], db: Engine
) -> None:
    queue, record = gated
    first = _held(queue, record)
    before = _counts(db)
    good = [queue.submit((_grant("P1", f"G{i}"),)) for i in range(3)]
    unknown = queue.submit((_grant("NOBODY", "G-bad"),))  # the person is not registered
    more = queue.submit((_grant("P3", "G9"),))
    record.open()
    first.result(timeout=30)
    assert [f.result(timeout=30) for f in [*good, more]] == [RecordResult(1, 0)] * 4
    with pytest.raises(InputError):
        unknown.result(timeout=30)
    # The failed batch wrote nothing; each good item was then recorded in its own transaction.
    assert record.batches == [1, 5, 1, 1, 1, 1, 1]
    assert _counts(db) == (before[0] + 1 + 4, before[1] + 1 + 4)
    assert _verifies(db)


def test_duplicate_ids_within_one_batch_behave_as_one_after_the_other(
    gated: tuple[GroupCommit[Group, RecordResult], Gated], db: Engine
) -> None:
    queue, record = gated
    first = _held(queue, record)
    same = _grant("P1", "D1")
    a = queue.submit((same,))
    b = queue.submit((same, _grant("P2", "D2")))  # a retry of D1 with one more event
    record.open()
    first.result(timeout=30)
    assert a.result(timeout=30) == RecordResult(recorded=1, already_present=0)
    assert b.result(timeout=30) == RecordResult(recorded=1, already_present=1)
    assert record.batches == [1, 2]
    # The same id with other content in one batch: the first wins, the second is refused as today.
    second = Gated()
    again: GroupCommit[Group, RecordResult] = GroupCommit(db, second)
    try:
        held = again.submit((_grant("P0", "gate2"),))
        assert second.entered.wait(30)
        x = again.submit((_grant("P3", "D3"),))
        y = again.submit((event("P3", "ad_partners", ConsentAction.deny, AT, event_id="D3"),))
        replay = again.submit((same,))
        second.open()
        held.result(timeout=30)
        assert x.result(timeout=30) == RecordResult(1, 0)
        with pytest.raises(Conflict):
            y.result(timeout=30)
        assert replay.result(timeout=30) == RecordResult(recorded=0, already_present=1)
    finally:
        second.open()
        again.close()
    with read_scope(db) as s:
        kept = s.get(ConsentEventRow, "D3")
        assert kept is not None and kept.action == "grant"
    assert _verifies(db)


def test_close_records_what_is_queued_before_stopping(
    gated: tuple[GroupCommit[Group, RecordResult], Gated], db: Engine
) -> None:
    queue, record = gated
    first = _held(queue, record)
    before = _counts(db)
    pending = [queue.submit((_grant("P4", f"S{i}"),)) for i in range(4)]
    closing = threading.Thread(target=queue.close)
    closing.start()  # waits for the writer: the queued items are recorded first
    record.open()
    closing.join(60)
    assert not closing.is_alive()
    assert first.result(timeout=0) == RecordResult(1, 0)
    assert [f.result(timeout=0) for f in pending] == [RecordResult(1, 0)] * 4
    assert _counts(db) == (before[0] + 5, before[1] + 5)
    # A submission after close starts a new writer.
    assert queue.submit((_grant("P4", "S-after"),)).result(timeout=30) == RecordResult(1, 0)


def test_a_submission_cancelled_before_its_batch_is_not_recorded(
    gated: tuple[GroupCommit[Group, RecordResult], Gated], db: Engine
) -> None:
    queue, record = gated
    first = _held(queue, record)
    gone = queue.submit((_grant("P1", "X1"),))
    kept = queue.submit((_grant("P1", "X2"),))
    assert gone.cancel()  # the client went away while it waited
    record.open()
    first.result(timeout=30)
    assert kept.result(timeout=30) == RecordResult(1, 0)
    with read_scope(db) as s:
        assert s.get(ConsentEventRow, "X1") is None


def test_notice_choices_through_the_group_commit_spend_each_ticket_once(db: Engine) -> None:
    """The consent notice's batch (`notice.record_prepared`): tickets spent at once, a ticket
    queued twice recorded once and refused once, the others recorded, on both backends."""
    with write_scope(db) as s:
        _, key = sites.add_site(s, "shop", "shop", [ORIGIN], secret_key=SECRET)
    page = notice.PageContext(origin=ORIGIN, user_agent_family="Chrome", gpc=False)
    prepared = []
    for n in range(5):
        asked = notice.show(db, member_token(key, "shop", f"P{n}"), page, secret_key=SECRET)
        with read_scope(db) as s:
            choice = [(asked.notices["ja"].sections[0].purpose_id, ConsentAction.grant)]
            prepared.append(notice.prepare(s, asked.ticket, ORIGIN, choice, "ja", secret_key=SECRET))
    before = _counts(db)
    queue: GroupCommit[notice.PreparedChoices, notice.Recorded] = GroupCommit(db, notice.record_prepared)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = list(pool.map(queue.submit, [*prepared, prepared[0]]))
        outcomes = [f.exception(timeout=60) or f.result() for f in futures]
    finally:
        queue.close()
    refused = [o for o in outcomes if isinstance(o, sites.TokenRefused)]
    recorded = [o for o in outcomes if isinstance(o, notice.Recorded)]
    assert len(refused) == 1 and len(recorded) == 5
    assert {r.events[0].subject_id for r in recorded} == {f"P{n}" for n in range(5)}
    assert all(r.result == RecordResult(recorded=1, already_present=0) for r in recorded)
    assert _counts(db) == (before[0] + 5, before[1] + 5)
    assert _verifies(db)


def test_api_captures_in_one_batch_answer_as_one_after_the_other(db: Engine) -> None:
    """`POST /api/v1/consents` through its group commit (`capture.record_prepared`): a key sent
    twice in one batch records once and both get the first answer; a key answered in an earlier
    batch is replayed; the same key with another request refuses the batch, which the group
    commit then records one by one (only that capture gets the 409)."""
    policies = PolicyCache()
    details = capture.CaptureDetails("P1", at(AT), ConsentMethod.web_form)
    choice = [capture.Choice("ad_partners", ConsentAction.grant)]

    def prepared(key: str, bound_to: str, subject: str = "P1") -> capture.PreparedCapture:
        asked = capture.CaptureRequest(
            replace(details, subject_id=subject), choice, False, lambda i: f"{key}-{subject}-{i}",
            capture.Once("token:1", key, bound_to), lambda done: f"{done.events[0].event_id}:{done.result.recorded}",
        )  # fmt: skip
        with read_scope(db) as s:
            return capture.prepare(s, asked, policies=policies)

    k1, again, other = prepared("k1", "h1"), prepared("k1", "h1"), prepared("k2", "h2", "P2")
    events, entries = _counts(db)
    with write_scope(db) as s:
        answers = capture.record_prepared(s, [k1, again, other], policies=policies)
    assert answers == [capture.Answer("k1-P1-0:1"), capture.Answer("k1-P1-0:1"), capture.Answer("k2-P2-0:1")]
    assert _counts(db) == (events + 2, entries + 2)
    with write_scope(db) as s:
        assert capture.record_prepared(s, [again], policies=policies) == [capture.Answer("k1-P1-0:1", True)]
    queue = capture.captures_queue(db, policies)
    try:
        futures = [queue.submit(p) for p in (prepared("k3", "h3", "P3"), prepared("k1", "changed"))]
        assert futures[0].result(timeout=30) == capture.Answer("k3-P3-0:1")
        with pytest.raises(Conflict):
            futures[1].result(timeout=30)
    finally:
        queue.close()
    assert _counts(db) == (events + 3, entries + 3)
    assert _verifies(db)
