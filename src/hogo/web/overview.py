"""The numbers behind the dashboard and the terms page, computed once per ledger state.

Coverage over time and the revision gap read every person's history; with tens of thousands of
members that takes seconds, so the result is cached under the ledger's head sequence number.
Any recorded fact appends to the ledger, so the next page view after a change recomputes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from hogo.domain.clock import JST
from hogo.domain.policy import Policy
from hogo.services import ledger
from hogo.services.coverage import (
    CoverageSeries,
    coverage_series,
    lacking_consent,
    load_tables,
    terms_revisions,
)
from hogo.services.database import read_scope
from hogo.services.policy import current_policy
from hogo.web.chart import time_points


@dataclass(frozen=True)
class Overview:
    head: int
    points: tuple[datetime, ...]
    series: tuple[CoverageSeries, ...]
    lacking: dict[str, int]
    at: datetime  # the gap is counted as of this time; its members list is read as of it too


def chart_purposes(policy: Policy) -> list[str]:
    """Purposes where coverage is a question: those needing consent or relying on opt-out."""
    return [p.id for p in policy.purposes if p.requires_consent or p.opt_out is not None]


class OverviewCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: Overview | None = None

    def get(self, db: Engine, policy: Policy, head: int) -> Overview:
        with self._lock:
            if self._value is not None and self._value.head == head:
                return self._value
            now = datetime.now(JST)
            start = min((t.effective_from for t in policy.terms), default=now.date())
            points = time_points(datetime(start.year, start.month, start.day, tzinfo=JST), now)
            tables = load_tables(db)
            series = coverage_series(tables, policy, chart_purposes(policy), points)
            added = sorted({p for r in terms_revisions(policy) for p in r.added})
            with read_scope(db) as session:
                lacking = lacking_consent(session, policy, added, now)
            self._value = Overview(head, tuple(points), tuple(series), lacking, now)
            return self._value

    def warm(self, db: Engine) -> None:
        """Compute the current overview ahead of the first page view (run in a background thread)."""
        with read_scope(db) as session:
            policy = current_policy(session)
            head = ledger.head(session).seq
        if policy is not None:
            self.get(db, policy, head)
