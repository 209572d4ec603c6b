"""The organisation at a glance: counts, consent coverage over time, and the revision gap.

The gap is the seed's question: after a terms revision added a purpose, how many members who
accepted the terms have no consent that covers it? It is answered from the same reader
(`services.histories`) with the same decision engine as a single check (`decide_assessed`), so
the console never disagrees with `hogo consent check`.
Coverage over time uses the set-wise engine (`hogo.eligibility`), which is tested for equality
with `decide`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hogo.config import load_settings
from hogo.domain import reasons as R
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, Subject
from hogo.domain.decision import assess_purpose, decide_assessed
from hogo.domain.ids import is_record_id
from hogo.domain.policy import Policy
from hogo.eligibility import eligible_subjects
from hogo.engines import get_engine
from hogo.errors import NotFound
from hogo.services import ledger
from hogo.services.database import read_scope
from hogo.services.histories import histories
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


def load_tables(db: Engine) -> ConsentTables:
    return consent_tables(db)


def _lacking(
    session: Session, policy: Policy, purpose_ids: Sequence[str], at: datetime
) -> Iterator[tuple[str, str]]:
    """(person, purpose) for each purpose the person's acceptance of the terms does not cover.

    That is a denial at `at` citing TERMS_DID_NOT_INCLUDE_PURPOSE (法18条1項): the person
    accepted a version of the terms that did not list the purpose and gave no consent to it
    since. A person whose recorded legal exception applies is never among them. Histories come
    from the one reader in chunks (`services.histories.histories`), so memory stays bounded
    however many members there are.
    """
    assessed = [assess_purpose(policy, pid, at) for pid in dict.fromkeys(purpose_ids)]
    for h in histories(session):
        if not any(e.purpose_id == ALL_PURPOSES_IN_TERMS for e in h.events):
            continue
        for a in assessed:
            d = decide_assessed(a, h)
            if not d.allowed and any(r.code == R.TERMS_DID_NOT_INCLUDE_PURPOSE.code for r in d.reasons):
                yield h.subject.subject_id, a.purpose_id


def lacking_consent(
    session: Session, policy: Policy, purpose_ids: Sequence[str], at: datetime
) -> dict[str, int]:
    """Per purpose: how many members accepted terms whose acceptance does not cover it (`_lacking`)."""
    result = dict.fromkeys(purpose_ids, 0)
    for _, purpose_id in _lacking(session, policy, purpose_ids, at):
        result[purpose_id] += 1
    return result


def lacking_members(session: Session, policy: Policy, purpose_ids: Sequence[str], at: datetime) -> list[str]:
    """The persons `lacking_consent` counts, for any of the purposes: who, not only how many
    (a re-consent campaign's default targets), in id order."""
    return sorted({subject_id for subject_id, _ in _lacking(session, policy, purpose_ids, at)})


def lacking_ids(
    session: Session, policy: Policy, purpose_id: str, at: datetime, prefix: str = ""
) -> Iterator[str]:
    """The persons `lacking_consent` counts for one purpose, in id order as they are found, those
    whose id starts with `prefix` (case-insensitive, as `search_subjects`): the dashboard's members
    list pages through this and its export streams it, so neither holds the whole gap in memory.
    An unknown purpose is refused here, before anything is read."""
    _require_purpose(policy, purpose_id)
    prefix = prefix.strip().lower()
    found = (s for s, _ in _lacking(session, policy, [purpose_id], at))
    return (s for s in found if s.lower().startswith(prefix))


def _require_purpose(policy: Policy, purpose_id: str) -> None:
    if policy.purpose(purpose_id) is None:
        raise NotFound("利用目的が定義されていません。", "no such purpose of use.")


def subjects_by_id(session: Session, subject_ids: Sequence[str]) -> list[Subject]:
    """The persons with these ids, in the order given (one query)."""
    rows = {
        r.subject_id: r
        for r in session.scalars(select(SubjectRow).where(SubjectRow.subject_id.in_(subject_ids)))
    }
    return [to_domain(rows[s]) for s in subject_ids if s in rows]


def contacts(
    session: Session, subject_ids: Iterable[str], batch: int = 10_000
) -> Iterator[list[tuple[str, str, str]]]:
    """(id, e-mail, phone) of each person, in batches of `batch` ids, for a mail-campaign CSV."""
    ids = iter(subject_ids)
    while part := list(islice(ids, batch)):
        rows = session.execute(
            select(SubjectRow.subject_id, SubjectRow.email, SubjectRow.phone)
            .where(SubjectRow.subject_id.in_(part))
            .order_by(SubjectRow.subject_id)
        )
        yield [(s, e or "", p or "") for s, e, p in rows]


def lacking_contacts(
    db: Engine, policy: Policy, purpose_id: str, at: datetime
) -> Iterator[list[tuple[str, str, str]]]:
    """`contacts` of the persons `lacking_ids` lists, in a read snapshot of their own: a download
    streams after the request's unit of work has ended, and memory stays one batch however large
    the gap. An unknown purpose is refused at the call, before the download starts."""
    _require_purpose(policy, purpose_id)

    def rows() -> Iterator[list[tuple[str, str, str]]]:
        with read_scope(db) as session:
            yield from contacts(session, lacking_ids(session, policy, purpose_id, at))

    return rows()


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
