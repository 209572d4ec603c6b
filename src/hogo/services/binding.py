"""Rows bound to ledger entries: sealing a row as it is written, reconciling tables and ledger.

Writers call `row_payload` (the entry's payload with the row's digest) and `count` (the running
tally, same transaction). `Reconciler` walks the ledger in sequence order beside every bound
table read in ``ledger_seq`` order (a merge, so memory stays flat): each row must match its
entry, each entry of a bound kind must have its row (a person's older subject entries are
superseded by the latest, to which the row points), and each table's count and digest sum must
equal its tally. `check_store` is the cheap check before a release or snapshot: counts against
the tallies, and only the rows and entries after the last checked point one by one.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Dialect,
    Select,
    Table,
    bindparam,
    func,
    insert,
    inspect,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from hogo.domain import binding as b
from hogo.domain import shredding as sh
from hogo.domain.binding import BoundTable, Finding, Tally
from hogo.domain.ledger import GENESIS, canonical
from hogo.errors import HogoError
from hogo.services.bound_rows import RowCodec
from hogo.store.bulk import CHUNK
from hogo.store.provisions import ProvisionRow, ProvisionSubjectRow
from hogo.store.received import ReceivedProvisionRow, ReceivedProvisionSubjectRow
from hogo.store.tables import (
    UNINDEXED_REF_KIND,
    Base,
    LedgerEntryRow,
    LedgerHeadRow,
    LedgerTallyRow,
    PersonKeyRow,
)

#: The bound tables' models (their metadata is what `_table` reads).
_MODELS = (ProvisionRow, ProvisionSubjectRow, ReceivedProvisionRow, ReceivedProvisionSubjectRow)

CHECKED = "@checked"
SWITCH = "@v2"
V3 = "@v3"
_ERASURE = "erasure"
_V2 = "ledger_v2"


class StoreNotReconciled(HogoError):
    """The tables that decisions read disagree with the ledger: nothing may be released from them."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(
            f"保存データが台帳と一致しません。`hogo ledger verify` で確認してください: {finding.text()}",
            f"the store does not reconcile with the ledger; run `hogo ledger verify`: {finding.text()}",
        )
        self.finding = finding


def table_of(t: BoundTable) -> Table:
    table = Base.metadata.tables[t.name]
    return table


def _conn(bind: Session | Connection) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


# --- writing -------------------------------------------------------------------------------------


def row_payload(payload: Mapping[str, Any], digest: str, persons: Tally | None = None) -> dict[str, Any]:
    """An entry's payload with the digest of the row it binds (and of its person list)."""
    result = {**payload, b.ROW: digest}
    if persons is not None:
        result[b.PERSONS_ROWS] = persons.as_payload()
    return result


def count(bind: Session | Connection, changes: Mapping[str, Tally], *, leaving: bool = False) -> None:
    """Add (or, ``leaving``, subtract) rows to the running tallies in the caller's transaction.

    Callers hold the ledger lock (they append in the same transaction), so read-then-write is safe.
    """
    conn = _conn(bind)
    for name, change in changes.items():
        if change.rows == 0 and change.digest == b.ZERO:
            continue
        row = conn.execute(_TALLY, {"tally": name}).first()
        rows, digest = (0, b.ZERO) if row is None else (int(row[0]), str(row[1]))
        if leaving:
            rows, digest = rows - change.rows, b.subtract(digest, change.digest)
        else:
            rows, digest = rows + change.rows, b.add(digest, change.digest)
        moved = {"tally": name, "new_rows": rows, "new_digest": digest}
        conn.execute(_NEW_TALLY if row is None else _SET_TALLY, moved)


# `count`'s statements, built once: building them cost more than running them on every group
# commit's append (issue 15).
_TALLIES: Table = LedgerTallyRow.__table__  # type: ignore[assignment]
_TALLY = select(_TALLIES.c.rows, _TALLIES.c.digest).where(_TALLIES.c.name == bindparam("tally"))
_NEW_TALLY = insert(_TALLIES).values(
    name=bindparam("tally"), rows=bindparam("new_rows"), digest=bindparam("new_digest")
)
_SET_TALLY = (
    update(_TALLIES)
    .where(_TALLIES.c.name == bindparam("tally"))
    .values(rows=bindparam("new_rows"), digest=bindparam("new_digest"))
)


