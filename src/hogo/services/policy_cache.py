"""The policy in force, parsed once per revision instead of once per request.

A consent check is answered hundreds of times a second; parsing and validating the whole policy
document each time would cost more than the decision. The cache asks the database only for the
newest revision's number and digest, so a `hogo policy apply` from another process is seen on
the next request.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import bindparam, select
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
from hogo.services.consent import require_policy
from hogo.store.tables import ConsentEventRow, LegalExceptionRow, PolicyRevisionRow, SubjectRow

# Statements are built once: constructing a SELECT costs more than running it on this path.
_S, _E, _X = SubjectRow, ConsentEventRow, LegalExceptionRow
_HEAD = (
    select(PolicyRevisionRow.revision, PolicyRevisionRow.sha256, PolicyRevisionRow.applied_at)
    .order_by(PolicyRevisionRow.revision.desc())
    .limit(1)
)
_SUBJECT = select(_S.subject_id, _S.birth_date, _S.identity_verified).where(_S.subject_id == bindparam("sid"))
_EVENTS = (
    select(
        _E.event_id, _E.subject_id, _E.purpose_id, _E.action, _E.collected_at, _E.terms_version, _E.method,
        _E.evidence, _E.guardian_name, _E.guardian_relation, _E.foreign_transfer_info_given,
    )
    .where(_E.subject_id == bindparam("sid"))
    .order_by(_E.collected_at, _E.event_id)
)  # fmt: skip
_EXCEPTIONS = select(
    _X.exception_id, _X.subject_id, _X.purpose_id, _X.ground, _X.recorded_at, _X.recipient_id, _X.valid_until,
    _X.note,
).where(_X.subject_id == bindparam("sid"))  # fmt: skip


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
        subject=Subject.model_construct(
            subject_id=found.subject_id,
            birth_date=found.birth_date,
            identity_verified=found.identity_verified,
        ),
        events=tuple(
            ConsentEvent.model_construct(
                event_id=r.event_id,
                subject_id=r.subject_id,
                purpose_id=r.purpose_id,
                action=ConsentAction(r.action),
                collected_at=r.collected_at,
                terms_version=r.terms_version,
                method=ConsentMethod(r.method),
                evidence=r.evidence,
                guardian_name=r.guardian_name,
                guardian_relation=r.guardian_relation,
                foreign_transfer_info_given=r.foreign_transfer_info_given,
            )
            for r in events
        ),
        exceptions=tuple(
            LegalException.model_construct(
                exception_id=r.exception_id,
                subject_id=r.subject_id,
                purpose_id=r.purpose_id,
                ground=ExceptionGround(r.ground),
                recorded_at=r.recorded_at,
                recipient_id=r.recipient_id,
                valid_until=r.valid_until,
                note=r.note,
            )
            for r in exceptions
        ),
    )
