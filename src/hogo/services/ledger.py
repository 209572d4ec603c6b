"""Appending to and verifying the tamper-evident ledger."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Generator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, NoReturn

from sqlalchemy import Connection, Table, bindparam, func, insert, inspect, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hogo.domain.binding import BOUND_KINDS
from hogo.domain.clock import to_jst
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
from hogo.domain.shredding import LEGACY_REF, PERSON_REF, legacy_ref, person_ref
from hogo.services import collector, ledger_part
from hogo.services.binding import Part, Reconciler, Reconciliation, combine, switch_seq, tallies
from hogo.store.bulk import write_rows
from hogo.store.tables import (
    UNINDEXED_REF_KIND,
    ConsentEventRow,
    LedgerEntryRow,
    LedgerHeadRow,
    LedgerTallyRow,
    PersonKeyRow,
    SubjectRow,
)

# The head's statements, built once: building them cost more than running them on every group
# commit's append (issue 15).
_HEAD_TABLE: Table = LedgerHeadRow.__table__  # type: ignore[assignment]
_LOCK_HEAD = select(_HEAD_TABLE.c.seq, _HEAD_TABLE.c.hash).where(_HEAD_TABLE.c.id == 1).with_for_update()
_NEW_HEAD = insert(_HEAD_TABLE).values(id=1, seq=bindparam("new_seq"), hash=bindparam("new_hash"))
_MOVE_HEAD = (
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _locked_head(connection: Connection) -> tuple[int, str] | None:
    """The head's (seq, hash), locked for the append (PostgreSQL), or None for an empty ledger."""
    row = connection.execute(_LOCK_HEAD).first()
    return None if row is None else (row[0], row[1])


def _move_head(connection: Connection, existed: bool, seq: int, digest: str) -> None:
    """Point the head at the last entry appended (creating it for the first one)."""
    connection.execute(_MOVE_HEAD if existed else _NEW_HEAD, {"new_seq": seq, "new_hash": digest})


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


def next_case_id(session: Session, id_column: InstrumentedAttribute[str], kind: str, at: datetime) -> str:
    """The next number of a case in `at`'s year in Japan, `{kind}-{year}-{n:04d}` (INC-2026-0001,
    RR-2026-0001), taken under the ledger head's lock so two cases opened at once do not take the
    same number."""
    lock_head(session)
    prefix = f"{kind}-{to_jst(at).year}-"
    count = session.scalar(select(func.count()).where(id_column.startswith(prefix)))
    return f"{prefix}{(count or 0) + 1:04d}"


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
    rows: list[tuple[Any, ...]] = []
    for kind, ref, payload in entries:
        if SEPARATOR in ref:
            raise ValueError("ledger ref contains a control character")
        seq += 1
        payload_json = canonical(dict(payload)).decode("utf-8")
        digest = entry_hash(prev, seq, kind.value, ref, recorded_at, payload_json)
        rows.append((seq, kind.value, ref, recorded_at, payload_json, prev, digest))
        prev = digest
    session.flush()  # rows the caller added before this entry are written before it, as before
    connection = session.connection()
    _write_rows(connection, rows)
    _move_head(connection, first != 1, seq, prev)
    return list(range(first, seq + 1))


_COLUMNS = ("seq", "kind", "ref", "recorded_at", "payload", "prev_hash", "hash")


