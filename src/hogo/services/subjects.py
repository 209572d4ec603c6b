"""Persons (本人): registering them, one at a time or from a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.consent import Subject
from hogo.domain.ids import is_record_id
from hogo.domain.ledger import EntryKind
from hogo.errors import NotFound
from hogo.services import ledger
from hogo.store.tables import SubjectRow


@dataclass(frozen=True)
class SubjectChanges:
    added: int
    updated: int
    unchanged: int


def subject_ref(subject_id: str) -> str:
    return f"subject:{subject_id}"


def to_domain(row: SubjectRow) -> Subject:
    return Subject(
        subject_id=row.subject_id, birth_date=row.birth_date, identity_verified=row.identity_verified
    )


def get_subject(session: Session, subject_id: str) -> Subject:
    if not is_record_id(subject_id):  # cannot exist; never sent to the store (NUL on PostgreSQL)
        raise NotFound("本人が登録されていません。", "no such subject.")
    row = session.get(SubjectRow, subject_id)
    if row is None:
        raise NotFound("本人が登録されていません。", "no such subject.")
    return to_domain(row)


def upsert_subjects(
    session: Session,
    subjects: Sequence[Subject],
    contacts: Iterable[tuple[str | None, str | None]] | None = None,
) -> SubjectChanges:
    """Add new persons and update changed ones; unchanged rows write nothing (re-import is a no-op)."""
    now = datetime.now(UTC)
    contact_list = list(contacts) if contacts is not None else [(None, None)] * len(subjects)
    existing: dict[str, SubjectRow] = {}
    ids = [s.subject_id for s in subjects]
    for i in range(0, len(ids), 500):
        for row in session.execute(
            select(SubjectRow).where(SubjectRow.subject_id.in_(ids[i : i + 500]))
        ).scalars():
            existing[row.subject_id] = row
    added = updated = unchanged = 0
    entries: list[tuple[EntryKind, str, dict[str, str | bool | None]]] = []
    for subject, (email, phone) in zip(subjects, contact_list, strict=True):
        payload = {
            "subject_id": subject.subject_id,
            "birth_date": subject.birth_date.isoformat() if subject.birth_date else None,
            "identity_verified": subject.identity_verified,
        }
        found = existing.get(subject.subject_id)
        if found is None:
            existing[subject.subject_id] = SubjectRow(
                subject_id=subject.subject_id,
                birth_date=subject.birth_date,
                identity_verified=subject.identity_verified,
                email=email,
                phone=phone,
                created_at=now,
                updated_at=now,
            )
            session.add(existing[subject.subject_id])
            entries.append((EntryKind.subject_added, subject_ref(subject.subject_id), payload))
            added += 1
        elif to_domain(found) != subject or (
            (email or phone) and (email, phone) != (found.email, found.phone)
        ):
            found.birth_date = subject.birth_date
            found.identity_verified = subject.identity_verified
            found.email = email or found.email
            found.phone = phone or found.phone
            found.updated_at = now
            entries.append((EntryKind.subject_updated, subject_ref(subject.subject_id), payload))
            updated += 1
        else:
            unchanged += 1
    ledger.append_many(session, entries)
    session.flush()
    return SubjectChanges(added, updated, unchanged)
