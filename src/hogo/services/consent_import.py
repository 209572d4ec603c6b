"""Bulk consent import: staged and checked outside the ledger lock, committed in one short step.

Why: an import used to hold the ledger lock (SQLite's write lock, PostgreSQL's head row) for its
whole run, so live captures failed (SQLite) or hung (PostgreSQL) for minutes, and its id look-ups
(`IN` lists planned while the table was empty) slowed quadratically on a fresh PostgreSQL store.

Now the events are written batch by batch into a temporary staging table on the import's own
connection, with their ledger payloads already encoded. Nothing shared is locked while staging;
nothing staged is visible to anyone else; a killed import leaves nothing behind (temporary tables
die with the connection). Duplicates, unknown persons and events already recorded are then found
by joins against the staged rows, which the planner sees with real statistics. Only then is the
lock taken, for one transaction that hashes the staged payloads onto the chain and writes the
ledger entries (one INSERT…SELECT, the hashing done inside the database on both backends),
inserts the events from the staging table in one statement and moves the head: all or nothing,
and other writers wait only for that last step. On PostgreSQL the persons are checked and
locked set-wise before the head, so the events' per-row foreign-key trigger can be skipped under
the lock where that is safe and allowed (`_row_checks_skippable`; docs/architecture.md).

Memory stays near one batch: rows arrive in batches and are not kept once staged.

The stages, each its own function (issue 13: the import ran at 6–13k events/s, nearly all of it
per-row Python):
1. parse: `files.event_columns.iter_event_columns` gives `EventColumns` a batch at a time;
2. policy: `_policy_problem` looks up the batch's distinct purposes and terms versions, and
   compares its latest collection time with the clock;
3. encode: `services.event_payloads.encode` gives each event's ledger payload, row digest and
   stored `collected_at` text, byte for byte what the single-event path writes;
4. stage: `staged_rows` + `_copy_rows` (binary COPY / multi-row INSERTs), numbered n in file order;
5. check: `_check` (joins), `_repeated`, and `_number` only when some rows are left out;
6. record: `_record` under the lock: `ledger.append_staged` (the chain), `_insert_events`, tally.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hogo.domain import shredding as sh
from hogo.domain.binding import CONSENT_EVENTS, Tally, tally_of
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentAction, ConsentEvent
from hogo.domain.ledger import SEPARATOR, EntryKind
from hogo.domain.policy import Policy
from hogo.errors import Conflict, HogoError, InputError
from hogo.files.event_columns import FIELDS, EventColumns
from hogo.services import binding, ledger, person_keys, suppression
from hogo.services.consent import (
    RecordResult,
    check_against_policy,
    check_collected,
    event_digest,
    latest_collection,
)
from hogo.services.event_payloads import Encoded, encode
from hogo.services.policy import require_policy
from hogo.store.bulk import rows_with, write_rows
from hogo.store.tables import ConsentEventRow, PolicyRevisionRow, SubjectRow
from hogo.store.types import UTCDateTime

log = logging.getLogger(__name__)
#: Persons whose keys an import keeps at once (about 200 bytes each).
_KEY_CACHE = 200_000


_EVENTS: Table = ConsentEventRow.__table__  # type: ignore[assignment]
#: Event columns carried through staging (the rest, recorded_at and ledger_seq, are set at commit).
_CARRIED = [c for c in _EVENTS.columns if c.name not in ("recorded_at", "ledger_seq")]
_meta = MetaData()


def _staged(name: str) -> Column[Any]:
    """A carried column in a staging table; `collected_at` as the text the store keeps (naive UTC,
    `YYYY-MM-DD HH:MM:SS.ffffff`), which binary COPY can send as text and PostgreSQL casts once."""
    return Column(name, Text if name == "collected_at" else _EVENTS.c[name].type)


def _numbered(name: str, *leading: Column[Any]) -> Table:
    """A temporary table of rows numbered n = 1, 2, 3, … in file order, carrying the event's
    columns with its entry's ref, payload and row digest."""
    return Table(
        name,
        _meta,
        Column("n", Integer, primary_key=True, autoincrement=False),
        *leading,
        *[_staged(c.name) for c in _CARRIED],
        Column("ref", Text, nullable=False),
        Column("payload", Text, nullable=False),
        Column("row_digest", Text, nullable=False),
        prefixes=["TEMPORARY"],
    )


