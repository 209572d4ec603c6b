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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    exists,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from hogo.domain.binding import CONSENT_EVENTS, Tally, tally_of
from hogo.domain.consent import ConsentAction, ConsentEvent
from hogo.domain.ledger import SEPARATOR, EntryKind, canonical
from hogo.errors import Conflict, HogoError, InputError
from hogo.services import binding, ledger, suppression
from hogo.services.consent import (
    RecordResult,
    check_against_policy,
    event_digest,
    event_payload,
    event_to_row_values,
)
from hogo.services.policy import require_policy
from hogo.services.subjects import subject_ref
from hogo.store.tables import ConsentEventRow, PolicyRevisionRow, SubjectRow
from hogo.store.types import UTCDateTime

log = logging.getLogger(__name__)

_EVENTS: Table = ConsentEventRow.__table__  # type: ignore[assignment]
#: Event columns carried through staging (the rest, recorded_at and ledger_seq, are set at commit).
_CARRIED = [c for c in _EVENTS.columns if c.name not in ("recorded_at", "ledger_seq")]
_meta = MetaData()
_STAGE = Table(
    "hogo_import_stage",
    _meta,
    Column("row_no", Integer, nullable=False),
    *[Column(c.name, c.type) for c in _CARRIED],
    Column("ref", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("row_digest", Text, nullable=False),
    prefixes=["TEMPORARY"],
)
#: The rows to record, numbered 1..n in file order (ledger seq = head + n).
_READY = Table(
    "hogo_import_ready",
    _meta,
    Column("n", Integer, primary_key=True, autoincrement=False),
    *[Column(c.name, c.type) for c in _CARRIED],
    Column("ref", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("row_digest", Text, nullable=False),
    prefixes=["TEMPORARY"],
)
Index("ix_hogo_import_stage_event", _STAGE.c.event_id)  # created with the table


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
        self._policy_problem: HogoError | None = None
        self._suppressed: suppression.Suppressed | None = None

    def __enter__(self) -> Self:
        conn = self._db.connect()
        self._conn = conn
        try:
            with Session(bind=conn) as session:
                self._policy = require_policy(session)
                self._suppressed = suppression.in_force(session)
            self._policy_revision = _policy_revision(conn)
            _STAGE.drop(conn, checkfirst=True)
            _READY.drop(conn, checkfirst=True)
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
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            conn.rollback()
            _STAGE.drop(conn, checkfirst=True)
            _READY.drop(conn, checkfirst=True)
            conn.commit()
        except Exception:
            # The staged personal data must not outlive the import on a pooled connection:
            # discard the connection itself (its temporary tables die with it).
            conn.invalidate()
        finally:
            conn.close()

    @property
    def _c(self) -> Connection:
        assert self._conn is not None, "use EventImport as a context manager"
        return self._conn

    def stage(self, events: Sequence[ConsentEvent], rows: Sequence[int]) -> None:
        """Check a batch against the policy and stage it; nothing is locked or visible yet.

        A policy problem is kept (the first one) and raised by `commit()`, so that problems in
        the file's own rows, found while reading, are reported first as before.
        """
        records: list[dict[str, Any]] = []
        for event, number in zip(events, rows, strict=True):
            if self._policy_problem is None:
                try:
                    check_against_policy(self._policy, event, number)
                except HogoError as exc:
                    self._policy_problem = exc
            self._check_suppressed(event, number)
            ref = subject_ref(event.subject_id)
            if SEPARATOR in ref:
                raise InputError(
                    "使用できない制御文字を含みます。",
                    "contains a control character.",
                    row=number,
                    field="subject_id",
                )
            values = event_to_row_values(event)
            values["row_no"] = number
            values["ref"] = ref
            digest = event_digest(event)
            values["payload"] = canonical(event_payload(event, digest)).decode("utf-8")
            values["row_digest"] = digest
            records.append(values)
        if not records:
            return
        conn = self._c
        _bulk_insert(conn, _STAGE, records)
        conn.commit()
        self._staged += len(records)

    def _check_suppressed(self, event: ConsentEvent, number: int) -> None:
        """A grant for a person stopped on their request (法35条), or any row for one erased, is
        refused naming the row: the import must not bring the person back silently."""
        if self._suppressed is None:
            return
        erased = self._suppressed.hit(suppression.SUBJECT_ID, event.subject_id)
        if erased or (erased is not None and event.action is ConsentAction.grant):
            raise InputError(*suppression.SUPPRESSED, row=number, field="subject_id")

    def commit(self) -> RecordResult:
        """Check the staged rows as a whole, then record them in one short locked transaction."""
        if self._policy_problem is not None:
            raise self._policy_problem
        conn = self._c
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE hogo_import_stage")
        conn.commit()
        present = self._check()
        recorded = self._number()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE hogo_import_ready")  # the chain's recursion probes it by n
        # The tally the events add, summed before the lock (binding.count under it is one update).
        tally = tally_of(conn.execute(select(_READY.c.row_digest)).scalars())
        conn.commit()
        if recorded:
            self._record(recorded, tally)
        return RecordResult(recorded=recorded, already_present=present)

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
            .where(s.c.payload != first.c.payload)
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
            if event_digest(stored) != mapping["row_digest"]:
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

    def _record(self, count: int, tally: Tally) -> None:
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
                _lock_persons(conn)
                skip_row_checks = _row_checks_skippable(conn)
            persons = time.perf_counter()
            if _policy_revision(conn) != self._policy_revision:
                raise Conflict(
                    "取込み中にポリシーが変更されました。もう一度取り込んでください(何も記録していません)。",
                    "the policy changed during the import; nothing was recorded, run it again.",
                )
            first, _last = ledger.append_staged(conn, EntryKind.consent_event, _READY)
            chained = time.perf_counter()
            _insert_events(conn, first, skip_row_checks)
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


def _insert_events(conn: Connection, first: int, skip_row_checks: bool) -> None:
    """The ready rows into consent_events, bound to ledger entries first, first + 1, …"""
    carried = [c.name for c in _CARRIED]
    r = _READY
    if skip_row_checks:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    conn.execute(
        insert(_EVENTS).from_select(
            [*carried, "recorded_at", "ledger_seq"],
            select(
                *[r.c[name] for name in carried],
                literal(datetime.now(UTC), UTCDateTime()),
                r.c.n + (first - 1),
            ),
        )
    )
    if skip_row_checks:
        conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")


def _lock_persons(conn: Connection) -> None:
    """Lock every person the ready rows name against deletion until commit (PostgreSQL), and
    refuse if one has gone since `_check`: the set-wise form of the foreign key's row check."""
    named = select(_READY.c.subject_id).distinct().subquery()
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


def _policy_revision(conn: Connection) -> int | None:
    return conn.execute(select(func.max(PolicyRevisionRow.revision))).scalar()


def _bulk_insert(conn: Connection, table: Table, records: list[dict[str, Any]]) -> None:
    """Rows into a staging table by the driver's fastest path (COPY on PostgreSQL, executemany on
    SQLite), values bound the way the column types bind them. Identifiers come from the table."""
    dialect = conn.dialect
    columns = [c.name for c in table.columns]
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    rows = [
        [
            record[name] if process is None else process(record[name])
            for name, process in zip(columns, processors, strict=True)
        ]
        for record in records
    ]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    dbapi: Any = conn.connection.driver_connection
    if dialect.name == "postgresql":
        with dbapi.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        dbapi.executemany(
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))})", rows
        )
