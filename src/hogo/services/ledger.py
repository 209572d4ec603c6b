"""Appending to and verifying the tamper-evident ledger."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from hogo.domain.ledger import (
    GENESIS,
    SEPARATOR,
    EntryKind,
    LedgerRow,
    Verification,
    canonical,
    entry_hash,
    verify_chain,
)
from hogo.store.tables import LedgerEntryRow, LedgerHeadRow

_BATCH = 5_000


def _head(session: Session) -> tuple[int, str]:
    """The chain's head, locked for the rest of the transaction where the database can lock."""
    row = session.execute(select(LedgerHeadRow).where(LedgerHeadRow.id == 1).with_for_update()).scalar()
    if row is None:
        return 0, GENESIS
    return row.seq, row.hash


class Head(NamedTuple):
    """The chain's size (the last entry's sequence number) and the hash at its head."""

    seq: int
    hash: str


def head(session: Session) -> Head:
    """The head as any reader may see it (no lock, no verification). The sequence changes with
    every recorded fact, so it also keys caches of what is derived from the store."""
    row = session.scalar(select(LedgerHeadRow).where(LedgerHeadRow.id == 1))
    return Head(0, GENESIS) if row is None else Head(row.seq, row.hash)


def lock_head(session: Session) -> None:
    """Serialise this transaction with every other ledger writer from here on.

    Why: a writer that derives a value from existing rows before appending (the next incident
    number) must not run beside another such writer; the ledger head is the lock they all take.
    SQLite writers are serialised by their write transaction already.
    """
    _head(session)


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def append(session: Session, kind: EntryKind, ref: str, payload: Mapping[str, Any]) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    return append_many(session, [(kind, ref, payload)])[0]


def append_many(session: Session, entries: Sequence[tuple[EntryKind, str, Mapping[str, Any]]]) -> list[int]:
    """Append entries in order, in the caller's transaction, hashing each onto the chain."""
    if not entries:
        return []
    seq, prev = _head(session)
    first = seq + 1
    recorded_at = _now_text()
    rows: list[dict[str, Any]] = []
    for kind, ref, payload in entries:
        if SEPARATOR in ref:
            raise ValueError("ledger ref contains a control character")
        seq += 1
        payload_json = canonical(dict(payload)).decode("utf-8")
        digest = entry_hash(prev, seq, kind.value, ref, recorded_at, payload_json)
        rows.append(
            {
                "seq": seq,
                "kind": kind.value,
                "ref": ref,
                "recorded_at": recorded_at,
                "payload": payload_json,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    for i in range(0, len(rows), _BATCH):
        session.execute(insert(LedgerEntryRow), rows[i : i + _BATCH])
    if first == 1:
        session.execute(insert(LedgerHeadRow).values(id=1, seq=seq, hash=prev))
    else:
        session.execute(update(LedgerHeadRow).where(LedgerHeadRow.id == 1).values(seq=seq, hash=prev))
    return list(range(first, seq + 1))


_COLUMNS = ("seq", "kind", "ref", "recorded_at", "payload", "prev_hash", "hash")


def append_prepared(
    connection: Connection, kind: EntryKind, batches: Iterable[Sequence[tuple[str, str]]]
) -> tuple[int, int]:
    """Append many entries of one kind whose payloads are already canonical JSON; returns the
    (first, last) sequence numbers given (last = first - 1 when there were none).

    For bulk imports: the caller has staged (ref, payload_json) pairs and holds nothing but this
    transaction. The head is locked first (PostgreSQL; SQLite's caller took the write lock), then
    each batch is hashed onto the chain and written with the driver's fastest path (COPY on
    PostgreSQL, executemany on SQLite) and the head moves once. ``batches`` is read lazily,
    between writes, so it may query the same connection.
    """
    row = connection.execute(
        select(LedgerHeadRow.seq, LedgerHeadRow.hash).where(LedgerHeadRow.id == 1).with_for_update()
    ).first()
    start_seq, prev = (row[0], row[1]) if row is not None else (0, GENESIS)
    seq = start_seq
    recorded_at = _now_text()
    is_pg = connection.dialect.name == "postgresql"
    dbapi: Any = connection.connection.driver_connection
    sep = SEPARATOR
    kind_text = kind.value
    tail = f"{sep}{kind_text}{sep}"
    sha256 = hashlib.sha256
    for batch in batches:
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        for ref, payload_json in batch:
            if sep in ref:
                raise ValueError("ledger ref contains a control character")
            seq += 1
            digest = sha256(
                f"{prev}{sep}{seq}{tail}{ref}{sep}{recorded_at}{sep}{payload_json}".encode()
            ).hexdigest()
            append((seq, kind_text, ref, recorded_at, payload_json, prev, digest))
            prev = digest
        if not rows:
            continue
        if is_pg:
            with dbapi.cursor() as cursor, cursor.copy(_COPY_SQL) as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            dbapi.executemany(_INSERT_SQL, rows)
    if seq != start_seq:
        if row is None:
            connection.execute(insert(LedgerHeadRow).values(id=1, seq=seq, hash=prev))
        else:
            connection.execute(update(LedgerHeadRow).where(LedgerHeadRow.id == 1).values(seq=seq, hash=prev))
    return start_seq + 1, seq


_COPY_SQL = f"COPY ledger_entries ({', '.join(_COLUMNS)}) FROM STDIN"
_INSERT_SQL = f"INSERT INTO ledger_entries ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_ROWS_SQL = "SELECT seq, kind, ref, recorded_at, payload, prev_hash, hash FROM ledger_entries ORDER BY seq"


def iter_rows(session: Session, chunk: int = 50_000) -> Iterator[tuple[Any, ...]]:
    """Stream the ledger in sequence order as plain tuples, without loading it whole.

    The DB-API cursor is used directly: the ORM's per-row cost would dominate verification.
    (A named server-side cursor on PostgreSQL keeps memory flat for very long ledgers.)
    """
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    is_pg = session.get_bind().dialect.name == "postgresql"
    cursor = dbapi.cursor(name="hogo_ledger_verify") if is_pg else dbapi.cursor()
    try:
        cursor.execute(_ROWS_SQL)
        while rows := cursor.fetchmany(chunk):
            yield from rows
    finally:
        cursor.close()


def verify_ledger(session: Session) -> Verification:
    head = session.execute(select(LedgerHeadRow).where(LedgerHeadRow.id == 1)).scalar()
    return verify_chain(iter_rows(session), expected_head=head.hash if head else GENESIS)


def entries_for(session: Session, ref: str) -> list[LedgerRow]:
    rows = session.execute(
        select(LedgerEntryRow).where(LedgerEntryRow.ref == ref).order_by(LedgerEntryRow.seq)
    ).scalars()
    return [LedgerRow(r.seq, r.kind, r.ref, r.recorded_at, r.payload, r.prev_hash, r.hash) for r in rows]


def entry(session: Session, seq: int) -> LedgerRow | None:
    r = session.get(LedgerEntryRow, seq)
    return (
        None if r is None else LedgerRow(r.seq, r.kind, r.ref, r.recorded_at, r.payload, r.prev_hash, r.hash)
    )