#: The staged rows, with their line in the file (ledger seq = head + n when every staged row is
#: recorded, as in a first import).
_STAGE = _numbered("hogo_import_stage", Column("row_no", Integer, nullable=False))
#: The rows to record when some staged rows are not (repeated in the file or already stored),
#: renumbered 1..n in file order.
_READY = _numbered("hogo_import_ready")
#: Built once all rows are staged (one sorted build instead of an update per row).
_STAGE_INDEX = "ix_hogo_import_stage_event"
#: The import connection's page cache on SQLite (KiB, as a negative cache_size): index updates of
#: a large import touch many pages; the default 2 MiB made them read and write pages again.
_SQLITE_CACHE_KIB = 65_536
_SQLITE_DEFAULT_CACHE_KIB = 2_000


class EventImport:
    """One bulk import of consent events: `stage()` batches, then `commit()` once.

    Use as a context manager; leaving without `commit()` (an error, a refusal of bad rows)
    stores nothing.
    """

    def __init__(self, db: Engine) -> None:
        self._db = db
        self._conn: Connection | None = None
        self._policy_revision: int | None = None
        self._policy: Any = None
        self._staged = 0
        self._tally = Tally()  # of every staged row: the tally added when all are recorded
        self._policy_problem: HogoError | None = None
        self._keys: dict[str, sh.PersonKeys] = {}
        self._suppressed: suppression.Suppressed | None = None

    def __enter__(self) -> Self:
        conn = self._db.connect()
        self._conn = conn
        try:
            with Session(bind=conn) as session:
                self._policy = require_policy(session)
                self._suppressed = suppression.in_force(session)
            self._policy_revision = _policy_revision(conn)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA cache_size = {-_SQLITE_CACHE_KIB}")
            _STAGE.create(conn)
            conn.commit()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        """Discard the import's connection: its temporary tables (the staged personal data) die
        with it and never go back to the pool, nor does its larger page cache. Closing is also
        cheaper than dropping a large table page by page (0.3 s at 200,000 rows on SQLite)."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            conn.rollback()
            if _in_memory(conn):  # the connection is the store itself: drop the tables instead
                _STAGE.drop(conn, checkfirst=True)
                _READY.drop(conn, checkfirst=True)
                conn.exec_driver_sql(f"PRAGMA cache_size = {-_SQLITE_DEFAULT_CACHE_KIB}")
                conn.commit()
                return
            conn.invalidate()
        finally:
            conn.close()

    @property
    def _c(self) -> Connection:
        assert self._conn is not None, "use EventImport as a context manager"
        return self._conn

    def stage(self, events: Sequence[ConsentEvent], rows: Sequence[int]) -> None:
        """`stage_columns` for events given as models (their row numbers in `rows`)."""
        self.stage_columns(EventColumns.from_events(events, rows))

    def stage_columns(self, events: EventColumns) -> None:
        """Check a batch against the policy, encode its ledger payloads and stage it; nothing is
        locked or visible yet.

        A policy problem is kept (the first one) and raised by `commit()`, so that problems in
        the file's own rows, found while reading, are reported first as before.
        """
        if not len(events):
            return
        if self._policy_problem is None:
            self._policy_problem = _policy_problem(self._policy, events)
        self._check_suppressed(events)
        encoded = encode(events, self._persons_keys(set(events.subject_id)))
        conn = self._c
        _copy_rows(conn, _STAGE, staged_rows(events, encoded, first=self._staged + 1))
        conn.commit()
        self._staged += len(events)
        # An unknown person's row has no digest; `_check` refuses the file before anything is recorded.
        self._tally = self._tally.plus(tally_of([d for d in encoded.digests if d]))

    def _persons_keys(self, subject_ids: set[str]) -> dict[str, sh.PersonKeys]:
        """The keys of a batch's registered persons (created for those that have none yet, e.g.
        persons registered before ledger v3), cached across batches up to a bound."""
        wanted = subject_ids - self._keys.keys()
        if wanted:
            if len(self._keys) > _KEY_CACHE:
                self._keys.clear()
                wanted = set(subject_ids)
            conn = self._c
            # through the driver: an IN list rendered by SQLAlchemy bound each id on its own
            known = [r[0] for r in rows_with(conn, "subjects", ["subject_id"], "subject_id", sorted(wanted))]
            self._keys.update(person_keys.ensure(conn, known))
            conn.commit()
        return {sid: self._keys[sid] for sid in subject_ids if sid in self._keys}

    def _check_suppressed(self, events: EventColumns) -> None:
        """A grant for a person stopped on their request (法35条), or any row for one erased, is
        refused naming the row: the import must not bring the person back silently. Each
        distinct person is looked up once per batch."""
        if self._suppressed is None:
            return
        hits = {sid: self._suppressed.hit(suppression.SUBJECT_ID, sid) for sid in set(events.subject_id)}
        for sid, action, number in zip(events.subject_id, events.action, events.rows, strict=True):
            erased = hits[sid]
            if erased or (erased is not None and action == ConsentAction.grant):
                raise InputError(*suppression.SUPPRESSED, row=number, field="subject_id")

    def commit(self) -> RecordResult:
        """Check the staged rows as a whole, then record them in one short locked transaction."""
        if self._policy_problem is not None:
            raise self._policy_problem
        conn = self._c
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"CREATE INDEX {quote(_STAGE_INDEX)} ON {quote(_STAGE.name)} (event_id)")
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE hogo_import_stage")
        conn.commit()
        present = self._check()
        if present == 0 and not self._repeated():
            # Every staged row is recorded, in staging order: the staging table is the source.
            source, recorded, tally = _STAGE, self._staged, self._tally
        else:
            source, recorded = _READY, self._number()
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE hogo_import_ready")  # the chain's recursion probes it by n
            # The tally the events add, summed before the lock (binding.count under it is one update).
            tally = tally_of(conn.execute(select(_READY.c.row_digest)).scalars())
        conn.commit()
        if recorded:
            self._record(source, recorded, tally)
        return RecordResult(recorded=recorded, already_present=present)

    def _repeated(self) -> bool:
        """Whether an event id appears on more than one staged row (recorded once)."""
        s = _STAGE
        repeated = select(s.c.event_id).group_by(s.c.event_id).having(func.count() > 1).limit(1)
        return self._c.execute(repeated).first() is not None

    def _check(self) -> int:
        """Refuse the whole file for a changed duplicate, an unknown person or a changed event."""
        conn = self._c
        s, first = _STAGE, _STAGE.alias("first_row")
        firsts = (
            select(s.c.event_id, func.min(s.c.row_no).label("row_no"))
            .group_by(s.c.event_id)
            .having(func.count() > 1)
            .subquery()
        )
        changed = conn.execute(
            select(func.min(s.c.row_no))
            .join(firsts, firsts.c.event_id == s.c.event_id)
            .join(first, first.c.row_no == firsts.c.row_no)
            .where(s.c.row_digest != first.c.row_digest)
        ).scalar()
        if changed is not None:
            raise Conflict(
                f"{changed}行目: 同じ事象IDで内容の異なる行があります。",
                f"row {changed}: the same event id appears with different content.",
            )
        unknown = conn.execute(
            select(func.min(s.c.row_no)).where(
                ~exists(select(SubjectRow.subject_id).where(SubjectRow.subject_id == s.c.subject_id))
            )
        ).scalar()
        if unknown is not None:
            raise InputError(
                "本人が登録されていません。", "unknown subject.", row=unknown, field="subject_id"
            )
        present = 0
        stored_cols = [_EVENTS.c[name] for name in ConsentEvent.model_fields]
        result = conn.execute(
            select(s.c.row_no, s.c.row_digest, *stored_cols)
            .join(_EVENTS, _EVENTS.c.event_id == s.c.event_id)
            .order_by(s.c.row_no)
            .execution_options(yield_per=10_000)
        )
        seen: set[str] = set()
        for row in result:
            mapping = row._mapping
            stored = ConsentEvent.model_validate({k: mapping[k] for k in ConsentEvent.model_fields})
            if stored.event_id in seen:
                continue
            seen.add(stored.event_id)
            sid = stored.subject_id
            mine = self._keys.get(sid) or person_keys.lookup(conn, [sid], data=False).get(sid)
            if mine is None or event_digest(stored, mine.digest_key) != mapping["row_digest"]:
                result.close()
                number = mapping["row_no"]
                raise Conflict(
                    f"同じ事象IDの別内容が既に記録されています。({number}行目)",
                    f"an event with this id but different content is already recorded (row {number}).",
                )
            present += 1
        return present

    def _number(self) -> int:
        """The rows to record (first of each id, not yet stored), numbered in file order."""
        conn = self._c
        s = _STAGE
        _READY.create(conn)
        firsts = select(func.min(s.c.row_no)).group_by(s.c.event_id)
        carried = [c.name for c in _CARRIED]
        conn.execute(
            insert(_READY).from_select(
                ["n", *carried, "ref", "payload", "row_digest"],
                select(
                    func.row_number().over(order_by=s.c.row_no),
                    *[s.c[name] for name in carried],
                    s.c.ref,
                    s.c.payload,
                    s.c.row_digest,
                ).where(
                    s.c.row_no.in_(firsts),
                    ~exists(select(_EVENTS.c.event_id).where(_EVENTS.c.event_id == s.c.event_id)),
                ),
            )
        )
        return int(conn.execute(select(func.count()).select_from(_READY)).scalar() or 0)

    def _record(self, source: Table, count: int, tally: Tally) -> None:
        """The critical section: lock, chain, insert, commit. Other writers wait only for this.

        On PostgreSQL the persons named are locked first (FOR KEY SHARE, before the ledger head),
        so no one can delete them before this commits; that is what the foreign key's per-row
        trigger would do under the lock for each of a million rows (about half of the events'
        INSERT). When the role may and nothing else fires on these inserts, that trigger is then
        skipped for the one INSERT (`_row_checks_skippable`).
        """
        conn = self._c
        started = time.perf_counter()
        try:
            skip_row_checks = False
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                _lock_persons(conn, source)
                skip_row_checks = _row_checks_skippable(conn)
            persons = time.perf_counter()
            if _policy_revision(conn) != self._policy_revision:
                raise Conflict(
                    "取込み中にポリシーが変更されました。もう一度取り込んでください(何も記録していません)。",
                    "the policy changed during the import; nothing was recorded, run it again.",
                )
            first, _last = ledger.append_staged(conn, EntryKind.consent_event, source)
            chained = time.perf_counter()
            _insert_events(conn, source, first, skip_row_checks)
            binding.count(conn, {CONSENT_EVENTS.name: tally})
            inserted = time.perf_counter()
            conn.commit()
            done = time.perf_counter()
            log.debug(
                "import: %d events recorded; persons locked in %.2f s, then ledger lock waited and "
                "held %.2f s (ledger %.2f s, events %.2f s%s, commit %.2f s)",
                count,
                persons - started,
                done - persons,
                chained - persons,
                inserted - chained,
                " without per-row FK triggers" if skip_row_checks else "",
                done - inserted,
            )
        except IntegrityError:
            conn.rollback()
            raise Conflict(
                "取込み中に同じ事象が別の処理で記録されました。もう一度取り込んでください(何も記録していません)。",
                "the same events were recorded by another writer during the import; nothing was "
                "recorded, run it again.",
            ) from None
        except BaseException:
            conn.rollback()
            raise


def _insert_events(conn: Connection, source: Table, first: int, skip_row_checks: bool) -> None:
    """The rows to record (`source`, numbered n) into consent_events, bound to ledger entries
    first, first + 1, …"""
    carried = [c.name for c in _CARRIED]
    r = source
    if skip_row_checks:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    values: dict[str, ColumnElement[Any]] = {name: r.c[name] for name in carried}
    if conn.dialect.name == "postgresql":  # SQLite keeps the text as it is
        values["collected_at"] = cast(r.c.collected_at, DateTime())
    conn.execute(
        insert(_EVENTS).from_select(
            [*carried, "recorded_at", "ledger_seq"],
            select(
                *values.values(),
                literal(datetime.now(UTC), UTCDateTime()),
                r.c.n + (first - 1),
            ),
        )
    )
    if skip_row_checks:
        conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")


def _lock_persons(conn: Connection, source: Table) -> None:
    """Lock every person the ready rows name against deletion until commit (PostgreSQL), and
    refuse if one has gone since `_check`: the set-wise form of the foreign key's row check."""
    named = select(source.c.subject_id).distinct().subquery()
    locked = (
        select(SubjectRow.subject_id)
        .where(SubjectRow.subject_id.in_(select(named.c.subject_id)))
        .with_for_update(read=True, key_share=True)
        .subquery()
    )
    wanted = conn.execute(select(func.count()).select_from(named)).scalar_one()
    if conn.execute(select(func.count()).select_from(locked)).scalar_one() != wanted:
        raise Conflict(
            "取込み中に本人が削除されました。もう一度取り込んでください(何も記録していません)。",
            "a person was deleted during the import; nothing was recorded, run it again.",
        )


