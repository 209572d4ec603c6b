"""Idempotency keys: a retried request gets the first answer instead of acting twice.

The answer is stored in the same transaction as the change it describes, so either both are
kept or neither is. A key reused with a different request body is a conflict, not a replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hogo.errors import Conflict
from hogo.store.auth import IdempotencyRow
from hogo.store.database import savepoint


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: str


def _conflict() -> Conflict:
    return Conflict(
        "この Idempotency-Key は別の内容の要求に使われています。",
        "this Idempotency-Key was used with a different request.",
    )


def replay(session: Session, principal: str, key: str, request_hash: str) -> StoredAnswer | None:
    row = session.get(IdempotencyRow, (principal, key))
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise _conflict()
    return StoredAnswer(row.status_code, row.response)


def remember(
    session: Session, principal: str, key: str, request_hash: str, status_code: int, body: str
) -> StoredAnswer:
    """Store the answer; if a concurrent request stored one first, that one is the answer."""
    try:
        with savepoint(session):
            session.add(
                IdempotencyRow(
                    principal=principal,
                    key=key,
                    request_hash=request_hash,
                    status_code=status_code,
                    response=body,
                    created_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        first = replay(session, principal, key, request_hash)
        if first is None:
            raise
        return first
    return StoredAnswer(status_code, body)
