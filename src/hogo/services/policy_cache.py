"""The policy in force, parsed once per revision instead of once per request.

A consent check is answered hundreds of times a second; parsing and validating the whole policy
document each time would cost more than the decision. The cache asks the database only for the
newest revision's number and digest, so a `hogo policy apply` from another process is seen on
the next request.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.policy import Policy
from hogo.services.policy import require_policy
from hogo.store.tables import PolicyRevisionRow

# Built once: constructing a SELECT costs more than running it on the check path.
_HEAD = (
    select(PolicyRevisionRow.revision, PolicyRevisionRow.sha256, PolicyRevisionRow.applied_at)
    .order_by(PolicyRevisionRow.revision.desc())
    .limit(1)
)


class PolicyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._policy: Policy | None = None

    def current(self, session: Session, at: datetime | None = None) -> Policy:
        """The policy in force, now or at ``at`` (raises like `require_policy` when none has been
        applied). Only the newest revision is cached: asking about an earlier time is rare."""
        head = session.connection().execute(_HEAD).first()
        if head is not None and at is not None and at < head[2]:
            return require_policy(session, at)
        return self._newest(session, (head[0], head[1]) if head is not None else None)

    def in_force(self, session: Session) -> tuple[int, str, Policy]:
        """The policy in force now with its revision number and digest: what anything derived
        from it alone (a rendered notice) may be kept by."""
        head = session.connection().execute(_HEAD).first()
        policy = self._newest(session, (head[0], head[1]) if head is not None else None)
        assert head is not None  # `_newest` raised otherwise
        return head[0], head[1], policy

    def _newest(self, session: Session, key: tuple[int, str] | None) -> Policy:
        with self._lock:
            if key is not None and key == self._key and self._policy is not None:
                return self._policy
        policy = require_policy(session)
        with self._lock:
            self._key, self._policy = key, policy
        return policy
