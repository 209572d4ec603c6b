"""The organisation at a glance: counts, consent coverage over time, and the revision gap.

The gap is the seed's question: after a terms revision added a purpose, how many members who
accepted the terms have no consent that covers it? It is answered with the same decision engine
as a single check (`decide_assessed`), so the console never disagrees with `hogo consent check`.
Coverage over time uses the set-wise engine (`hogo.eligibility`), which is tested for equality
with `decide`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hogo.config import load_settings
from hogo.domain import reasons as R
from hogo.domain.consent import (
    ALL_PURPOSES_IN_TERMS,
    ConsentAction,
    ConsentEvent,
    ConsentMethod,
    Subject,
    SubjectHistory,
)
from hogo.domain.decision import assess, decide_assessed
from hogo.domain.ids import is_record_id
from hogo.domain.policy import Policy
from hogo.eligibility import eligible_subjects
from hogo.engines import get_engine
from hogo.services import ledger
from hogo.services.policy import current_revision
from hogo.services.subjects import to_domain
from hogo.store.export import ConsentTables, consent_tables
from hogo.store.tables import ConsentEventRow, SubjectRow


@dataclass(frozen=True)
class Counts:
    subjects: int
    consent_events: int
    purposes: int
    terms_versions: int
    ledger_entries: int
    policy_revision: int | None


@dataclass(frozen=True)
class TermsRevision:
    """One terms version and what it changed against the version before it."""

    version: str
    effective_from: date
    purposes: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class CoveragePoint:
    at: datetime
    allowed: int
    subjects: int

    @property
    def share(self) -> float:
        return self.allowed / self.subjects if self.subjects else 0.0


@dataclass(frozen=True)
class CoverageSeries:
    purpose_id: str
    title: str
    points: tuple[CoveragePoint, ...]


def counts(session: Session, policy: Policy | None) -> Counts:
    revision = current_revision(session)
    return Counts(
        subjects=session.scalar(select(func.count()).select_from(SubjectRow)) or 0,
        consent_events=session.scalar(select(func.count()).select_from(ConsentEventRow)) or 0,
        purposes=len(policy.purposes) if policy else 0,
        terms_versions=len(policy.terms) if policy else 0,
        ledger_entries=ledger.head(session).seq,
        policy_revision=revision.revision if revision else None,
    )


def terms_revisions(policy: Policy) -> list[TermsRevision]:
    """Terms versions in effective order, each with the purposes it added and removed."""
    result: list[TermsRevision] = []
    before: tuple[str, ...] = ()
    for t in sorted(policy.terms, key=lambda t: t.effective_from):
        added = tuple(p for p in t.purposes if p not in before)
        removed = tuple(p for p in before if p not in t.purposes)
        result.append(
            TermsRevision(t.version, t.effective_from, t.purposes, added if result else (), removed)
        )
        before = t.purposes
    return result


def coverage_series(
    tables: ConsentTables, policy: Policy, purpose_ids: Sequence[str], points: Sequence[datetime]
) -> list[CoverageSeries]:
    """How many persons each purpose may include at each point in time (one data engine,
    HOGO_ENGINE)."""
    series = []
    settings = load_settings()
    sql = get_engine(settings.engine, memory_limit=settings.engine_memory_limit)
    try:
        for pid in purpose_ids:
            purpose = policy.purpose(pid)
            values = []
            for at in points:
                r = eligible_subjects(policy, tables, pid, at, engine=sql)
                values.append(CoveragePoint(at, r.allowed, r.subjects))
            series.append(CoverageSeries(pid, purpose.title if purpose else pid, tuple(values)))
    finally:
        sql.close()
    return series


def load_tables(engine: Engine) -> ConsentTables:
    return consent_tables(engine)


def _histories(tables: ConsentTables) -> list[SubjectHistory]:
    """Histories straight from trusted store rows (already validated when recorded)."""
    events: dict[str, list[ConsentEvent]] = {}
    for e in tables.events.to_pylist():
        events.setdefault(e["subject_id"], []).append(
            ConsentEvent.model_construct(
                event_id=e["event_id"],
                subject_id=e["subject_id"],
                purpose_id=e["purpose_id"],
                action=ConsentAction(e["action"]),
                collected_at=e["collected_at"].replace(tzinfo=UTC),
                terms_version=e["terms_version"],
                method=ConsentMethod.other,
                evidence=None,
                guardian_name=e["guardian_name"],
                guardian_relation=None,
                foreign_transfer_info_given=bool(e["foreign_transfer_info_given"]),
            )
        )
    return [
        SubjectHistory.model_construct(
            subject=Subject.model_construct(
                subject_id=s["subject_id"],
                birth_date=s["birth_date"],
                identity_verified=bool(s["identity_verified"]),
            ),
            events=tuple(sorted(events.get(s["subject_id"], []), key=lambda e: e.order_key())),
            exceptions=(),
        )
        for s in tables.subjects.to_pylist()
    ]


def lacking_consent(
    tables: ConsentTables, policy: Policy, purpose_ids: Sequence[str], at: datetime
) -> dict[str, int]:
    """Per purpose: members who accepted terms, yet whose acceptance does not cover the purpose.

    Counted are persons whose decision at `at` is a denial citing TERMS_DID_NOT_INCLUDE_PURPOSE
    (法18条1項): they accepted a version of the terms that did not list the purpose and gave no
    consent to it since. Persons with a recorded legal exception are never counted.
    """
    histories = [
        h for h in _histories(tables) if any(e.purpose_id == ALL_PURPOSES_IN_TERMS for e in h.events)
    ]
    result: dict[str, int] = {}
    for pid in purpose_ids:
        a = assess(policy, pid, at)
        n = 0
        for h in histories:
            d = decide_assessed(a, h)
            if not d.allowed and any(r.code == R.TERMS_DID_NOT_INCLUDE_PURPOSE.code for r in d.reasons):
                n += 1
        result[pid] = n
    return result


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_subjects(session: Session, query: str, limit: int = 50, offset: int = 0) -> list[Subject]:
    """Persons whose id starts with `query` (case-insensitive), in id order."""
    stmt = select(SubjectRow).order_by(SubjectRow.subject_id).limit(limit).offset(offset)
    query = query.strip()
    if query and not is_record_id(query):
        return []  # no id starts with a character outside the alphabet
    if query:
        stmt = stmt.where(func.lower(SubjectRow.subject_id).like(_like_prefix(query.lower()), escape="\\"))
    return [to_domain(r) for r in session.scalars(stmt)]