#: Inserts into consent_events that fire anything but the subject_id foreign key's own check.
_OTHER_INSERT_HOOKS = """
SELECT (SELECT count(*) FROM pg_trigger t LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint
        WHERE t.tgrelid = 'consent_events'::regclass AND (t.tgtype & 4) <> 0
          AND NOT (t.tgisinternal AND c.contype = 'f' AND c.confrelid = 'subjects'::regclass
                   AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute
                       WHERE attrelid = 'consent_events'::regclass AND attname = 'subject_id')]))
     + (SELECT count(*) FROM pg_rewrite WHERE ev_class = 'consent_events'::regclass)
"""


def _row_checks_skippable(conn: Connection) -> bool:
    """True when the events' INSERT may run without per-row foreign-key triggers (PostgreSQL).

    Why it is safe: `_lock_persons` has checked and locked every person the rows name, which is
    all the subject_id trigger would do, one row at a time. It is used only when that trigger is
    the sole thing an insert into consent_events fires (another trigger, rule or foreign key
    added later keeps the plain path) and when the role may set ``session_replication_role``
    (a superuser, or `GRANT SET ON PARAMETER session_replication_role`); otherwise the triggers
    run as usual, correct but slower.
    """
    if conn.execute(text(_OTHER_INSERT_HOOKS)).scalar_one() != 0:
        return False
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")
    except DBAPIError:
        return False
    return True


