"""The policy in force, parsed once per revision instead of once per request.

A consent check is answered hundreds of times a second; parsing and validating the whole policy
document each time would cost more than the decision. The cache asks the database only for the
newest revision's number and digest, so a `hogo policy apply` from another process is seen on
the next request.
"""

from __future__ import annotations

import threading
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from hogo.domain.consent import (
    ConsentAction,
    ConsentEvent,
    ConsentMethod,
    ExceptionGround,
    LegalException,
    Subject,
    SubjectHistory,
)
from hogo.domain.decision import Decision, decide
from hogo.domain.policy import Policy
from hogo.errors import NotFound
from hogo.services.policy import require_policy
from hogo.store.tables import ConsentEventRow, LegalExceptionRow, PolicyRevisionRow, SubjectRow

_M = TypeVar("_M", bound=BaseModel)

# Statements are built once: constructing a SELECT costs more than running it on this path.
_S, _E, _X = SubjectRow, ConsentEventRow, LegalExceptionRow
_HEAD = (
    select(PolicyRevisionRow.revision, PolicyRevisionRow.sha256, PolicyRevisionRow.applied_at)
    .order_by(PolicyRevisionRow.revision.desc())
    .limit(1)
)


def _columns(table: Any, model: type[BaseModel]) -> list[Any]:
    """The table's columns named as the model's fields: the rows read back what was recorded."""
    return [getattr(table, name) for name in model.model_fields]


_SUBJECT = select(*_columns(_S, Subject)).where(_S.subject_id == bindparam("sid"))
_EVENTS = (
    select(*_columns(_E, ConsentEvent))
    .where(_E.subject_id == bindparam("sid"))
    .order_by(_E.collected_at, _E.event_id)
)
_EXCEPTIONS = select(*_columns(_X, LegalException)).where(_X.subject_id == bindparam("sid"))


def _lean(model: type[_M], row: Row[Any], **enums: type[StrEnum]) -> _M:
    """A domain value from a row of `_columns(…, model)`, without a second validation; only the
    enums stored as text are restored."""
    values = row._asdict()
    for name, kind in enums.items():
        values[name] = kind(values[name])
    return model.model_construct(**values)


class PolicyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._policy: Policy | None = None

    def current(self, session: Session, at: datetime | None = None) -> Policy:
        """The policy in force, now or at ``at`` (raises like `require_policy` when none has been
        applied). Only the newest revision is cached: asking about an earlier time is rare."""
        head = session.execute(_HEAD).first()
        if head is not None and at is not None and at < head[2]:
            return require_policy(session, at)
        key = (head[0], head[1]) if head is not None else None
        with self._lock:
            if key is not None and key == self._key and self._policy is not None:
                return self._policy
        policy = require_policy(session)
        with self._lock:
            self._key, self._policy = key, policy
        return policy

    def check(
        self,
        session: Session,
        subject_id: str,
        purpose_id: str,
        at: datetime,
        recipient_id: str | None = None,
    ) -> Decision:
        """`hogo.services.consent.check` with the parsed policy reused and the history read lean."""
        return decide(
            self.current(session, at), stored_history(session, subject_id), purpose_id, at, recipient_id
        )


def stored_history(session: Session, subject_id: str) -> SubjectHistory:
    """`hogo.services.consent.history`, read as plain rows and built without re-validation.

    The rows were validated as domain models when they were recorded; on the hot path the
    ORM's identity map and a second validation would cost more than the decision itself.
    `tests/api/test_consents_api.py` checks that both readings give the same history.
    """
    found = session.execute(_SUBJECT, {"sid": subject_id}).first()
    if found is None:
        raise NotFound("本人が登録されていません。", "no such subject.")
    events = session.execute(_EVENTS, {"sid": subject_id}).all()
    exceptions = session.execute(_EXCEPTIONS, {"sid": subject_id}).all()
    return SubjectHistory.model_construct(
        subject=_lean(Subject, found),
        events=tuple(_lean(ConsentEvent, r, action=ConsentAction, method=ConsentMethod) for r in events),
        exceptions=tuple(_lean(LegalException, r, ground=ExceptionGround) for r in exceptions),
    )
