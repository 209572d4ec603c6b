"""The stored Merkle tree, signed heads and proofs over a real ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, func, select, update

from hogo.domain import merkle, transparency
from hogo.domain.ledger import EntryKind
from hogo.services import ledger, ledger_tree
from hogo.store.database import read_scope, write_scope
from hogo.store.ledger_tree import LedgerTreeHeadRow, LedgerTreeNodeRow
from hogo.store.tables import LedgerEntryRow, LedgerHeadRow


def _append(engine: Engine, n: int, start: int = 0) -> None:
    with write_scope(engine) as s:
        ledger.append_many(
            s, [(EntryKind.processing, f"subject:S{i}", {"i": i}) for i in range(start, start + n)]
        )


def _leaves(engine: Engine) -> list[bytes]:
    with read_scope(engine) as s:
        return [merkle.leaf_of_entry(r[6]) for r in ledger.iter_rows(s)]


@pytest.fixture()
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_roots_and_proofs_agree_with_the_definition_at_every_size(store: Engine) -> None:
    for step in (1, 5, 16, 17, 40):
        _append(store, step, start=len(_leaves(store)))
        ledger_tree.catch_up(store, chunk=32)
        leaves = _leaves(store)
        with read_scope(store) as s:
            for size in range(1, len(leaves) + 1):
                assert ledger_tree.root(s, size) == merkle.tree_root(leaves[:size])
            n = len(leaves)
            root = merkle.tree_root(leaves)
            for index in (0, n // 2, n - 1):
                path = merkle.inclusion_proof(index, n, lambda nodes: ledger_tree.node_hashes(s, nodes))
                assert merkle.verify_inclusion(index, n, leaves[index], path, root)
    with read_scope(store) as s:
        assert ledger_tree.stored_size(s) == len(leaves) // 16 * 16
        assert ledger_tree.verify_tree(s).ok


def test_extending_twice_or_concurrently_changes_nothing(store: Engine) -> None:
    _append(store, 100)
    ledger_tree.catch_up(store)
    with read_scope(store) as s:
        before = s.execute(select(LedgerTreeNodeRow.level, LedgerTreeNodeRow.idx, LedgerTreeNodeRow.hash).order_by(
            LedgerTreeNodeRow.level, LedgerTreeNodeRow.idx)).all()  # fmt: skip
    with write_scope(store) as s:  # a second extender that started from the same point
        s.execute(delete(LedgerTreeNodeRow).where(LedgerTreeNodeRow.level == ledger_tree.BLOCK_LEVEL,
                                                  LedgerTreeNodeRow.idx >= 4))  # fmt: skip
    ledger_tree.catch_up(store)
    with write_scope(store) as s:
        ledger_tree.extend(s, 100)
        after = s.execute(select(LedgerTreeNodeRow.level, LedgerTreeNodeRow.idx, LedgerTreeNodeRow.hash).order_by(
            LedgerTreeNodeRow.level, LedgerTreeNodeRow.idx)).all()  # fmt: skip
    assert after == before and len(after) == 6 + 3 + 1  # 6 blocks of 16, 3 of 32, 1 of 64


def test_a_head_is_signed_once_per_size_and_proofs_verify_offline(
    store: Engine, key: Ed25519PrivateKey
) -> None:
    _append(store, 37)
    first = ledger_tree.issue_head(store, key)
    assert ledger_tree.issue_head(store, key) == first
    assert first.head.tree_size == 37 and transparency.head_signed_by(first, key.public_key())
    proof = ledger_tree.prove(store, 20, key)
    assert proof is not None and proof["head"] == first.to_json()
    assert transparency.verify_receipt(proof, key.public_key()).ok
    _append(store, 30, start=37)
    second = ledger_tree.issue_head(store, key)
    with read_scope(store) as s:
        c = ledger_tree.consistency(s, first, second)
        assert ledger_tree.latest_head(s) == second
    assert transparency.verify_heads_consistent(first, second, c.proof, [key.public_key()]).ok


def test_no_key_no_head(store: Engine) -> None:
    _append(store, 3)
    assert ledger_tree.prove(store, 2, None) is None


def test_a_rewritten_ledger_no_longer_matches_its_signed_head(store: Engine, key: Ed25519PrivateKey) -> None:
    _append(store, 40)
    old = ledger_tree.issue_head(store, key)
    with write_scope(store) as s:  # rewrite entry 3 and every stored node, keeping the chain valid
        rows = s.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.seq)).all()
        forged = [(r.kind, r.ref, {"i": 99} if r.seq == 3 else json.loads(r.payload)) for r in rows]
        s.execute(delete(LedgerEntryRow))
        s.execute(delete(LedgerTreeNodeRow))
        s.execute(delete(LedgerHeadRow))
        ledger.append_many(s, [(EntryKind(k), ref, p) for k, ref, p in forged])
    with read_scope(store) as s:
        assert ledger.verify_ledger(s).ok  # the chain alone cannot tell
        check = ledger_tree.verify_tree(s)
        assert not check.ok and "40" in (check.problem_en or "")
        with pytest.raises(ledger_tree.TreeError):
            ledger_tree.consistency(s, old, old)
        assert s.scalar(select(func.count()).select_from(LedgerTreeHeadRow)) == 1


def test_a_forged_node_is_found(store: Engine) -> None:
    _append(store, 64)
    ledger_tree.catch_up(store)
    with write_scope(store) as s:
        s.execute(update(LedgerTreeNodeRow).where(LedgerTreeNodeRow.level == 5, LedgerTreeNodeRow.idx == 1)
                  .values(hash=b"\x00" * 32))  # fmt: skip
    with read_scope(store) as s:
        check = ledger_tree.verify_tree(s)
    assert not check.ok and "(5, 1)" in (check.problem_en or "")
