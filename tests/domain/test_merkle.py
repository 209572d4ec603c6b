"""The Merkle tree against published Certificate Transparency vectors, and its properties.

Vectors: transparency-dev/merkle, proof/verify_test.go (commit 02194e9afb6c1d95b5381350007963aa70fff472),
the RFC 6962 reference data also used by google/certificate-transparency: the eight leaf inputs,
the root of every size 1..8, and the inclusion and consistency proofs listed there (their leaf
numbers are 1-based; here indices are 0-based).
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain import merkle
from hogo.domain.merkle import Node, NodeHashes

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# (0-based leaf index, tree size, proof)
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip

LEAVES = [merkle.leaf_hash(d) for d in LEAF_INPUTS]


def fetcher(leaves: Sequence[bytes]) -> merkle.Callable[[Sequence[Node]], NodeHashes]:
    """Node hashes straight from the definition, as a store would serve them."""

    def fetch(nodes: Sequence[Node]) -> NodeHashes:
        return {(lvl, i): merkle.tree_root(leaves[i << lvl : (i + 1) << lvl]) for lvl, i in nodes}

    return fetch


def test_roots_of_every_size_match_the_published_ones() -> None:
    assert merkle.tree_root([]).hex() == EMPTY == merkle.EMPTY_ROOT.hex()
    for size in range(1, 9):
        assert merkle.tree_root(LEAVES[:size]).hex() == ROOTS[size - 1]
        assert merkle.root_from(size, fetcher(LEAVES)(merkle.root_nodes(size))).hex() == ROOTS[size - 1]


def test_published_inclusion_proofs_are_generated_and_verify() -> None:
    for index, size, proof in INCLUSION:
        expected = [bytes.fromhex(p) for p in proof]
        assert merkle.inclusion_proof(index, size, fetcher(LEAVES)) == expected
        assert merkle.verify_inclusion(index, size, LEAVES[index], expected, bytes.fromhex(ROOTS[size - 1]))


def test_published_consistency_proofs_are_generated_and_verify() -> None:
    for old, new, proof in CONSISTENCY:
        expected = [bytes.fromhex(p) for p in proof]
        assert merkle.consistency_proof(old, new, fetcher(LEAVES)) == expected
        old_root, new_root = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
        assert merkle.verify_consistency(old, new, old_root, new_root, expected)
        assert not merkle.verify_consistency(old, new, new_root, old_root, expected)


def test_trivial_consistency_cases_follow_the_reference_verifier() -> None:
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.verify_consistency(0, 0, a, a, [])
    assert merkle.verify_consistency(0, 1, a, b, [])
    assert merkle.verify_consistency(1, 1, b, b, [])
    assert not merkle.verify_consistency(1, 1, a, b, [])
    assert not merkle.verify_consistency(1, 0, a, b, [])
    assert not merkle.verify_consistency(1, 2, a, b, [])
    assert not merkle.verify_consistency(1, 1, a, a, [merkle.EMPTY_ROOT])


def test_a_leaf_cannot_pass_for_a_node() -> None:
    """Domain separation: the two-leaf root is not the leaf hash of the two leaves' concatenation."""
    assert merkle.tree_root(LEAVES[:2]) != merkle.leaf_hash(LEAVES[0] + LEAVES[1])


def _flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


TREE = _leaves(64)


def test_every_leaf_of_every_size_up_to_64_has_a_verifying_proof() -> None:
    fetch = fetcher(TREE)
    for size in range(1, 65):
        root = merkle.tree_root(TREE[:size])
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, fetch)
            assert merkle.verify_inclusion(index, size, TREE[index], proof, root), (index, size)


def test_consistency_verifies_for_every_pair_of_sizes_up_to_64() -> None:
    fetch = fetcher(TREE)
    roots = [merkle.tree_root(TREE[:n]) for n in range(65)]
    for new in range(65):
        for old in range(new + 1):
            proof = merkle.consistency_proof(old, new, fetch)
            assert merkle.verify_consistency(old, new, roots[old], roots[new], proof), (old, new)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_single_bit_change_breaks_an_inclusion_proof(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 64))
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(index, size, fetcher(TREE))
    root, leaf = merkle.tree_root(TREE[:size]), TREE[index]
    # The size is not among them: an RFC 9162 path for leaf 0 of 5 leaves also fits 7 leaves with the
    # same root, since the path itself does not bind the size. The signed head does (the size is
    # signed with the root): tests/domain/test_transparency.py flips it there.
    target = data.draw(st.sampled_from(["leaf", "root", "index", *(["proof"] if proof else [])]))
    bit = data.draw(st.integers(0, 255))
    if target == "leaf":
        leaf = _flip(leaf, bit)
    elif target == "root":
        root = _flip(root, bit)
    elif target == "proof":
        at = data.draw(st.integers(0, len(proof) - 1))
        proof[at] = _flip(proof[at], bit)
    else:
        index ^= 1 << data.draw(st.integers(0, 6))
    assert not merkle.verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_single_bit_change_breaks_a_consistency_proof(data: st.DataObject) -> None:
    new = data.draw(st.integers(2, 64))
    old = data.draw(st.integers(1, new - 1))
    proof = merkle.consistency_proof(old, new, fetcher(TREE))
    old_root, new_root = merkle.tree_root(TREE[:old]), merkle.tree_root(TREE[:new])
    # Sizes are bound by the signed heads, not by the path (see the inclusion property above).
    target = data.draw(st.sampled_from(["old_root", "new_root", "proof"]))
    bit = data.draw(st.integers(0, 255))
    if target == "old_root":
        old_root = _flip(old_root, bit)
    elif target == "new_root":
        new_root = _flip(new_root, bit)
    else:
        at = data.draw(st.integers(0, len(proof) - 1))
        proof[at] = _flip(proof[at], bit)
    assert not merkle.verify_consistency(old, new, old_root, new_root, proof)


def test_proofs_outside_the_tree_are_refused() -> None:
    assert merkle.root_from_inclusion(3, 3, TREE[0], []) is None
    assert not merkle.verify_inclusion(0, 1, b"short", [], b"short")