def tallies(bind: Session | Connection) -> dict[str, Tally]:
    conn = _conn(bind)
    t = LedgerTallyRow
    return {str(n): Tally(int(r), str(d)) for n, r, d in conn.execute(select(t.name, t.rows, t.digest))}


# --- the v1 format (entries before the switch to v2) --------------------------------------------


def _v1_matches(t: BoundTable, values: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """A row bound to an entry written before v2: its payload held the record itself.

    The domain models are imported here, not with the module: only v1 entries need them, and
    the full verify's second process (`ledger_part`) starts faster without them (pydantic)."""
    from hogo.domain.consent import ConsentEvent, LegalException

    try:
        if t is b.CONSENT_EVENTS:
            row = {c: values[c] for c in t.columns}
            return ConsentEvent.model_validate(row) == ConsentEvent.model_validate(payload)
        if t is b.LEGAL_EXCEPTIONS:
            fields = {k: values[k] for k in LegalException.model_fields}
            return LegalException.model_validate(fields) == LegalException.model_validate(payload)
    except ValueError:
        return False
    if t is b.SUBJECTS:
        return {
            "subject_id": values["subject_id"],
            "birth_date": b.plain(values["birth_date"]),
            "identity_verified": values["identity_verified"],
        } == dict(payload)
    if t is b.POLICY_REVISIONS:
        digest = hashlib.sha256(str(values["document"]).encode("utf-8")).hexdigest()
        return bool(
            payload.get("revision") == values["revision"]
            and payload.get("sha256") == values["sha256"] == digest
        )
    # provisions, received: the record column is the sealed payload itself
    return bool(
        values["record"] == canonical(dict(payload)).decode("utf-8")
        and values["persons_sha256"] == payload.get("persons_sha256")
        and values["persons"] == payload.get("persons")
    )


# --- reconciling ---------------------------------------------------------------------------------


def _seals(payload_json: str, digest: str) -> bool:
    """The entry's payload holds ``"row": digest`` (v2 and later).

    Why a substring test and not `json.loads`: parsing every payload was a third of the full
    verify's time. It is exact for what hogo writes: the payload is canonical JSON (compact, keys
    sorted), where a quote inside a string is always escaped, so ``"row":"<64 hex>"`` can only be
    a key and its value; hogo writes ``row`` only at the top level. A forged row matches only if
    its digest (SHA-256 or HMAC-SHA256 of its canonical form) already stands in the entry — a
    second preimage — and the payload itself is bound by the chain hash, checked in the same pass.
    """
    return f'{_SEALED}{digest}"' in payload_json


#: What precedes a row's digest in its entry's payload.
_SEALED = f'"{b.ROW}":"'


@dataclass
class Reconciliation:
    """Counts per entry kind and per table, the erased entries, and the first disagreement."""

    finding: Finding | None = None
    entries: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    erased: int = 0
    #: False for a store from before ledger v2 (an old backup): nothing was reconciled.
    bound: bool = True

    @property
    def ok(self) -> bool:
        return self.finding is None


@dataclass(frozen=True)
class _Query:
    """A SELECT compiled once per dialect: its text, its parameters' order (positional drivers)
    and each converted column's result processor (the conversion every reader of the row gets)."""

    sql: str
    order: tuple[str, ...] | None
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]