def _write_rows(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Write entry rows (in `_COLUMNS` order) with the driver's fastest path (`store.bulk`). Why:
    the ORM's bulk insert spent more time per entry than hashing and writing it (about 35 µs of
    100 µs per appended consent event)."""
    if rows:
        write_rows(connection, "ledger_entries", _COLUMNS, rows)


def append_prepared(
    connection: Connection, kind: EntryKind, batches: Iterable[Sequence[tuple[str, str]]]
) -> tuple[int, int]:
    """Append many entries of one kind whose payloads are already canonical JSON; returns the
    (first, last) sequence numbers given (last = first - 1 when there were none).

    For batches encoded by `services.event_payloads` (a bulk import's staged pairs, a batch of
    `consent.record_events`), in the caller's transaction (a bulk import holds nothing else).
    The head is locked first (PostgreSQL; SQLite's caller took the write lock), then each batch is
    hashed onto the chain and written with the driver's fastest path (COPY on PostgreSQL,
    executemany on SQLite) and the head moves once. ``batches`` is read lazily, between writes,
    so it may query the same connection.
    """
    row = _locked_head(connection)
    start_seq, prev = (row[0], row[1]) if row is not None else (0, GENESIS)
    seq = start_seq
    recorded_at = _now_text()
    sep = SEPARATOR
    kind_text = kind.value
    tail = f"{sep}{kind_text}{sep}"
    at = f"{sep}{recorded_at}{sep}"  # `entry_hash`'s text: the same for every entry of the append
    sha256 = hashlib.sha256
    for batch in batches:
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        for ref, payload_json in batch:
            if sep in ref:
                raise ValueError("ledger ref contains a control character")
            seq += 1
            digest = sha256(f"{prev}{sep}{seq}{tail}{ref}{at}{payload_json}".encode()).hexdigest()
            append((seq, kind_text, ref, recorded_at, payload_json, prev, digest))
            prev = digest
        _write_rows(connection, rows)
    if seq != start_seq:
        _move_head(connection, row is not None, seq, prev)
    return start_seq + 1, seq


def append_staged(connection: Connection, kind: EntryKind, source: Table) -> tuple[int, int]:
    """Append one entry of ``kind`` per row of ``source`` (columns ``n`` = 1..count in chain order,
    ``ref``, ``payload`` = canonical JSON), in the caller's transaction; returns (first, last) seq.

    Why: a bulk import holds the ledger lock while this runs, and every other writer waits for it.
    On SQLite the chain is built inside one INSERT…SELECT: SQLite scans the staged rows in ``n``
    order and calls Python functions for each row's prev_hash and hash, so no row crosses into
    Python objects or back through parameter binding (the hash itself is the only per-row Python
    work left; it needs the head, so it cannot be done before the lock). The functions check that
    rows arrive in order 1, 2, 3, … and prev_hash before hash, so another evaluation order fails
    (and rolls back) instead of writing a wrong chain. PostgreSQL does the same with a recursive
    query (`_append_staged_pg`).
    """
    if connection.dialect.name != "sqlite":
        return _append_staged_pg(connection, kind, source)
    row = _locked_head(connection)
    start_seq, head = (row[0], row[1]) if row is not None else (0, GENESIS)
    chain = _Chain(start_seq, head, kind.value, _now_text())
    dbapi: Any = connection.connection.driver_connection
    dbapi.create_function(_PREV_FUNCTION, 1, chain.prev_of)
    dbapi.create_function(_CHAIN_FUNCTION, 3, chain)
    try:
        quote = connection.dialect.identifier_preparer.quote
        # Result columns are computed left to right for each row: prev_hash, then hash. Both
        # functions check that (and the order of n), so a different evaluation fails instead.
        connection.exec_driver_sql(
            f"INSERT INTO ledger_entries ({', '.join(_COLUMNS)}) "
            f"SELECT n + ?, ?, ref, ?, payload, {_PREV_FUNCTION}(n), {_CHAIN_FUNCTION}(n, ref, payload) "
            f"FROM {quote(source.name)} ORDER BY n",
            (start_seq, chain.kind, chain.recorded_at),
        )
    except Exception as exc:
        if chain.problem is not None:  # SQLite reports only that the function raised
            raise ValueError(chain.problem) from exc
        raise
    finally:
        dbapi.create_function(_CHAIN_FUNCTION, 3, None)
        dbapi.create_function(_PREV_FUNCTION, 1, None)
    if chain.seq != start_seq:
        _move_head(connection, row is not None, chain.seq, chain.prev)
    return start_seq + 1, chain.seq


def _append_staged_pg(connection: Connection, kind: EntryKind, source: Table) -> tuple[int, int]:
    """`append_staged` on PostgreSQL: the chain is built by the server in one recursive
    INSERT…SELECT (row n's hash from row n-1's, with the same text `entry_hash` hashes).

    Why: reading a million staged rows into Python, hashing them and COPYing them back took
    about half of the import's locked step (9 s of server and 6 s of client time, one after the
    other); hashing in the server costs about 5 s and moves no row across the connection. The
    recursion follows n = 1, 2, 3, …, so a missing or repeated number stops it short and the
    count check refuses the whole step instead of writing a wrong chain.
    """
    count = int(connection.execute(select(func.count()).select_from(source)).scalar() or 0)
    bad_ref = connection.execute(
        select(func.count()).select_from(source).where(func.strpos(source.c.ref, SEPARATOR) > 0)
    ).scalar()
    if bad_ref:
        raise ValueError("ledger ref contains a control character")
    row = _locked_head(connection)
    start_seq, head = (row[0], row[1]) if row is not None else (0, GENESIS)
    if count == 0:
        return start_seq + 1, start_seq
    recorded_at = _now_text()
    quote = connection.dialect.identifier_preparer.quote
    written = connection.exec_driver_sql(
        "WITH RECURSIVE chain (n, ref, payload, prev_hash, hash) AS ("
        " SELECT 0, NULL::text, NULL::text, NULL::text, %(head)s::text"
        " UNION ALL"
        " SELECT s.n, s.ref, s.payload, chain.hash, encode(sha256(convert_to("
        "chain.hash || %(sep)s || (%(start)s::bigint + s.n)::text || %(tail)s || s.ref || %(at)s"
        " || s.payload, 'UTF8')), 'hex')"
        f" FROM chain JOIN {quote(source.name)} AS s ON s.n = chain.n + 1)"
        f" INSERT INTO ledger_entries ({', '.join(_COLUMNS)})"
        " SELECT %(start)s::bigint + n, %(kind)s, ref, %(recorded_at)s, payload, prev_hash, hash"
        " FROM chain WHERE n > 0",
        {
            "head": head,
            "sep": SEPARATOR,
            "start": start_seq,
            "tail": f"{SEPARATOR}{kind.value}{SEPARATOR}",
            "at": f"{SEPARATOR}{recorded_at}{SEPARATOR}",
            "kind": kind.value,
            "recorded_at": recorded_at,
        },
    ).rowcount
    if written != count:
        raise ValueError(_OUT_OF_ORDER)
    last = start_seq + count
    last_hash = connection.execute(select(LedgerEntryRow.hash).where(LedgerEntryRow.seq == last)).scalar_one()
    _move_head(connection, row is not None, last, last_hash)
    return start_seq + 1, last


_CHAIN_FUNCTION = "hogo_ledger_chain"
_PREV_FUNCTION = "hogo_ledger_prev"
_OUT_OF_ORDER = "staged ledger rows are not numbered 1, 2, 3, … in order"


class _Chain:
    """The SQL functions of `append_staged`: row ``n``'s prev_hash, then its hash onto the chain."""

    def __init__(self, start_seq: int, prev: str, kind: str, recorded_at: str) -> None:
        self.start_seq = start_seq
        self.seq = start_seq
        self.prev = prev
        self.kind = kind
        self.recorded_at = recorded_at
        self._tail = f"{SEPARATOR}{kind}{SEPARATOR}"
        self._at = f"{SEPARATOR}{recorded_at}{SEPARATOR}"
        self.problem: str | None = None
        self._pending: int | None = None

    def prev_of(self, n: int) -> str:
        """prev_hash of row ``n``: the chain's current end (``n`` must be the next row)."""
        if n != self.seq - self.start_seq + 1 or self._pending is not None:
            self._fail(_OUT_OF_ORDER)
        self._pending = n
        return self.prev

    def __call__(self, n: int, ref: str, payload: str) -> str:
        """hash of row ``n``, right after its prev_hash was read; the chain's end moves on."""
        if n != self._pending:
            self._fail(_OUT_OF_ORDER)
        if SEPARATOR in ref:
            self._fail("ledger ref contains a control character")
        seq = self.seq + 1
        text = f"{self.prev}{SEPARATOR}{seq}{self._tail}{ref}{self._at}{payload}"
        digest = hashlib.sha256(text.encode()).hexdigest()
        self.seq, self.prev, self._pending = seq, digest, None
        return digest

    def _fail(self, problem: str) -> NoReturn:
        self.problem = problem
        raise ValueError(problem)


