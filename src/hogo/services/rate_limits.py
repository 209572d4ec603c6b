"""Budgets of calls per key and minute, counted in the store so that they hold across processes.

Why: the consent notice's budgets (per member site, per person) were counted in each server
process's memory, so `hogo serve --workers 4`, or two hosts behind a load balancer, allowed four
or two times as much (issue 15). Here a counted call adds one to its key's row for the current
minute with one statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING hits`) in the caller's
write transaction: no transaction of its own, and on SQLite no lock beyond the one the caller
holds. The caller counts last, just before its commit, so that on PostgreSQL a site's row, which
every call of the site updates, stays locked only for that commit. A refused call raises, which
rolls back the caller's transaction and its count with it: refusals do not use up the budget.

A fixed window (minutes since the epoch): around the turn of a minute up to twice a budget can
pass, and Retry-After is the rest of the minute. Keys are HMAC-SHA256 under a key derived from
HOGO_SECRET_KEY, so the table names no person. Rows of earlier minutes are deleted when the first
thing a call counts (the notice's site) counts its first call of a new minute: once a minute per
site, not once per person as well (a statement on nearly every notice); a call that rolls back
rolls its count back too, so the next one cleans.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from hogo.services.auth import TooManyAttempts
from hogo.store.sites import RateWindowRow


@dataclass(frozen=True)
class Budget:
    """At most `per_minute` calls a minute per counted thing, across every server process."""

    name: str
    per_minute: int


class RateLimited(TooManyAttempts):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.ja = "要求が多すぎます。しばらく待ってから再度お試しください。"
        self.en = "too many requests; try again later."


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hogo rate windows/1").derive(
        secret_key.encode("utf-8")
    )


def _statements(dialect: str) -> tuple[Executable, Executable]:
    """The count (upsert returning the hits) and the clean-up, built once per dialect: building
    them cost more than running them on the notice's path (issue 15)."""
    found = _BUILT.get(dialect)
    if found is None:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        table: Table = RateWindowRow.__table__  # type: ignore[assignment]
        count = (
            insert(table)
            .values(key=bindparam("key"), minute=bindparam("minute"), hits=1)
            .on_conflict_do_update(
                index_elements=[table.c.key, table.c.minute], set_={"hits": table.c.hits + 1}
            )
            .returning(table.c.hits)
        )
        found = _BUILT[dialect] = (count, delete(table).where(table.c.minute < bindparam("minute")))
    return found


_BUILT: dict[str, tuple[Executable, Executable]] = {}


def spend(
    session: Session, counted: Sequence[tuple[Budget, str]], *, secret_key: str, now: datetime | None = None
) -> None:
    """Count one call against each (budget, what it counts), in order; `RateLimited` when one is
    spent. Call it last in the write transaction it belongs to."""
    instant = (now or datetime.now(UTC)).timestamp()
    minute = int(instant // 60)
    session.flush()  # what the caller's transaction holds goes first: this is its last statement
    conn = session.connection()
    count, clean = _statements(conn.dialect.name)
    for i, (budget, what) in enumerate(counted):
        key = hmac.digest(_key(secret_key), f"{budget.name}\x1f{what}".encode(), "sha256").hex()
        hits = conn.execute(count, {"key": key, "minute": minute}).scalar_one()
        if hits == 1 and i == 0:  # the first thing counted (the notice's site) starts its minute
            conn.execute(clean, {"minute": minute})
        if hits > budget.per_minute:
            raise RateLimited(max(1, 60 - int(instant) % 60))
