"""The verifiable log over the ledger: the Merkle tree's node table, signed heads and proofs.

Why a derived index, maintained after the fact: every ledger writer serialises on one lock and a
bulk import holds it for its whole final step, so nothing here runs inside an append. The tree is
extended from its last stored leaf by whoever next needs it (issuing a head, proving an entry):
`catch_up` reads the entries' hashes in chunks of its own short transactions and inserts the new
nodes with INSERT … ON CONFLICT DO NOTHING, so two extenders at once simply agree. A head is only
signed for a size the tree has reached, and one head is kept per size (its root never changes).

Stored: the hash of every perfect subtree of 2**BLOCK_LEVEL = 16 leaves and up (1/8 of all nodes,
about 2.6 M rows for 20 M entries). Smaller subtrees are recomputed from at most 32 entry hashes;
a proof among millions of entries is two indexed reads and a few dozen SHA-256s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from hogo.domain import merkle, transparency
from hogo.domain.ledger import LedgerRow
from hogo.domain.merkle import Node
from hogo.domain.transparency import SignedTreeHead
from hogo.errors import HogoError, InputError, NotFound
from hogo.services import ledger
from hogo.store.database import read_scope, write_scope
from hogo.store.ledger_tree import LedgerTreeHeadRow, LedgerTreeNodeRow
from hogo.store.rows import stored

BLOCK_LEVEL = 4
BLOCK = 1 << BLOCK_LEVEL
#: Leaves read per transaction while catching up (the write lock is held for one chunk at a time).
CHUNK = 1 << 17


class TreeError(HogoError):
    """The stored tree or the ledger does not agree with itself (a forged or damaged store)."""


# --- signing key ---------------------------------------------------------------------------------


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        return transparency.load_private_key(path.read_bytes())
    except (OSError, ValueError):
        raise InputError(
            "台帳の署名鍵を読めません(hogo ledger keygen で作成した Ed25519 鍵を指定してください)",
            "cannot read the ledger signing key (an Ed25519 key made by hogo ledger keygen)",
            field="HOGO_LEDGER_SIGNING_KEY_FILE",
        ) from None


def require_key(path: Path | None) -> Ed25519PrivateKey:
    if path is None:
        raise InputError(
            "台帳の署名鍵が設定されていません(HOGO_LEDGER_SIGNING_KEY_FILE)",
            "no ledger signing key is configured (HOGO_LEDGER_SIGNING_KEY_FILE)",
            field="HOGO_LEDGER_SIGNING_KEY_FILE",
        )
    return load_signing_key(path)


# --- the node table --------------------------------------------------------------------------------


def stored_size(session: Session | Connection) -> int:
    """Leaves covered by stored blocks (a multiple of 16)."""
    top = session.execute(
        select(func.max(LedgerTreeNodeRow.idx)).where(LedgerTreeNodeRow.level == BLOCK_LEVEL)
    ).scalar()
    return 0 if top is None else (int(top) + 1) * BLOCK


def _driver(session: Session | Connection) -> tuple[Any, str]:
    """The DB-API connection under `session` and its parameter marker.

    Why: extending the tree reads one hash per entry and writes one row per 8 entries; the
    driver's own cursor keeps that far below the append's own cost (SQLAlchemy rows would not).
    """
    connection = session.connection() if isinstance(session, Session) else session
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    return connection.connection.driver_connection, mark


def _leaf_hashes(session: Session | Connection, lo: int, hi: int) -> list[bytes]:
    """Leaf hashes of entries lo+1 … hi (seq is 1-based, leaf index 0-based), all of them or an error."""
    dbapi, mark = _driver(session)
    cursor = dbapi.cursor()
    try:
        where = f"seq > {mark} AND seq <= {mark}"
        cursor.execute(f"SELECT seq, hash FROM ledger_entries WHERE {where} ORDER BY seq", (lo, hi))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if len(rows) != hi - lo or (rows and (rows[0][0] != lo + 1 or rows[-1][0] != hi)):
        raise TreeError(
            f"台帳の記録が欠けています(seq {lo + 1}–{hi})", f"ledger entries missing (seq {lo + 1}–{hi})"
        )
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    return [sha256(b"\x00" + fromhex(h)).digest() for _seq, h in rows]


def _block_hash(leaves: Sequence[bytes]) -> bytes:
    level = list(leaves)
    sha256 = hashlib.sha256
    while len(level) > 1:
        level = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def _insert_nodes(session: Session | Connection, rows: list[tuple[int, int, bytes]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike): a node's hash is fixed by
    the entries, so a node another extender stored first is the same node."""
    if not rows:
        return
    dbapi, mark = _driver(session)
    cursor = dbapi.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO ledger_tree_nodes (level, idx, hash) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (level, idx) DO NOTHING",
            rows,
        )
    finally:
        cursor.close()