_ROWS_SQL = "SELECT seq, kind, ref, recorded_at, payload, prev_hash, hash FROM ledger_entries"


def iter_rows(
    session: Session, chunk: int = 50_000, *, after: int = 0, upto: int | None = None
) -> Generator[tuple[Any, ...], None, None]:
    """Stream the ledger in sequence order as plain tuples, without loading it whole (only the
    entries after ``after`` and, given ``upto``, up to it).

    The DB-API cursor is used directly: the ORM's per-row cost would dominate verification.
    (A named server-side cursor on PostgreSQL keeps memory flat for very long ledgers.)
    """
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    is_pg = session.get_bind().dialect.name == "postgresql"
    mark = "%s" if is_pg else "?"
    where, args = [], []
    if after:
        where.append(f"seq > {mark}")
        args.append(after)
    if upto is not None:
        where.append(f"seq <= {mark}")
        args.append(upto)
    sql = _ROWS_SQL + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seq"
    cursor = dbapi.cursor(name="hogo_ledger_verify") if is_pg else dbapi.cursor()
    try:
        cursor.execute(sql, args)
        while rows := cursor.fetchmany(chunk):
            yield from rows
    finally:
        cursor.close()


#: Entries below which a full verify is not split across processes (starting one costs more).
SPLIT_MIN = 200_000
#: Processes `hogo ledger verify` uses: two where there are two cores (`verify_all`).
VERIFY_PROCESSES = min(2, os.cpu_count() or 1)


