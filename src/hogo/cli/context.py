"""Opening the store for a command: settings, db, schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hogo.config import load_settings
from hogo.domain.clock import JST, parse_instant
from hogo.errors import InputError
from hogo.services.database import open_store, read_scope, write_scope


def open_db(auto_upgrade: bool | None = None) -> Engine:
    """SQLite stores are brought to the newest schema on use; PostgreSQL waits for `hogo init`."""
    settings = load_settings()
    return open_store(settings.database_url, migrate=auto_upgrade, lock_timeout=settings.lock_timeout)


@contextmanager
def opened() -> Iterator[Engine]:
    """The store's db for one command, disposed of when the command ends."""
    db = open_db()
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A command that changes the store: one write transaction (it takes the write lock)."""
    with opened() as db, write_scope(db) as session:
        yield session


def at_or_now(value: str | None, option: str = "--at") -> datetime:
    """Like `parse_at`, but a bad time is an `InputError` naming the option (for `--json` errors)."""
    try:
        return parse_at(value)
    except typer.BadParameter:
        raise InputError(
            "ISO-8601の日時を指定してください(例 2024-04-01T09:00)。",
            "expected an ISO-8601 time (e.g. 2024-04-01T09:00).",
            field=option,
        ) from None


@contextmanager
def reading() -> Iterator[Session]:
    """A command that only reads: never takes the write lock, so it answers during a bulk import
    or any other long write (SQLite in WAL mode and PostgreSQL read a consistent snapshot)."""
    with opened() as db, read_scope(db) as session:
        yield session


def day_or_today(value: str | None) -> date:
    """A day option (YYYY-MM-DD); today in Japan when omitted."""
    if value is None:
        return datetime.now(JST).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("YYYY-MM-DD で指定してください / expected YYYY-MM-DD") from None


def optional_instant(value: str | None, hint: str) -> datetime | None:
    """An optional time option (`hint` names it) in ISO-8601 (JST when no offset); None when omitted."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise typer.BadParameter("ISO-8601の日時 / an ISO-8601 time", param_hint=hint) from None


def parse_at(value: str | None) -> datetime:
    """`--at` in ISO-8601 (JST when no offset); now when omitted."""
    if value is None:
        return datetime.now(JST)
    try:
        return parse_instant(value)
    except ValueError:
        raise typer.BadParameter("ISO-8601の日時を指定してください / expected an ISO-8601 time") from None