def extend(session: Session | Connection, upto: int, limit: int | None = None) -> int:
    """Store the nodes of the complete blocks up to `upto` leaves (at most `limit` leaves now), in
    the caller's transaction; returns the size the stored tree covers afterwards."""
    start = stored_size(session)
    target = upto // BLOCK * BLOCK
    if limit is not None:
        target = min(target, start + max(limit // BLOCK, 1) * BLOCK)
    if target <= start:
        return start
    edge = merkle.root_nodes(start)
    known = _stored(session, edge)
    if len(known) != len(edge):
        raise TreeError("マークル木の節が欠けています", "nodes of the Merkle tree are missing")
    frontier = [(lvl, i, h) for (lvl, i), h in known.items()]
    frontier.sort(key=lambda n: -n[0])
    new: list[tuple[int, int, bytes]] = []
    leaves = _leaf_hashes(session, start, target)
    for b in range(len(leaves) // BLOCK):
        lvl, idx, h = BLOCK_LEVEL, start // BLOCK + b, _block_hash(leaves[b * BLOCK : (b + 1) * BLOCK])
        new.append((lvl, idx, h))
        while frontier and frontier[-1][0] == lvl:
            _lvl, _idx, left = frontier.pop()
            lvl, idx, h = lvl + 1, idx >> 1, merkle.node_hash(left, h)
            new.append((lvl, idx, h))
        frontier.append((lvl, idx, h))
    _insert_nodes(session, new)
    return target


def catch_up(db: Engine, chunk: int = CHUNK) -> int:
    """Extend the stored tree to the ledger's current size, one short write transaction per chunk."""
    while True:
        with read_scope(db) as session:
            size, covered = ledger.head(session).seq, stored_size(session)
        if size // BLOCK * BLOCK <= covered:
            return size
        with write_scope(db) as session:
            extend(session, size, limit=chunk)


def _stored(session: Session | Connection, nodes: Sequence[Node]) -> dict[Node, bytes]:
    if not nodes:
        return {}
    dbapi, mark = _driver(session)
    # OR of primary-key equalities: both databases answer it with one index probe per node.
    pairs = " OR ".join([f"(level = {mark} AND idx = {mark})"] * len(nodes))
    cursor = dbapi.cursor()
    try:
        values = [v for n in nodes for v in n]
        cursor.execute(f"SELECT level, idx, hash FROM ledger_tree_nodes WHERE {pairs}", values)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return {(int(lvl), int(i)): bytes(h) for lvl, i, h in rows}


def _spans(nodes: Sequence[Node]) -> list[tuple[int, int]]:
    """The leaf ranges the nodes cover, overlapping or touching ones merged (one read each)."""
    spans: list[tuple[int, int]] = []
    for lo, hi in sorted((i << lvl, (i + 1) << lvl) for lvl, i in nodes):
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans


def node_hashes(session: Session | Connection, nodes: Sequence[Node]) -> dict[Node, bytes]:
    """Hashes of perfect subtrees: big ones from the node table, small ones (and any the table
    has not reached yet) recomputed from the entries, one read per stretch of leaves."""
    wanted = set(nodes)
    found = _stored(session, [n for n in wanted if n[0] >= BLOCK_LEVEL])
    missing = list(wanted - found.keys())
    for lo, hi in _spans(missing):
        leaves = _leaf_hashes(session, lo, hi)
        for lvl, i in missing:
            first = (i << lvl) - lo
            if 0 <= first < hi - lo:
                found[(lvl, i)] = _block_hash(leaves[first : first + (1 << lvl)])
    return found


def root(session: Session | Connection, size: int) -> bytes:
    return merkle.root_from(size, node_hashes(session, merkle.root_nodes(size)))


# --- heads -------------------------------------------------------------------------------------------


def _sth(row: LedgerTreeHeadRow) -> SignedTreeHead:
    head = transparency.TreeHead(row.tree_size, row.root_hash, row.timestamp, row.key_id)
    return SignedTreeHead(head, row.signature)


def latest_head(session: Session, at_least: int = 0) -> SignedTreeHead | None:
    """The newest issued head (of at least `at_least` entries when given)."""
    row = session.scalars(
        select(LedgerTreeHeadRow)
        .where(LedgerTreeHeadRow.tree_size >= at_least)
        .order_by(LedgerTreeHeadRow.tree_size.desc())
        .limit(1)
    ).first()
    return None if row is None else _sth(row)


def head_of_size(session: Session, size: int) -> SignedTreeHead:
    row = stored(
        session,
        LedgerTreeHeadRow,
        size,
        f"大きさ {size} のツリーヘッドは発行されていません",
        f"no head was issued for size {size}",
    )
    return _sth(row)


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def sign_current(session: Session, key: Ed25519PrivateKey) -> SignedTreeHead:
    """In the caller's write transaction: extend the tree to the ledger's size and sign that size
    (or return the head already issued for it)."""
    size = ledger.head(session).seq
    extend(session, size)
    existing = session.get(LedgerTreeHeadRow, size)
    if existing is not None:
        return _sth(existing)
    sth = transparency.sign_head(key, size, root(session, size), _now_text())
    public = transparency.public_key_pem(key.public_key()).decode("ascii")
    session.add(
        LedgerTreeHeadRow(
            tree_size=size,
            root_hash=sth.head.root_hash,
            timestamp=sth.head.timestamp,
            key_id=sth.head.key_id,
            signature=sth.signature,
            public_key=public,
        )
    )
    session.flush()
    return sth


def issue_head(db: Engine, key: Ed25519PrivateKey) -> SignedTreeHead:
    """Catch the tree up in short transactions, then sign the ledger's current size."""
    catch_up(db)
    with write_scope(db) as session:
        return sign_current(session, key)


# --- proofs ------------------------------------------------------------------------------------------


def _entry_json(row: LedgerRow, full: bool) -> dict[str, Any]:
    if not full:
        return {"seq": row.seq, "hash": row.hash}
    return {
        "seq": row.seq,
        "kind": row.kind,
        "ref": row.ref,
        "recorded_at": row.recorded_at,
        "payload": row.payload_json,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _entry(session: Session, seq: int) -> LedgerRow | None:
    """`ledger.entry` through the driver: the ORM's per-call cost was half of a proof's time."""
    dbapi, mark = _driver(session)
    cursor = dbapi.cursor()
    try:
        cursor.execute(
            "SELECT seq, kind, ref, recorded_at, payload, prev_hash, hash FROM ledger_entries "
            f"WHERE seq = {mark}",
            (seq,),
        )
        found = cursor.fetchone()
    finally:
        cursor.close()
    return None if found is None else LedgerRow(*found)


def inclusion(session: Session, seq: int, sth: SignedTreeHead, *, full: bool = True) -> dict[str, Any]:
    """The proof document for entry `seq` in the tree of head `sth` (hogo-ledger-proof/1).

    `full=False` leaves the entry's fields out (only its hash): for readers who may not see the
    personal values in the payload; the proof then shows the hash is in the log, not what it says.
    """
    row = _entry(session, seq)
    if row is None or seq > sth.head.tree_size:
        raise NotFound("その台帳の記録はありません", "no such ledger entry")
    path = merkle.inclusion_proof(seq - 1, sth.head.tree_size, lambda n: node_hashes(session, n))
    return {
        "format": transparency.PROOF_FORMAT,
        "entry": _entry_json(row, full),
        "leaf_index": seq - 1,
        "tree_size": sth.head.tree_size,
        "inclusion_path": [p.hex() for p in path],
        "head": sth.to_json(),
    }


def prove(db: Engine, seq: int, key: Ed25519PrivateKey | None, *, full: bool = True) -> dict[str, Any] | None:
    """The proof of `seq` against the oldest issued head that holds it, issuing one when none does
    and a key is given (None without a key). The head must also match the tree as stored now."""
    with read_scope(db) as session:
        if ledger.entry(session, seq) is None:
            raise NotFound("その台帳の記録はありません", "no such ledger entry")
        sth = _oldest_covering(session, seq)
    if sth is None:
        if key is None:
            return None
        sth = issue_head(db, key)
    with read_scope(db) as session:
        return inclusion(session, seq, sth, full=full)


def receipt_proof(db: Engine, seq: int, key_file: Path | None, *, full: bool) -> dict[str, Any] | None:
    """The proof a consent receipt or disclosure answer carries (None without a key and a head)."""
    return prove(db, seq, None if key_file is None else load_signing_key(key_file), full=full)


def _oldest_covering(session: Session, seq: int) -> SignedTreeHead | None:
    row = session.scalars(
        select(LedgerTreeHeadRow)
        .where(LedgerTreeHeadRow.tree_size >= seq)
        .order_by(LedgerTreeHeadRow.tree_size)
        .limit(1)
    ).first()
    return None if row is None else _sth(row)


@dataclass(frozen=True, slots=True)
class Consistency:
    old: SignedTreeHead
    new: SignedTreeHead
    proof: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": transparency.CONSISTENCY_FORMAT,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "consistency_path": [p.hex() for p in self.proof],
        }


def consistency(session: Session, old: SignedTreeHead, new: SignedTreeHead) -> Consistency:
    """The proof that `new`'s tree extends `old`'s, from the stored tree; refused when the store's
    tree disagrees with either head (the log was rewritten since one was signed)."""
    if old.head.tree_size > new.head.tree_size:
        old, new = new, old
    for sth in (old, new):
        if root(session, sth.head.tree_size) != sth.root():
            raise TreeError(
                f"大きさ {sth.head.tree_size} のツリーヘッドと台帳が一致しません(台帳が書き換えられています)",
                f"the head of size {sth.head.tree_size} does not match the ledger (the log was rewritten)",
            )
    fetch = lambda n: node_hashes(session, n)  # noqa: E731
    proof = merkle.consistency_proof(old.head.tree_size, new.head.tree_size, fetch)
    return Consistency(old, new, proof)


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreeCheck:
    ok: bool
    entries: int
    nodes: int
    heads: int
    problem_ja: str | None = None
    problem_en: str | None = None


def _leaf_stream(session: Session) -> Iterator[bytes]:
    sha256 = hashlib.sha256
    for row in ledger.iter_rows(session):
        yield sha256(b"\x00" + bytes.fromhex(row[6])).digest()


def verify_tree(session: Session) -> TreeCheck:
    """Recompute the tree from every entry and compare every stored node and every issued head."""
    stored = {(int(lvl), int(i)): bytes(h) for lvl, i, h in session.execute(
        select(LedgerTreeNodeRow.level, LedgerTreeNodeRow.idx, LedgerTreeNodeRow.hash))}  # fmt: skip
    heads = {sth.head.tree_size: sth for sth in map(_sth, session.scalars(select(LedgerTreeHeadRow)))}
    totals = (len(stored), len(heads))
    frontier: list[tuple[int, int, bytes]] = []  # perfect subtrees of the prefix read so far
    count = 0
    for leaf in _leaf_stream(session):
        lvl, idx, h = 0, count, leaf
        count += 1
        while True:
            if lvl >= BLOCK_LEVEL and stored.pop((lvl, idx), h) != h:
                return _tree_problem(count, len(heads), f"node ({lvl}, {idx})")
            if not frontier or frontier[-1][0] != lvl:
                break
            _l, _i, left = frontier.pop()
            lvl, idx, h = lvl + 1, idx >> 1, merkle.node_hash(left, h)
        frontier.append((lvl, idx, h))
        sth = heads.pop(count, None)
        if sth is not None and merkle.fold([f[2] for f in frontier]) != sth.root():
            return _tree_problem(count, len(heads), f"signed head of size {count}")
    if stored or heads:
        return _tree_problem(count, len(heads), "nodes or heads beyond the ledger's end")
    return TreeCheck(True, count, *totals)


def _tree_problem(entries: int, heads: int, what: str) -> TreeCheck:
    return TreeCheck(
        False,
        entries,
        0,
        heads,
        f"台帳とマークル木が一致しません: {what}(seq {entries} まで)",
        f"the ledger and its Merkle tree disagree: {what} (at seq {entries})",
    )
