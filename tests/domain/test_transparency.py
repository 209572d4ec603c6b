"""Signed tree heads and the offline verifier: only a proof, a head and a public key are needed."""

from __future__ import annotations

import copy
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain import merkle, transparency
from hogo.domain.ledger import GENESIS, canonical, entry_hash

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def _entries(n: int) -> list[dict[str, Any]]:
    prev, out = GENESIS, []
    for seq in range(1, n + 1):
        payload = canonical({"event": seq, "名前": "値"}).decode()
        at = "2026-12-01T00:00:00.000000+00:00"
        digest = entry_hash(prev, seq, "consent_event", f"subject:S{seq}", at, payload)
        out.append({"seq": seq, "kind": "consent_event", "ref": f"subject:S{seq}", "recorded_at": at,
                    "payload": payload, "prev_hash": prev, "hash": digest})  # fmt: skip
        prev = digest
    return out


ENTRIES = _entries(21)
LEAVES = [merkle.leaf_of_entry(e["hash"]) for e in ENTRIES]


def _fetch(nodes: Any) -> dict[merkle.Node, bytes]:
    return {(lvl, i): merkle.tree_root(LEAVES[i << lvl : (i + 1) << lvl]) for lvl, i in nodes}


def _proof(seq: int, size: int = len(ENTRIES)) -> dict[str, Any]:
    sth = transparency.sign_head(KEY, size, merkle.tree_root(LEAVES[:size]), "2026-12-01T00:00:00.000Z")
    return {
        "format": transparency.PROOF_FORMAT,
        "entry": dict(ENTRIES[seq - 1]),
        "leaf_index": seq - 1,
        "tree_size": size,
        "inclusion_path": [p.hex() for p in merkle.inclusion_proof(seq - 1, size, _fetch)],
        "head": sth.to_json(),
    }


def test_a_proof_verifies_alone_and_inside_a_receipt() -> None:
    proof = _proof(7)
    check = transparency.verify_receipt(proof, KEY.public_key())
    assert check.ok and check.entry_checked and check.seq == 7 and check.tree_size == 21
    receipt = {"record_id": "e1", "ledger": {"seq": 7, "hash": ENTRIES[6]["hash"], "proof": proof}}
    assert transparency.verify_receipt(receipt, KEY.public_key()).ok


def test_a_proof_with_only_the_entry_hash_shows_inclusion_not_contents() -> None:
    proof = _proof(3)
    proof["entry"] = {"seq": 3, "hash": ENTRIES[2]["hash"]}
    check = transparency.verify_receipt(proof, KEY.public_key())
    assert check.ok and not check.entry_checked


def test_another_key_or_a_kept_head_of_another_size_is_refused() -> None:
    proof = _proof(5)
    assert (
        transparency.verify_receipt(proof, OTHER.public_key()).problem_en
        == "the tree head is not signed by this key"
    )
    kept = transparency.SignedTreeHead.from_json(_proof(5, size=9)["head"])
    assert "consistency" in (transparency.verify_receipt(proof, KEY.public_key(), kept).problem_en or "")
    same = transparency.SignedTreeHead.from_json(proof["head"])
    assert transparency.verify_receipt(proof, KEY.public_key(), same).ok


def _flip_hex(value: str, bit: int) -> str:
    data = bytearray(bytes.fromhex(value))
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return data.hex()


def _flip_text(value: str, bit: int) -> str:
    data = bytearray(value.encode())
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return data.decode("utf-8", errors="replace")


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 21), st.integers(0, 1 << 16), st.data())
def test_any_single_bit_change_to_entry_proof_or_head_fails(seq: int, bit: int, data: st.DataObject) -> None:
    proof = _proof(seq)
    forged = copy.deepcopy(proof)
    where = data.draw(st.sampled_from(["entry", "path", "index", "size", "root", "signature", "timestamp"]))
    if where == "entry":
        field = data.draw(st.sampled_from(["kind", "ref", "recorded_at", "payload", "prev_hash", "hash"]))
        value = forged["entry"][field]
        forged["entry"][field] = _flip_hex(value, bit) if field.endswith("hash") else _flip_text(value, bit)
    elif where == "path" and forged["inclusion_path"]:
        at = data.draw(st.integers(0, len(forged["inclusion_path"]) - 1))
        forged["inclusion_path"][at] = _flip_hex(forged["inclusion_path"][at], bit)
    elif where == "index":
        forged["entry"]["seq"] ^= 1 << (bit % 6)
    elif where == "size":
        forged["head"]["tree_size"] ^= 1 << (bit % 6)
        forged["tree_size"] = forged["head"]["tree_size"]
    elif where == "root":
        forged["head"]["root_hash"] = _flip_hex(forged["head"]["root_hash"], bit)
    elif where == "signature":
        forged["head"]["signature"] = _flip_text(forged["head"]["signature"], bit % 512)
    else:
        forged["head"]["timestamp"] = _flip_text(forged["head"]["timestamp"], bit)
    if forged == proof:  # an empty path (nothing to flip) or a flip that changed no character
        return
    assert not transparency.verify_receipt(forged, KEY.public_key()).ok


def test_heads_are_consistent_only_when_the_log_was_extended() -> None:
    old = transparency.sign_head(KEY, 6, merkle.tree_root(LEAVES[:6]), "t1")
    new = transparency.sign_head(KEY, 21, merkle.tree_root(LEAVES), "t2")
    proof = merkle.consistency_proof(6, 21, _fetch)
    assert transparency.verify_heads_consistent(old, new, proof, [OTHER.public_key(), KEY.public_key()]).ok
    rewritten = [*LEAVES[:2], merkle.leaf_hash(b"forged"), *LEAVES[3:]]
    forked = transparency.sign_head(KEY, 21, merkle.tree_root(rewritten), "t2")
    assert not transparency.verify_heads_consistent(old, forked, proof, [KEY.public_key()]).ok
    assert not transparency.verify_heads_consistent(old, new, proof, [OTHER.public_key()]).ok


def test_keys_round_trip_through_pem() -> None:
    pem = transparency.generate_private_key_pem()
    key = transparency.load_private_key(pem)
    public = transparency.load_public_key(transparency.public_key_pem(key.public_key()))
    assert transparency.key_id(public) == transparency.key_id(key.public_key())
