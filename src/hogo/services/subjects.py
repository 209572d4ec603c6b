"""Persons (本人): registering them, one at a time or from a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain import shredding as sh
from hogo.domain.binding import SUBJECTS, row_digest, tally_of
from hogo.domain.consent import Subject, SubjectPatch
from hogo.domain.ids import is_record_id
from hogo.domain.ledger import EntryKind
from hogo.errors import NotFound
from hogo.services import binding, ledger, person_keys, suppression
from hogo.services.binding import row_payload
from hogo.store.rows import stored
from hogo.store.tables import SubjectRow


@dataclass(frozen=True)
class SubjectChanges:
    added: int
    updated: int
    unchanged: int


def to_domain(row: SubjectRow) -> Subject:
    """The person as the domain sees them, read from the row by attribute name."""
    return Subject.model_validate(row, from_attributes=True)


def get_subject(session: Session, subject_id: str) -> Subject:
    if not is_record_id(subject_id):  # cannot exist; never sent to the store (NUL on PostgreSQL)
        raise NotFound("本人が登録されていません。", "no such subject.")
    row = stored(session, SubjectRow, subject_id, "本人が登録されていません。", "no such subject.")
    return to_domain(row)


def upsert_subjects(
    session: Session,
    subjects: Sequence[Subject],
    contacts: Iterable[tuple[str | None, str | None]] | None = None,
) -> SubjectChanges:
    """Whole records (a generator, the demo): every field is given, a missing contact is kept."""
    contact_list = list(contacts) if contacts is not None else [(None, None)] * len(subjects)
    patches = []
    for subject, (email, phone) in zip(subjects, contact_list, strict=True):
        given: dict[str, object] = subject.model_dump()
        given.update({k: v for k, v in (("email", email), ("phone", phone)) if v})
        patches.append(SubjectPatch.model_validate(given))
    return patch_subjects(session, patches)


def patch_subjects(
    session: Session, patches: Sequence[SubjectPatch], rows: Sequence[int] | None = None
) -> SubjectChanges:
    """Add new persons and change only the fields each patch sets; unchanged rows write nothing.

    A field a patch does not set keeps its stored value (a new person gets the defaults), so a
    re-import or a contact update never wipes a birth date or an identity check. A new person
    who was erased on their own request (法35条) is refused, naming the row (`rows`: the file's
    row numbers of the patches) and field (`services.suppression`).
    """
    now = datetime.now(UTC)
    existing: dict[str, SubjectRow] = {}
    ids = [p.subject_id for p in patches]
    for i in range(0, len(ids), 500):
        for row in session.execute(
            select(SubjectRow).where(SubjectRow.subject_id.in_(ids[i : i + 500]))
        ).scalars():
            existing[row.subject_id] = row
    new = [i for i, p in enumerate(patches) if p.subject_id not in existing]
    if new:
        numbers = [rows[i] for i in new] if rows is not None else None
        suppression.check_new_subjects(session, [patches[i] for i in new], numbers)
    keys = person_keys.ensure(session, ids)
    v3_after = binding.v3_after(session)
    added = updated = unchanged = 0
    entries: list[tuple[EntryKind, str, dict[str, object]]] = []
    bound: list[SubjectRow] = []
    came, left = [], []
    for patch in patches:
        found = existing.get(patch.subject_id)
        if found is None:
            found = SubjectRow(
                subject_id=patch.subject_id,
                birth_date=None,
                identity_verified=False,
                email=None,
                phone=None,
                created_at=now,
                updated_at=now,
                ledger_seq=0,
            )
            _apply(found, patch)
            existing[patch.subject_id] = found
            session.add(found)
            kind = EntryKind.subject_added
            added += 1
        else:
            before = _digest(
                found, person_keys.digest_key(keys, found.subject_id, found.ledger_seq, v3_after)
            )
            if not _apply(found, patch):
                unchanged += 1
                continue
            found.updated_at = now
            left.append(before)
            kind = EntryKind.subject_updated
            updated += 1
        mine = keys[patch.subject_id]
        digest = _digest(found, mine.digest_key)
        came.append(digest)
        payload = sh.pseudonymise(_payload(found), sh.SUBJECT_FIELDS, mine)
        entries.append((kind, sh.person_ref(mine.pseudonym), row_payload(payload, digest)))
        bound.append(found)
    for row, seq in zip(bound, ledger.append_many(session, entries), strict=True):
        row.ledger_seq = seq
    binding.count(session, {SUBJECTS.name: tally_of(came)})
    binding.count(session, {SUBJECTS.name: tally_of(left)}, leaving=True)
    session.flush()
    return SubjectChanges(added, updated, unchanged)


def _digest(row: SubjectRow, key: bytes | None) -> str:
    return row_digest(SUBJECTS, {c: getattr(row, c) for c in SUBJECTS.columns}, key)


_PATCHABLE = ("birth_date", "identity_verified", "email", "phone")


def _apply(row: SubjectRow, patch: SubjectPatch) -> bool:
    """Set the fields the patch gives; True when anything changed."""
    changed = False
    for name in _PATCHABLE:
        if patch.given(name) and getattr(row, name) != getattr(patch, name):
            setattr(row, name, getattr(patch, name))
            changed = True
    return changed


def _payload(row: SubjectRow) -> dict[str, str | bool | None]:
    """The ledger records the person's state after the change (never contacts: personal data);
    the id and birth date are sealed under the person's data key (`hogo.domain.shredding`)."""
    return {
        "subject_id": row.subject_id,
        "birth_date": row.birth_date.isoformat() if row.birth_date else None,
        "identity_verified": row.identity_verified,
    }