def verify_all(
    session: Session, *, processes: int = 1, split: int | None = None
) -> tuple[Verification, Reconciliation]:
    """The chain, and in the same pass every bound table against its entries (both ways).

    With ``processes`` = 2 (`hogo ledger verify`), a store of `SPLIT_MIN` entries or more is
    verified in two parts at once: the entries (and rows bound to them) up to the middle in a
    process of its own (`services.ledger_part`), the rest here; the parts are walked exactly as
    the whole would be, each from the entry before it, and then combined
    (`binding.combine`). Both read one state: PostgreSQL's other process imports this
    transaction's snapshot; SQLite's reads its own and is used only if its head is this one's
    (every writer moves the head, so the same head is the same store), else the first part is
    walked here after the second. ``session`` must be a read scope (a write transaction's own
    changes are not seen by the other process). ``split``: the seq to split after, in this
    process when ``processes`` is 1 (tests of the combination).

    The cycle collector is paused meanwhile (`collector`): the chunks of rows read make no
    reference cycles, and walking them again and again cost about a quarter of the verification."""
    with collector.paused():
        return _verify_all(session, processes, split)


def _verify_all(session: Session, processes: int, split: int | None) -> tuple[Verification, Reconciliation]:
    head = session.execute(select(LedgerHeadRow).where(LedgerHeadRow.id == 1)).scalar()
    head_hash = head.hash if head else GENESIS
    conn = session.connection()
    if not inspect(conn).has_table(LedgerTallyRow.__tablename__):
        # a copy made before ledger v2 (an old backup): its rows are not bound, the chain is all
        return verify_chain(iter_rows(session), expected_head=head_hash), Reconciliation(bound=False)
    switch = switch_seq(conn)
    if split is None and processes > 1 and head is not None and head.seq >= SPLIT_MIN:
        split = head.seq // 2
    at = None if split is None else _entry_at_or_before(session, split)
    if at is None:
        parts = [verify_part(session, (0, GENESIS), None, head_hash, switch)]
    else:
        worker = None
        if processes > 1 and head is not None:
            worker = ledger_part.start(session, (head.seq, head.hash), at, switch)
        later = verify_part(session, at, None, head_hash, switch)
        earlier = None if worker is None else worker.result()
        parts = [earlier or verify_part(session, (0, GENESIS), at, head_hash, switch), later]
    expected = {k: v for k, v in tallies(conn).items() if not k.startswith("@")}
    return _joined([chain for chain, _ in parts]), combine(conn, [part for _, part in parts], expected)


def _entry_at_or_before(session: Session, seq: int) -> tuple[int, str] | None:
    """The last entry at or before ``seq`` (its seq and hash), where a later part may start."""
    e = LedgerEntryRow
    row = session.execute(select(e.seq, e.hash).where(e.seq <= seq).order_by(e.seq.desc()).limit(1)).first()
    return None if row is None or row[0] < 1 else (int(row[0]), str(row[1]))


def verify_part(
    session: Session, after: tuple[int, str], upto: tuple[int, str] | None, head_hash: str, switch: int
) -> tuple[Verification, Part]:
    """The chain from the entry ``after`` (seq, hash) to ``upto`` (its hash checked as the
    head's is) or the end, and the rows bound to those entries (a row bound to seq 0 or less, or
    past the head, is in the first or last part).

    Read in chunks: each is walked by `verify_chain` from the entry before it, then its entries
    up to the first that breaks the chain, if one does, are fed to the reconciliation
    (`Reconciler.feed_entries`, one loop) — what walking the entries one by one with both finds,
    at less Python per entry."""
    rec = Reconciler(
        session.connection(), after=after[0] or None, upto=None if upto is None else upto[0], switch=switch
    )
    rows = iter_rows(session, after=after[0], upto=None if upto is None else upto[0])
    fed = _FED
    at, seen = after, 0
    try:
        while chunk := list(itertools.islice(rows, _VERIFY_CHUNK)):
            chain = verify_chain(chunk, after=at)
            walked = chunk if chain.ok else chunk[: chain.entries + 1]
            rec.feed_entries([row for row in walked if row[1] in fed])
            seen += chain.entries
            if not chain.ok:
                return Verification(False, seen, chain.head, chain.first_bad_seq, chain.problem), rec.part()
            at = chunk[-1][0], chain.head
    finally:
        rows.close()
    end = verify_chain((), expected_head=head_hash if upto is None else upto[1], after=at)
    return Verification(end.ok, seen, end.head, end.first_bad_seq, end.problem), rec.part()


