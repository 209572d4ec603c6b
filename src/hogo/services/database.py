"""The store as the front ends open it: a db (a SQLAlchemy `Engine`, migrated where hogo may),
units of work, a liveness check, and the lock that marks a SQLite store as being served.

Units of work: `read_scope` (one snapshot, no write lock) and `write_scope` (takes the write
lock up front) are the only two; the front end opens one per command or request and hands its
session to services, which never begin, commit or roll back (`savepoint` undoes a part).

Why here: the CLI, the API and the console call services, never `hogo.store` (an import-linter
contract in pyproject.toml keeps it so); this is their one door to the database plumbing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hogo.errors import StoreBusy
from hogo.store.database import (
    DEFAULT_LOCK_TIMEOUT,
    is_busy,
    read_scope,
    savepoint,
    write_scope,
)
from hogo.store.database import make_db as _make_db
from hogo.store.database import upgrade as _upgrade
from hogo.store.serving import hold as hold_served
from hogo.store.serving import sqlite_path

__all__ = [
    "busy_is_store_busy",
    "hold_served",
    "is_busy",
    "open_store",
    "ping",
    "read_scope",
    "savepoint",
    "sqlite_path",
    "write_scope",
]


def open_store(
    url: str, *, migrate: bool | None = None, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Engine:
    """A db (SQLAlchemy `Engine`) for `url`. By default SQLite stores are brought to the newest
    schema on use while PostgreSQL waits for `hogo init`; `migrate` overrides that either way. A
    write waits at most `lock_timeout` seconds for another writer's lock (then `StoreBusy`)."""
    db = _make_db(url, lock_timeout=lock_timeout)
    if migrate if migrate is not None else db.dialect.name == "sqlite":
        _upgrade(db)
    return db


def ping(session: Session) -> None:
    """A round trip to the database (health checks): raises if it cannot answer."""
    session.execute(text("SELECT 1"))


@contextmanager
def busy_is_store_busy() -> Iterator[None]:
    """A database error that means "another writer holds the lock" becomes `StoreBusy` (a user
    error: nothing was changed, try again); any other database error passes unchanged."""
    try:
        yield
    except DBAPIError as exc:
        if not is_busy(exc):
            raise
        raise StoreBusy() from None
