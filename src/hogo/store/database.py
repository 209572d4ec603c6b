"""The database (a SQLAlchemy `Engine`, called `db`: "engine" means the data engine), sessions
and schema upgrades. Units of work are `read_scope` and `write_scope`."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

#: How long a writer waits for another writer's lock before giving up (seconds); see
#: `hogo.config.Settings.lock_timeout`.
DEFAULT_LOCK_TIMEOUT = 30.0


def make_db(url: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, **kwargs: Any) -> Engine:
    """Create a db; SQLite gets WAL, foreign keys and a busy timeout.

    Writers wait up to ``lock_timeout`` seconds for another writer's lock (SQLite's busy timeout,
    PostgreSQL's ``lock_timeout``) and then fail with an error `is_busy` recognises, which
    callers turn into `hogo.errors.StoreBusy` (a 503 with Retry-After in the API). In WAL mode
    readers never wait for writers. A failed statement's error names no values (SQLAlchemy's
    ``hide_parameters``): they may be personal data, and the error's text reaches stderr and logs.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    millis = max(1, int(lock_timeout * 1000))
    if url.startswith("postgresql"):
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("options", f"-c lock_timeout={millis}")
        kwargs["connect_args"] = connect_args
    db = create_engine(url, **kwargs)
    if db.dialect.name == "sqlite":
        _create_private(url)
        event.listen(db, "connect", lambda conn, rec: _sqlite_pragmas(conn, rec, millis))
    return db


def _create_private(url: str) -> None:
    """A new SQLite store is created 0600 before SQLite opens it (SQLite gives its -wal and -shm
    files the database's mode): it holds personal data, whatever the process umask."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with suppress(OSError):  # it exists already, or SQLite will say why it cannot be opened
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


#: SQLite's "database is locked"/"busy" codes and PostgreSQL's lock_not_available (55P03).
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
_PG_LOCK_NOT_AVAILABLE = "55P03"


def is_busy(exc: BaseException) -> bool:
    """True when a database error means "another writer holds the lock; try again later"."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in _SQLITE_BUSY
    return getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_millis: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_millis)}")
    if not _is_memory(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _is_memory(dbapi_connection: Any) -> bool:
    cursor = dbapi_connection.cursor()
    try:
        rows = cursor.execute("PRAGMA database_list").fetchall()
        return any(row[2] == "" for row in rows)
    finally:
        cursor.close()


def alembic_config(db: Engine) -> Config:
    """Alembic is imported here, not with the module: it takes a sixth of a second (with mako
    and pygments), and most users of this module never migrate — among them the full verify's
    second process (`services.ledger_part`), whose start the whole verify waits for."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["db"] = db
    return cfg


def upgrade(db: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest revision (the same migrations on SQLite and PostgreSQL)."""
    from alembic import command  # see `alembic_config`

    command.upgrade(alembic_config(db), revision)


@contextmanager
def _unit_of_work(db: Engine, begin: str | None, isolation: str | None = None) -> Iterator[Session]:
    """The one place a unit of work is begun, committed and rolled back: commit when the block
    succeeds, roll everything back when it raises (see docs/architecture.md, "one transaction
    rule"). `begin` is the statement that opens the transaction explicitly, if one must;
    `isolation` the isolation level the transaction's connection is given.

    A plain `Session`, not a `sessionmaker` per unit of work: making one defines a Session
    subclass and sets its events up, which cost more than a short request's queries (issue 15)."""
    session = Session(db, expire_on_commit=False)
    try:
        if begin is not None:
            # As written, on the session's connection: the ORM's path for a `text()` statement
            # cost about as much as the short read it opens (issue 15).
            session.connection().exec_driver_sql(begin)
        elif isolation is not None:
            session.connection(execution_options={"isolation_level": isolation})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_scope(db: Engine, *, snapshot: str | None = None) -> Iterator[Session]:
    """A read-only unit of work that sees one consistent snapshot and takes no write lock.

    Why: a reader that reads several things (the ledger head, then every entry) while others
    write must not see a commit in between: SQLite's WAL read transaction is one snapshot
    once begun (the driver would otherwise run each SELECT on its own, so it is begun explicitly,
    DEFERRED: no lock is taken); PostgreSQL needs REPEATABLE READ (READ COMMITTED takes a new
    snapshot per statement). ``snapshot`` (PostgreSQL): read the snapshot another transaction
    exported (`export_snapshot`), so two processes read the same state.
    """
    sqlite = db.dialect.name == "sqlite"
    with _unit_of_work(db, "BEGIN" if sqlite else None, None if sqlite else "REPEATABLE READ") as session:
        if snapshot is not None:
            if sqlite or SNAPSHOT_ID.fullmatch(snapshot) is None:
                raise ValueError("not a PostgreSQL snapshot id")
            # SET TRANSACTION SNAPSHOT takes no bind parameter; the id was checked above.
            session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
        yield session


#: What pg_export_snapshot returns (e.g. 00000003-0000001B-1): checked before it is named in SQL.
SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")


def export_snapshot(conn: Connection) -> str | None:
    """The id under which other transactions (another process, pg_dump, a COPY connection) may
    read this one's snapshot (PostgreSQL, for as long as this transaction lasts); None on SQLite,
    which has no such thing."""
    if conn.dialect.name != "postgresql":
        return None
    return str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())


@contextmanager
def read_connection(db: Engine) -> Iterator[Connection]:
    """`read_scope` for streaming reads with SQLAlchemy Core (a consent snapshot): one consistent
    snapshot, no write lock, and nothing to commit (it is rolled back when the block ends)."""
    with db.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # deferred: the first read fixes the WAL snapshot
        else:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()


@contextmanager
def write_scope(db: Engine) -> Iterator[Session]:
    """A transaction that will write. On SQLite it takes the write lock up front (BEGIN IMMEDIATE):
    a deferred transaction that read first could not be serialised against a concurrent writer
    (the ledger's head would be read twice), while an immediate one simply waits its turn.
    PostgreSQL serialises ledger appends by locking the head row instead."""
    with _unit_of_work(db, "BEGIN IMMEDIATE" if db.dialect.name == "sqlite" else None) as session:
        yield session


def one_at_a_time(session: Session, *keys: str) -> None:
    """Writers that count before they add (throttles, hourly limits) and share one of `keys` wait
    for each other until they commit: side by side on PostgreSQL, each would count without the
    others' rows and all would pass. Transaction-scoped advisory locks, taken in the order given
    (callers name keys in one fixed order, so two cannot wait on each other); nothing is locked
    on SQLite, whose writers are serialised already (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A part of a unit of work that is undone on its own when it raises, while the rest goes on:
    a console form shown again with its error must not commit half of what failed, and a
    concurrent insert that lost a race must not spoil the transaction around it."""
    with session.begin_nested():
        yield
