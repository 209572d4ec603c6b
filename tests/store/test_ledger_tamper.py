"""Any modification, deletion, insertion or reordering of ledger entries is detected."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from hogo.domain.ledger import EntryKind
from hogo.services import ledger
from hogo.store.database import read_scope, write_scope
from hogo.store.tables import LedgerEntryRow, LedgerHeadRow


def _fill(engine: Engine, n: int = 10) -> None:
    with write_scope(engine) as s:
        ledger.append_many(
            # a kind that binds no row: these entries test the chain alone
            s,
            [(EntryKind.processing, f"subject:S{i}", {"i": i, "名前": "値"}) for i in range(n)],
        )


def _modify(s: Session) -> None:
    s.execute(update(LedgerEntryRow).where(LedgerEntryRow.seq == 4).values(payload='{"i":99}'))


def _modify_and_rehash_entry(s: Session) -> None:
    row = s.get_one(LedgerEntryRow, 4)
    row.ref = "subject:other"  # the hash no longer fits, and recomputing it would break seq 5's link


def _delete(s: Session) -> None:
    s.execute(delete(LedgerEntryRow).where(LedgerEntryRow.seq == 4))


def _insert(s: Session) -> None:
    """Shift the tail and slip a forged entry in at seq 4."""
    rows = s.execute(
        select(LedgerEntryRow).where(LedgerEntryRow.seq >= 4).order_by(LedgerEntryRow.seq.desc())
    ).scalars()
    for r in rows:
        r.seq = r.seq + 1
        s.flush()
    s.execute(insert(LedgerEntryRow).values(seq=4, kind="consent_event", ref="subject:X", recorded_at="x",
                                            payload="{}", prev_hash="0" * 64, hash="f" * 64))  # fmt: skip


def _reorder(s: Session) -> None:
    a, b = s.get_one(LedgerEntryRow, 4), s.get_one(LedgerEntryRow, 5)
    a.seq, b.seq = -1, -2
    s.flush()
    a.seq, b.seq = 5, 4


def _truncate_tail(s: Session) -> None:
    s.execute(delete(LedgerEntryRow).where(LedgerEntryRow.seq >= 9))


def _rewrite_head(s: Session) -> None:
    s.execute(update(LedgerHeadRow).values(hash="e" * 64))


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [
        (_modify, 4),
        (_modify_and_rehash_entry, 4),
        (_delete, 4),
        (_insert, 4),
        (_reorder, 4),
        (_truncate_tail, 9),
        (_rewrite_head, 11),
    ],
    ids=["modify", "modify-ref", "delete", "insert", "reorder", "truncate-tail", "head"],
)
def test_tampering_is_detected_at_the_first_bad_entry(
    store: Engine, tamper: Callable[[Session], None], first_bad: int
) -> None:
    _fill(store)
    with write_scope(store) as s:
        assert ledger.verify_ledger(s).ok
    with write_scope(store) as s:
        tamper(s)
    with write_scope(store) as s:
        result = ledger.verify_ledger(s)
    assert not result.ok
    assert result.first_bad_seq == first_bad
    assert result.problem


@pytest.mark.parametrize(
    "tamper",
    [_modify, _modify_and_rehash_entry, _delete, _insert, _reorder, _truncate_tail, _rewrite_head],
    ids=["modify", "modify-ref", "delete", "insert", "reorder", "truncate-tail", "head"],
)
def test_the_chain_verified_in_two_parts_breaks_where_the_whole_does(
    store: Engine, tamper: Callable[[Session], None]
) -> None:
    """Each part is walked from the entry before it; split anywhere, in this process or in
    another one, the verdict is the whole walk's."""
    _fill(store)
    with write_scope(store) as s:
        tamper(s)
    with read_scope(store) as s:
        whole = ledger.verify_ledger(s)
        for at in range(1, 12):
            assert ledger.verdict(*ledger.verify_all(s, split=at)) == whole, at
        assert ledger.verdict(*ledger.verify_all(s, split=6, processes=2)) == whole


def test_appends_continue_the_chain_across_transactions(store: Engine) -> None:
    _fill(store, 3)
    _fill(store, 3)
    with write_scope(store) as s:
        result = ledger.verify_ledger(s)
        assert result.ok and result.entries == 6
        assert [r.seq for r in ledger.entries_for(s, "subject:S1")] == [2, 5]
