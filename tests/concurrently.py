"""Two transactions side by side, for the checks that must not read a count another has not
committed yet (PostgreSQL runs writers concurrently; SQLite's wait for each other up front)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from hogo.store.database import write_scope

T = TypeVar("T")
U = TypeVar("U")


def _lock_waiters(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one())


def overlapping(
    db: Engine,
    first: Callable[[Session], T],
    second: Callable[[], U],
    then: Callable[[Session], object] | None = None,
) -> tuple[T, U]:
    """`first` in a write transaction; `second` started in a thread while `first`'s work is not
    committed yet; once `second` waits for a lock (or is done), `then` in the first transaction
    and the commit. Both results. PostgreSQL only: on SQLite the second would wait for the whole
    first transaction anyway."""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE)")
    answers: list[U] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            answers.append(second())
        except BaseException as exc:  # raised again below, in the test's thread
            failed.append(exc)

    with write_scope(db) as session:
        done = first(session)
        other = threading.Thread(target=run)
        other.start()
        deadline = time.monotonic() + 10
        while _lock_waiters(db) == 0 and other.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if then is not None:
            then(session)
    other.join(10)
    if failed:
        raise failed[0]
    return done, answers[0]