#: Entries walked at a time by `verify_part` (as many as `iter_rows` fetches at once).
_VERIFY_CHUNK = 50_000


def _joined(chains: list[Verification]) -> Verification:
    """The verdict on consecutive parts of the chain: the first part's problem, or all intact."""
    entries = 0
    for chain in chains:
        if not chain.ok:
            seen = entries + chain.entries
            return Verification(False, seen, chain.head, chain.first_bad_seq, chain.problem)
        entries += chain.entries
    return Verification(True, entries, chains[-1].head)


_FED = BOUND_KINDS | {EntryKind.erasure.value, EntryKind.ledger_v2.value}


def verify_ledger(session: Session) -> Verification:
    """The chain and the reconciliation as one verdict (the first problem found)."""
    return verdict(*verify_all(session))


def verdict(chain: Verification, rows: Reconciliation) -> Verification:
    """The chain's verdict, or the reconciliation's first finding when the chain is intact."""
    if chain.ok and rows.finding is not None:
        return Verification(False, chain.entries, chain.head, rows.finding.seq, rows.finding.text())
    return chain


def entries_for(session: Session, *refs: str) -> list[LedgerRow]:
    """The entries with any of these refs, in sequence order.

    Consent events' entries are not in the ref index (`store.tables.UNINDEXED_REF_KIND`): a
    person's are found through the person's consent rows, and, for a person no longer there
    (erased: rows and keys gone), through the erasure entries, which list the entries erased.
    """
    e = LedgerEntryRow
    unindexed = e.kind == UNINDEXED_REF_KIND
    found = list(session.execute(select(e).where(e.ref.in_(refs), e.kind != UNINDEXED_REF_KIND)).scalars())
    persons = [r for r in refs if r.startswith((PERSON_REF, LEGACY_REF))]
    if persons:
        ids, gone = _persons_of(session, persons)
        if ids:
            c = ConsentEventRow
            bound = select(c.ledger_seq).where(c.subject_id.in_(ids))
            found += session.execute(select(e).where(e.seq.in_(bound), unindexed, e.ref.in_(refs))).scalars()
        if gone:
            erased = _erased_entries(session)
            found += session.execute(select(e).where(e.seq.in_(erased), unindexed, e.ref.in_(gone))).scalars()
    rows = sorted({r.seq: r for r in found}.values(), key=lambda r: r.seq)
    return [LedgerRow(r.seq, r.kind, r.ref, r.recorded_at, r.payload, r.prev_hash, r.hash) for r in rows]


def _persons_of(session: Session, refs: Sequence[str]) -> tuple[list[str], list[str]]:
    """The ids of the persons the refs name (``person:`` pseudonym, ``subject:`` id) who are
    still there, and the refs that name nobody who is (erased, or never registered)."""
    k = PersonKeyRow
    pseudonyms = [r.removeprefix(PERSON_REF) for r in refs if r.startswith(PERSON_REF)]
    ids = {r.removeprefix(LEGACY_REF) for r in refs if r.startswith(LEGACY_REF)}
    found = session.execute(select(k.pseudonym, k.subject_id).where(k.pseudonym.in_(pseudonyms)))
    by_pseudonym: dict[str, str] = dict(found.all())
    live = set(session.scalars(select(SubjectRow.subject_id).where(SubjectRow.subject_id.in_(ids))))
    gone = [person_ref(p) for p in pseudonyms if p not in by_pseudonym]
    gone += [legacy_ref(i) for i in sorted(ids - live)]
    return sorted(live | set(by_pseudonym.values())), gone


def _erased_entries(session: Session) -> list[int]:
    """The seqs every erasure entry lists (their own index finds them: erasures are few)."""
    e = LedgerEntryRow
    payloads = session.scalars(select(e.payload).where(e.kind == EntryKind.erasure.value))
    return sorted({int(seq) for payload in payloads for seq in json.loads(payload).get("entries", ())})


def entry(session: Session, seq: int) -> LedgerRow | None:
    r = session.get(LedgerEntryRow, seq)
    return (
        None if r is None else LedgerRow(r.seq, r.kind, r.ref, r.recorded_at, r.payload, r.prev_hash, r.hash)
    )