def _in_memory(conn: Connection) -> bool:
    database = conn.engine.url.database
    return conn.dialect.name == "sqlite" and (not database or database == ":memory:")


def _policy_revision(conn: Connection) -> int | None:
    return conn.execute(select(func.max(PolicyRevisionRow.revision))).scalar()


def staged_rows(events: EventColumns, encoded: Encoded, first: int) -> Iterator[tuple[Any, ...]]:
    """The staging table's rows for a batch, numbered from `first`, values as stored."""
    columns: dict[str, Sequence[Any]] = {
        "n": range(first, first + len(events)),
        "row_no": events.rows,
        **{name: getattr(events, name) for name in FIELDS},
        "collected_at": encoded.stored_at,
        "ref": encoded.refs,
        "payload": encoded.payloads,
        "row_digest": encoded.digests,
    }
    if any(SEPARATOR in sid for sid in events.subject_id):
        number = next(n for n, sid in zip(events.rows, events.subject_id, strict=True) if SEPARATOR in sid)
        raise InputError(
            "使用できない制御文字を含みます。",
            "contains a control character.",
            row=number,
            field="subject_id",
        )
    return zip(*(columns[c.name] for c in _STAGE.columns), strict=True)


def _copy_rows(conn: Connection, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
    """Rows (values in `table`'s column order, already in their stored form) into a staging
    table by the driver's fastest path: binary COPY on PostgreSQL, many rows a statement on
    SQLite (`store.bulk.write_rows`)."""
    if conn.dialect.name != "postgresql":
        write_rows(conn, table.name, [c.name for c in table.columns], rows)
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in table.columns)
    dbapi: Any = conn.connection.driver_connection
    binary = f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT BINARY)"
    with dbapi.cursor() as cursor, cursor.copy(binary) as copy:
        copy.set_types([_BINARY.get(type(c.type), "text") for c in table.columns])
        write = copy.write_row
        for row in rows:
            write(row)


#: Binary COPY types of the staging columns that are not text.
_BINARY: dict[type[Any], str] = {Integer: "int4", Boolean: "bool"}


def _policy_problem(policy: Policy, events: EventColumns) -> HogoError | None:
    """The first row's problem with the policy (`check_against_policy`) or the clock
    (`check_collected`), or None: the batch's distinct purposes and terms versions are looked up
    once and its latest collection time taken, rows are read only when one of them fails."""
    purposes = set(events.purpose_id) - {ALL_PURPOSES_IN_TERMS}
    terms = set(events.terms_version) - {None}
    latest = latest_collection()
    if (
        all(policy.purpose(p) is not None for p in purposes)
        and all(policy.terms_version(t) is not None for t in terms if t is not None)
        and max(events.collected_at) <= latest
    ):
        return None
    for event, number in zip(events.events(), events.rows, strict=True):
        try:
            check_against_policy(policy, event, number)
            check_collected(event, latest, number)
        except HogoError as exc:
            return exc
    return None
