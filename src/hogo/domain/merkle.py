"""The Merkle tree over the ledger: RFC 9162 (Certificate Transparency v2, after RFC 6962) §2.1.

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left || right),
so a leaf can never pass for a node (second-preimage attacks). The tree over n leaves splits at
the largest power of two smaller than n, so every tree of size m is a prefix of every larger one:
that is what makes consistency proofs between two heads possible.

A ledger entry's leaf data is the 32 raw bytes of its chain hash (`hogo.domain.ledger.entry_hash`,
hex-decoded). That hash already covers the entry's sequence number, kind, subject, time, payload
and the previous entry's hash, so the leaf commits to the whole entry; a verifier recomputes it
from the entry's fields (`leaf_of_entry`).

Stored trees keep only perfect subtrees ("nodes": level, index = the 2**level leaves from
index * 2**level on). Every hash a proof needs is a fold of at most ~log2(n) such nodes, so the
functions here first name the nodes they need (`*_nodes`) and then assemble the answer from a
mapping of their hashes; the caller fetches them in one query. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence

HASH_SIZE = 32
#: MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: A perfect subtree: (level, index) covers leaves [index << level, (index + 1) << level).
Node = tuple[int, int]
NodeHashes = Mapping[Node, bytes]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_of_entry(entry_hash_hex: str) -> bytes:
    """The leaf hash of a ledger entry, from its chain hash (64 hex digits)."""
    return leaf_hash(bytes.fromhex(entry_hash_hex))


def split(n: int) -> int:
    """k, the largest power of two smaller than n (n ≥ 2): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(lo: int, hi: int) -> list[Node]:
    """The perfect subtrees, left to right, whose right fold is MTH(D[lo:hi]).

    Valid for the ranges the RFC's recursion produces (lo a multiple of the largest power of two
    not above hi - lo), which is every range used here.
    """
    nodes: list[Node] = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        nodes.append((level, lo >> level))
        lo += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect subtrees (left to right): the right fold of `node_hash`."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def root_nodes(size: int) -> list[Node]:
    return range_nodes(0, size)


def root_from(size: int, hashes: NodeHashes) -> bytes:
    return fold([hashes[n] for n in root_nodes(size)])


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf side first."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PROOF(old, D[new]) (RFC 9162 §2.1.4.1), deepest first."""
    if not 0 <= old <= new:
        raise ValueError("the old size must not exceed the new one")
    if old in (0, new):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, whole = 0, new, True
    while old - lo != hi - lo:
        k = split(hi - lo)
        if old - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            whole = False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def nodes_for(ranges: Sequence[tuple[int, int]]) -> list[Node]:
    """Every perfect subtree the given ranges need (to fetch them at once)."""
    return [n for lo, hi in ranges for n in range_nodes(lo, hi)]


def path_from(ranges: Sequence[tuple[int, int]], hashes: NodeHashes) -> list[bytes]:
    return [fold([hashes[n] for n in range_nodes(lo, hi)]) for lo, hi in ranges]


def inclusion_proof(index: int, size: int, fetch: Callable[[Sequence[Node]], NodeHashes]) -> list[bytes]:
    """PATH(index, D[size]); `fetch` maps the named perfect subtrees to their hashes."""
    ranges = inclusion_ranges(index, size)
    return path_from(ranges, fetch(nodes_for(ranges)))


def consistency_proof(old: int, new: int, fetch: Callable[[Sequence[Node]], NodeHashes]) -> list[bytes]:
    """PROOF(old, D[new]); `fetch` maps the named perfect subtrees to their hashes."""
    ranges = consistency_ranges(old, new)
    return path_from(ranges, fetch(nodes_for(ranges)))


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, straight from the definition (tests and small trees)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def _sized(*values: bytes) -> bool:
    return all(len(v) == HASH_SIZE for v in values)


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root a leaf and its path imply (RFC 9162 §2.1.3.2), or None when they cannot fit."""
    if not 0 <= index < size or not _sized(leaf, *proof):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Is `leaf` the index-th leaf of the tree of `size` leaves whose root is `root`?"""
    got = root_from_inclusion(index, size, leaf, proof)
    return got is not None and len(root) == HASH_SIZE and hmac.compare_digest(got, root)


def _trivial_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool | None:
    """The answer for malformed input and the cases needing no path; None for the general case."""
    if not 0 <= old <= new or not _sized(old_root, new_root, *proof):
        return False
    if old == new:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old == 0:
        return not proof
    return False if not proof else None


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Is the tree of `old` leaves (old_root) a prefix of the one of `new` (new_root)? RFC 9162
    §2.1.4.2; the trivial cases (equal sizes, an empty old tree) require an empty proof."""
    trivial = _trivial_consistency(old, new, old_root, new_root, proof)
    if trivial is not None:
        return trivial
    path = list(proof)
    if old & (old - 1) == 0:  # an exact power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)