def _compile(dialect: Dialect, stmt: Select[Any]) -> _Query:
    compiled = stmt.compile(dialect=dialect)
    processors = tuple(
        (i, p)
        for i, column in enumerate(stmt.selected_columns)
        if (p := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
    )
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return _Query(str(compiled), order, processors)


def _raw_chunks(
    conn: Connection, query: _Query, params: Mapping[str, Any], name: str, chunk: int = 20_000
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``query`` as the driver gives them, in chunks read through its cursor
    (`bound_rows.RowCodec` converts what a reader needs converted).

    Why: SQLAlchemy's Row objects and its fetch loop cost more per row than the row's digest.
    A named (server-side) cursor on PostgreSQL keeps memory flat, as `ledger.iter_rows` does.
    """
    args: Any = dict(params) if query.order is None else tuple(params[k] for k in query.order)
    dbapi: Any = conn.connection.driver_connection
    cursor = dbapi.cursor(name=name) if conn.dialect.name == "postgresql" else dbapi.cursor()
    try:
        cursor.execute(query.sql, args)
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        cursor.close()


#: Suffixes that keep server-side cursor names unique on a connection (two reconcilers at once).
_CURSORS = itertools.count()
#: Each bound table's stream query and row codec, made once: (dialect, driver, table, only rows
#: after a seq, only rows up to a seq).
_QUERIES: dict[tuple[str, str, str, bool, bool], tuple[_Query, RowCodec]] = {}


def _stream_query(dialect: Dialect, t: BoundTable, since: bool, until: bool) -> tuple[_Query, RowCodec]:
    key = (dialect.name, dialect.driver, t.name, since, until)
    found = _QUERIES.get(key)
    if found is None:
        table = table_of(t)
        order: list[Any] = [table.c.ledger_seq]
        if dialect.name == "sqlite":
            # SQLite's index on ledger_seq holds (ledger_seq, rowid): ties in the order rows were
            # written, with no sort (by key, a temporary B-tree sorted every group of equal seqs:
            # 0.4 µs a row of consent_events, all of a release's person list at once).
            order.append(literal_column(f"{table.name}.rowid"))
        else:
            order += [table.c[t.key]] + ([table.c.subject_id] if t.parent else [])
        stmt = select(table.c.ledger_seq, *[table.c[c] for c in t.columns])
        if b.personal(t):  # the person's digest key, and a person's pseudonym (none once erased)
            k = PersonKeyRow.__table__
            person = [k.c.pseudonym] if t is b.SUBJECTS else []  # the ref only persons' entries carry
            stmt = stmt.add_columns(k.c.digest_key, *person).select_from(
                table.outerjoin(k, k.c.subject_id == table.c.subject_id)
            )
        if since:
            stmt = stmt.where(table.c.ledger_seq > bindparam("after"))
        if until:
            stmt = stmt.where(table.c.ledger_seq <= bindparam("upto"))
        query = _compile(dialect, stmt.order_by(*order))
        types = [c.type for c in stmt.selected_columns]
        found = _QUERIES[key] = query, RowCodec(dialect, t, types, query.processors)
    return found


#: A stream's head: the row's seq, the selected row, its digest and, for a person, the pseudonym.
_Head = tuple[int, tuple[Any, ...], str, str | None]


_SEQ = operator.itemgetter(0)


class _Stream:
    """A bound table's rows in ``ledger_seq`` order, one row of look-ahead, each row's digest
    made as its chunk is read.

    Why rows as the driver gives them: the full verify reads every bound row once; a dict per
    row, or each value converted and written back as text, cost more than the row's digest
    (`bound_rows`), and so did a method call per row for its digest. ``head`` is (seq, the
    selected row, its digest, a person's pseudonym); `key_at` and `subject_at` index the
    selected row (columns that no result processor converts), `values` converts it. Every row
    read is taken (`Reconciler.finish` takes what is left), so `count` and `sum` cover every row.
    ``following`` gives the head after the current one (`take` without the call; the heads are
    one iterator over the digested chunks, so moving on costs no Python frame).
    """

    def __init__(
        self, conn: Connection, t: BoundTable, after: int | None, upto: int | None, v3_after: int
    ) -> None:
        self._personal = b.personal(t)
        self._v3_after = v3_after
        query, self._codec = _stream_query(conn.dialect, t, after is not None, upto is not None)
        params = {k: v for k, v in (("after", after), ("upto", upto)) if v is not None}
        chunks = _raw_chunks(conn, query, params, f"hogo_bound_{t.name}_{next(_CURSORS)}")
        self.t = t
        self._n = len(t.columns) + 1
        self.key_at = t.columns.index(t.key) + 1
        self.subject_at = t.columns.index("subject_id") + 1 if self._personal else -1
        converted = {i for i, _ in query.processors}
        assert self.key_at not in converted and self.subject_at not in converted
        #: A person's pseudonym, selected after the digest key (`_stream_query`).
        self._pseudonym = operator.itemgetter(self._n + 1) if t is b.SUBJECTS else None
        self.count = 0
        self.sum = 0
        heads = itertools.chain.from_iterable(map(self._digested, chunks))
        self.following: Callable[[], _Head | None] = functools.partial(next, heads, None)
        self.head: _Head | None = self.following()

    def _digested(self, rows: list[tuple[Any, ...]]) -> list[_Head]:
        """The chunk's heads: each row with its digest as its entry seals it
        (`domain.binding.row_digest`: keyed by the person's digest key from v3 on)."""
        sha256, keyed_hex, n = hashlib.sha256, b.keyed_hex, self._n
        texts = [text.encode("utf-8") for text in map(self._codec.text, rows)]
        if self._personal:
            v3_after = self._v3_after
            keys = [row[n] if row[0] > v3_after else None for row in rows]
            digests = [
                sha256(data).hexdigest() if key is None else keyed_hex(bytes(key), data)
                for data, key in zip(texts, keys, strict=True)
            ]
        else:
            digests = [sha256(data).hexdigest() for data in texts]
        pseudonym = self._pseudonym
        pseudonyms = itertools.repeat(None, len(rows)) if pseudonym is None else map(pseudonym, rows)
        heads = list(zip(map(_SEQ, rows), rows, digests, pseudonyms, strict=True))
        self.count += len(rows)
        self.sum += sum(map(int, digests, itertools.repeat(16)))
        return heads

    def take(self) -> _Head:
        head = self.head
        assert head is not None
        self.head = self.following()
        return head

    def values(self, row: Sequence[Any]) -> dict[str, Any]:
        """A row's columns by name, converted (the v1 comparison reads them so)."""
        return dict(zip(self.t.columns, self._codec.convert(row)[1 : self._n], strict=True))


@dataclass
class Part:
    """What a `Reconciler` found over the entries and rows of one range of seqs, ready to be
    `combine`d with the other ranges' (a worker process sends it back pickled, so tables are
    named, not referenced). What needs the other ranges waits here: entries still without their
    row (a person's entry may be superseded by a later one), entries erased later, person lists
    that differ, and the counts and digest sums the tallies are checked against."""

    after: int
    upto: int | None
    finding: Finding | None
    entries: dict[str, int]
    rows: dict[str, int]
    sums: dict[str, int]
    #: subject ref -> seq of its latest entry in the range that has no row
    pending: dict[str, int]
    #: (table, seq, key) of other entries that have no row
    unbound: list[tuple[str, int, Any]]
    erased: set[int]
    #: record seq -> persons erased from its list
    erased_lists: dict[int, int]
    #: (table, seq, key, rows found, rows sealed) of person lists that differ from their entry
    list_doubts: list[tuple[str, int, Any, int, Any]]


class Reconciler:
    """Feed it every entry in sequence order (`feed`), then `finish`; see the module docstring."""

    def __init__(
        self, conn: Connection, *, after: int | None = None, upto: int | None = None, switch: int = 0
    ) -> None:
        """``after``: only rows bound after this seq (the cheap check; a later part of the full
        verify); None reads every row. ``upto``: only rows bound up to this seq (an earlier part)."""
        self._conn = conn
        self._after, self._upto = after, upto
        self._v3_after = v3_after(conn)
        self._streams = {t.name: _Stream(conn, t, after, upto, self._v3_after) for t in b.BOUND}
        self._by_kind: dict[str, list[BoundTable]] = {}
        for t in b.BOUND:
            for k in t.kinds:
                self._by_kind.setdefault(k.value, []).append(t)
        #: kind -> the stream of the one row each entry of the kind binds (no person list)
        self._single = {
            k: self._streams[ts[0].name]
            for k, ts in self._by_kind.items()
            if len(ts) == 1 and ts[0].parent is None
        }
        self.result = Reconciliation()
        self._switch = switch
        self._pending: dict[str, int] = {}  # subject ref -> unbound entry
        self._unbound: list[tuple[BoundTable, int, str | None]] = []
        self._erased: set[int] = set()
        self._erased_lists: dict[int, int] = {}  # record seq -> persons erased from its list
        self._list_doubts: list[tuple[BoundTable, int, Any, int, Any]] = []

    def _find(self, t: BoundTable, key: Any, seq: int | None, ja: str, en: str) -> None:
        _first(self.result, t, key, seq, ja, en)

    def feed(self, seq: int, kind: str, ref: str, payload_json: str) -> None:
        counts = self.result.entries
        counts[kind] = counts.get(kind, 0) + 1
        self._feed(seq, kind, ref, payload_json)

    def feed_entries(self, rows: Iterable[Sequence[Any]]) -> None:
        """`feed` each ledger row as `ledger.iter_rows` reads it (seq, kind, ref, recorded_at,
        payload, …), in order, in one loop.

        Why: the full verify feeds every entry, and most bind one row that is its stream's head
        and is sealed in the entry. That case is decided here inline, by the tests `_match_row`
        makes (in v2 and later: the row's seq, its digest in the payload, a person's entry
        carrying the person's ref), and nothing is changed before it is decided; every other
        case (stale rows, no row, v1, a person's ref to check otherwise) goes the general way.
        """
        counts = self.result.entries
        single, subjects, switch = self._single, self._streams[b.SUBJECTS.name], self._switch
        for row in rows:
            seq, kind = row[0], row[1]
            counts[kind] = counts.get(kind, 0) + 1
            s = single.get(kind)
            if s is not None and seq >= switch:
                head = s.head
                if (
                    head is not None
                    and head[0] == seq
                    and f'{_SEALED}{head[2]}"' in row[4]
                    and (s is not subjects or self._person_sealed(seq, row[2], head))
                ):
                    s.head = s.following()
                    continue
            self._feed(seq, kind, row[2], row[4])

    def _person_sealed(self, seq: int, ref: str, head: _Head) -> bool:
        """`feed_entries`' case of a person's entry whose row is the head and sealed in it: True
        when the entry carries the person's ref from v3 on (then, as `_match_row` does, entries
        of the person left without their row are superseded by this one)."""
        pseudonym = head[3]
        if seq <= self._v3_after or pseudonym is None or ref != sh.person_ref(pseudonym):
            return False
        if self._pending:
            self._pending.pop(ref, None)
            self._pending.pop(sh.legacy_ref(head[1][self._streams[b.SUBJECTS.name].subject_at]), None)
        return True

    def _feed(self, seq: int, kind: str, ref: str, payload_json: str) -> None:
        """`feed` once the entry is counted."""
        tables = self._by_kind.get(kind)
        if tables is None:
            self._special(seq, kind, payload_json)
            return
        for t in tables:
            if t.parent is None:
                self._match_row(t, seq, ref, payload_json)
            else:
                self._match_list(t, seq, json.loads(payload_json))

    def _special(self, seq: int, kind: str, payload_json: str) -> None:
        if kind == _ERASURE:
            erasure = json.loads(payload_json)
            self._erased.update(int(s) for s in erasure.get("entries", ()))
            for record, n in erasure.get("lists", {}).items():
                self._erased_lists[int(record)] = self._erased_lists.get(int(record), 0) + int(n)
        elif kind == _V2 and seq != self._switch:
            self._find(
                b.SUBJECTS, None, seq, "v2 への切替記録の位置が違います", "ledger_v2 entry out of place"
            )

    def _stale(self, s: _Stream, seq: int) -> None:
        """Rows bound to entries before ``seq`` that were not matched: their entry is not theirs."""
        while s.head is not None and s.head[0] < seq:
            row_seq, cols, _, _ = s.take()
            self._find(
                s.t, cols[s.key_at], row_seq, "行が指す台帳記録はこの表の記録ではありません",
                "the row points at an entry that is not one of this table's",
            )  # fmt: skip

    def _match_row(self, t: BoundTable, seq: int, ref: str, payload_json: str) -> None:
        s = self._streams[t.name]
        if s.head is not None and s.head[0] < seq:
            self._stale(s, seq)
        if s.head is None or s.head[0] != seq:
            if t is b.SUBJECTS:
                self._pending[ref] = seq
            else:
                self._unbound.append((t, seq, json.loads(payload_json).get(t.key)))
            return
        _, cols, digest, pseudonym = s.take()
        if t is b.SUBJECTS:
            self._pending.pop(ref, None)
            self._pending.pop(sh.legacy_ref(cols[s.subject_at]), None)  # superseded by a v3 entry
        if seq < self._switch:
            matches = _v1_matches(t, s.values(cols), json.loads(payload_json))
        else:
            matches = _seals(payload_json, digest)
        if not matches:
            self._find(t, cols[s.key_at], seq, "行が台帳記録と一致しません(変更または偽造)",
                       "the row differs from its ledger entry (modified or forged)")  # fmt: skip
        elif t is b.SUBJECTS and ref != self._subject_ref(seq, cols[s.subject_at], pseudonym):
            self._find(
                t,
                None,
                seq,
                "行が別の本人の台帳記録を指しています",
                "the row points at another person's entry",
            )
        # a second row bound to the same entry is left in the stream and found stale next

    def _subject_ref(self, seq: int, subject_id: str, pseudonym: str | None) -> str | None:
        """The ref a person's entry must carry: the pseudonym's from v3 on, the plain id's before."""
        if seq <= self._v3_after:
            return sh.legacy_ref(subject_id)
        return None if pseudonym is None else sh.person_ref(pseudonym)

    def _match_list(self, t: BoundTable, seq: int, payload: Mapping[str, Any]) -> None:
        s = self._streams[t.name]
        self._stale(s, seq)
        digests: list[str] = []
        ids: list[str] = []
        while s.head is not None and s.head[0] == seq:
            _, cols, digest, _ = s.take()
            digests.append(digest)
            ids.append(str(cols[s.subject_at]))
        if seq < self._switch:
            from hogo.domain.provision import persons_digest  # v1 only (see `_v1_matches`)

            good = persons_digest(ids) == payload.get("persons_sha256") and len(ids) == payload.get("persons")
            sealed_rows = payload.get("persons")
        else:
            good = b.tally_of(digests).as_payload() == payload.get(b.PERSONS_ROWS)
            sealed_rows = (payload.get(b.PERSONS_ROWS) or {}).get("rows")
        if not good:  # decided at the end: a later erasure may have removed persons from it
            self._list_doubts.append((t, seq, payload.get(t.key), len(ids), sealed_rows))

    def part(self) -> Part:
        """What this range found; rows left in the streams are taken as stale first (no entry of
        the range is theirs)."""
        for s in self._streams.values():
            self._stale(s, 1 << 62)
        return Part(
            after=self._after or 0,
            upto=self._upto,
            finding=self.result.finding,
            entries=dict(self.result.entries),
            rows={name: s.count for name, s in self._streams.items()},
            sums={name: s.sum for name, s in self._streams.items()},
            pending=self._pending,
            unbound=[(t.name, seq, key) for t, seq, key in self._unbound],
            erased=self._erased,
            erased_lists=self._erased_lists,
            list_doubts=[(t.name, *rest) for t, *rest in self._list_doubts],
        )

    def finish(self, expected: Mapping[str, Tally] | None) -> Reconciliation:
        """Rows left over, entries without rows (unless erased), and the tallies."""
        return combine(self._conn, [self.part()], expected)


def _first(result: Reconciliation, t: BoundTable, key: Any, seq: int | None, ja: str, en: str) -> None:
    """Keep the first finding only (a person's own id is never shown)."""
    if result.finding is None:
        result.finding = Finding(t.name, None if key is None else b.shown_key(t, key), seq, ja, en)


def combine(conn: Connection, parts: Sequence[Part], expected: Mapping[str, Tally] | None) -> Reconciliation:
    """The reconciliation of the ranges in ``parts`` (in seq order, together every entry and row)
    as one walk over all of them would find it: their findings in order, then the rows of lists
    that differ, the entries without rows (unless erased) and the tallies."""
    result = Reconciliation()
    sums: dict[str, int] = {}
    erased_lists: dict[int, int] = {}
    for p in parts:
        result.finding = result.finding or p.finding
        _add(result.entries, p.entries)
        _add(result.rows, p.rows)
        _add(sums, p.sums)
        _add(erased_lists, p.erased_lists)
    erased = set().union(*(p.erased for p in parts))
    for p in parts:  # a list that differs is explained only by erasures (digests gone with rows)
        for name, seq, key, found, sealed in p.list_doubts:
            lost = erased_lists.get(seq)
            if lost is None or found + lost != sealed:
                _first(result, b.BY_NAME[name], key, seq, "本人の一覧が台帳記録と一致しません",
                       "the person list differs from its ledger entry")  # fmt: skip
    unbound = [(b.BY_NAME[name], seq, key) for p in parts for name, seq, key in p.unbound]
    unbound += [(b.SUBJECTS, seq, None) for seq in _pending(conn, parts).values()]
    result.erased = len(erased)
    for t, seq, key in sorted(unbound, key=lambda u: u[1]):
        if seq not in erased:
            _first(result, t, key, seq, "台帳記録に対応する行がありません(削除?)",
                   "the entry has no row (deleted?)")  # fmt: skip
    if expected is not None:
        for t in b.BOUND:
            mine = Tally(result.rows.get(t.name, 0), f"{sums.get(t.name, 0) % b.MODULUS:064x}")
            if expected.get(t.name, Tally()) != mine:
                _first(result, t, None, None, "行数・ダイジェストの集計が一致しません",
                       "row count or digest sum differs from the running tally")  # fmt: skip
    return result


def _add(total: dict[Any, int], more: Mapping[Any, int]) -> None:
    for key, n in more.items():
        total[key] = total.get(key, 0) + n


def _pending(conn: Connection, parts: Sequence[Part]) -> dict[str, int]:
    """Persons' entries left without their row at the end (ref -> seq): each part's, less those
    a later part supersedes."""
    pending: dict[str, int] = {}
    for p in parts:
        earlier = [ref for ref in pending if ref not in p.pending]
        if earlier:  # a person's earlier entry is superseded by a later one that has the row
            for ref in _superseded(conn, earlier, p.after, p.upto):
                del pending[ref]
        pending.update(p.pending)
    return pending


def _superseded(conn: Connection, refs: Sequence[str], after: int, upto: int | None) -> set[str]:
    """Which of ``refs`` (of persons' entries left without their row by an earlier range) an entry
    in (after, upto] supersedes: one of the persons' kinds whose row is there, with the same ref or
    bound to the person the legacy ref names — what `Reconciler._match_row` drops them for."""
    t, e = table_of(b.SUBJECTS), LedgerEntryRow.__table__
    legacy = sh.legacy_ref("")
    stmt = (
        select(e.c.ref, t.c.subject_id)
        .select_from(t.join(e, e.c.seq == t.c.ledger_seq))
        .where(t.c.ledger_seq > after, e.c.kind.in_(sorted(k.value for k in b.SUBJECTS.kinds)))
        .where(e.c.kind != UNINDEXED_REF_KIND)  # the ref index's own condition: it is used
    )
    if upto is not None:
        stmt = stmt.where(t.c.ledger_seq <= upto)
    ids = [r.removeprefix(legacy) for r in refs if r.startswith(legacy)]
    found: set[str] = set()
    for column, values in ((e.c.ref, list(refs)), (t.c.subject_id, ids)):
        for i in range(0, len(values), CHUNK):
            for ref, subject_id in conn.execute(stmt.where(column.in_(values[i : i + CHUNK]))):
                found.update((ref, sh.legacy_ref(subject_id)))
    return found.intersection(refs)


def v3_after(bind: Session | Connection) -> int:
    """Rows bound to entries after this seq have digests keyed per person (ledger v3): 0 for a
    store born v3, the head at migration `0930_person_keys` for an older store, and every seq for
    a copy from before that migration."""
    t = LedgerTallyRow
    conn = _conn(bind)
    if not inspect(conn).has_table(PersonKeyRow.__tablename__):
        return 1 << 62
    value = conn.execute(select(t.rows).where(t.name == V3)).scalar()
    return int(value or 0)


def switch_seq(bind: Session | Connection) -> int:
    """The seq of the `ledger_v2` entry (entries before it are v1); 0 for a store born v2."""
    t = LedgerTallyRow
    value = _conn(bind).execute(select(t.rows).where(t.name == SWITCH)).scalar()
    return int(value or 0)


def reconcile_rows(conn: Connection, entries: Iterable[Sequence[Any]]) -> Reconciliation:
    """Full reconciliation beside a chain walk: ``entries`` are (seq, kind, ref, _, payload, …)."""
    rec = Reconciler(conn, switch=switch_seq(conn))
    for row in entries:
        rec.feed(row[0], row[1], row[2], row[4])
    return rec.finish({k: v for k, v in tallies(conn).items() if not k.startswith("@")})


# --- the check before a release or snapshot ------------------------------------------------------


def _checked(conn: Connection) -> tuple[int, str]:
    t = LedgerTallyRow
    row = conn.execute(select(t.rows, t.digest).where(t.name == CHECKED)).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def check_store(session: Session) -> Reconciliation:
    """The cheap check: counts per table against the tallies, and rows and entries after the last
    checked point one by one. Advances the checked point when everything agrees."""
    conn = session.connection()
    seq, digest = _checked(conn)
    if seq and conn.execute(select(LedgerEntryRow.hash).where(LedgerEntryRow.seq == seq)).scalar() != digest:
        return _found("ledger_entries", seq, "確認済みの位置の台帳記録が変わっています",
                      "the ledger entry at the last checked point changed")  # fmt: skip
    known = tallies(conn)
    for t in b.BOUND:
        rows = int(conn.execute(select(func.count()).select_from(table_of(t))).scalar() or 0)
        if rows != known.get(t.name, Tally()).rows:
            ja, en = "行数が台帳の集計と一致しません(行の削除・挿入?)", "the row count differs from its tally"
            return _found(t.name, None, ja, en + " (rows deleted or inserted?)")
    rec = Reconciler(conn, after=seq, switch=switch_seq(conn))
    e = LedgerEntryRow
    stmt = (
        select(e.seq, e.kind, e.ref, e.payload)
        .where(e.seq > seq)
        .order_by(e.seq)
        .execution_options(yield_per=20_000)
    )
    last = seq, digest
    for entry_seq, kind, ref, payload in conn.execute(stmt):
        rec.feed(entry_seq, kind, ref, payload)
    result = rec.finish(None)
    if result.ok:
        head = conn.execute(
            select(LedgerHeadRow.seq, LedgerHeadRow.hash).where(LedgerHeadRow.id == 1)
        ).first()
        if head is not None and (int(head[0]), str(head[1])) != last:
            _set_checked(conn, int(head[0]), str(head[1]))
    return result


def _found(table: str, seq: int | None, ja: str, en: str) -> Reconciliation:
    return Reconciliation(finding=Finding(table, None, seq, ja, en))


def _set_checked(conn: Connection, seq: int, digest: str) -> None:
    t = LedgerTallyRow
    if conn.execute(select(t.name).where(t.name == CHECKED)).first() is None:
        conn.execute(insert(t).values(name=CHECKED, rows=seq, digest=digest))
    else:
        conn.execute(update(t).where(t.name == CHECKED).values(rows=seq, digest=digest))


def require_reconciled(session: Session) -> None:
    """Refuse (StoreNotReconciled) when the cheap check finds a disagreement."""
    result = check_store(session)
    if result.finding is not None:
        raise StoreNotReconciled(result.finding)
