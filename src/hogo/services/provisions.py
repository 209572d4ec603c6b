"""Recording a provision: the 法29条 record in the ledger, the persons beside it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hogo.domain.decision import Basis
from hogo.domain.ledger import EntryKind, canonical
from hogo.domain.policy import Policy
from hogo.domain.provision import (
    ProvisionRecord,
    RecordForm,
    ReleaseMode,
    persons_digest,
    retention_until,
)
from hogo.errors import Conflict, InputError
from hogo.services import ledger
from hogo.store.provisions import ProvisionRow, ProvisionSubjectRow
from hogo.store.tables import Base

_CHUNK = 10_000


def record_provision(
    session: Session,
    policy: Policy,
    *,
    provision_id: str,
    mode: ReleaseMode,
    purpose_id: str,
    recipient_id: str,
    provided_at: datetime,
    data_items: Sequence[str],
    persons: Sequence[tuple[str, str]],
    form: RecordForm = RecordForm.batch,
) -> ProvisionRecord:
    """Write the record and its person list in the caller's transaction (all or nothing)."""
    recipient = policy.recipient(recipient_id)
    if recipient is None:
        raise InputError("ポリシーにない提供先です。", "unknown recipient.", field="recipient")
    if session.get(ProvisionRow, provision_id) is not None:
        raise Conflict("この提供IDは既に記録されています。", "this provision id is already recorded.")
    bases: dict[str, int] = {}
    for _, basis in persons:
        bases[basis] = bases.get(basis, 0) + 1
    record = ProvisionRecord(
        provision_id=provision_id,
        mode=mode,
        purpose_id=purpose_id,
        recipient_id=recipient.id,
        recipient_name=recipient.name,
        recipient_country=recipient.country,
        provided_at=provided_at,
        data_items=tuple(data_items),
        persons=len(persons),
        persons_sha256=persons_digest(sid for sid, _ in persons),
        bases=bases,
        record_form=form,
        opt_out_provision_dates=(provided_at.date(),) if Basis.opt_out.value in bases else (),
        retention_until=retention_until(provided_at, form),
    )
    payload = record.model_dump(mode="json")
    seq = ledger.append(session, EntryKind.provision, f"provision:{provision_id}", payload)
    session.add(
        ProvisionRow(
            provision_id=provision_id,
            mode=mode.value,
            purpose_id=purpose_id,
            recipient_id=recipient.id,
            provided_at=provided_at,
            persons=len(persons),
            persons_sha256=record.persons_sha256,
            record=canonical(payload).decode("utf-8"),
            retention_until=record.retention_until,
            ledger_seq=seq,
        )
    )
    session.flush()
    rows = [{"provision_id": provision_id, "subject_id": sid, "basis": basis} for sid, basis in persons]
    insert_persons(session, ProvisionSubjectRow, rows)
    return record


def insert_persons(session: Session, table: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """A record's person list, inserted in chunks (a batch record may cover millions)."""
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(table), rows[i : i + _CHUNK])


def provisions_for(session: Session, subject_id: str) -> list[ProvisionRecord]:
    """Every provision record that covers this person (法33条5項 disclosure of records)."""
    stmt = (
        select(ProvisionRow.record)
        .join(ProvisionSubjectRow, ProvisionSubjectRow.provision_id == ProvisionRow.provision_id)
        .where(ProvisionSubjectRow.subject_id == subject_id)
        .order_by(ProvisionRow.provided_at)
    )
    return [ProvisionRecord.model_validate_json(r) for r in session.execute(stmt).scalars()]


def verify_persons(session: Session, provision_id: str) -> bool:
    """Does the stored person list still match the digest sealed in the ledger?"""
    row = session.get(ProvisionRow, provision_id)
    if row is None:
        return False
    ids = session.execute(
        select(ProvisionSubjectRow.subject_id).where(ProvisionSubjectRow.provision_id == provision_id)
    ).scalars()
    return sealed_persons_match(session, ids, row.persons_sha256, row.ledger_seq)


def sealed_persons_match(session: Session, ids: Iterable[str], stored: str, ledger_seq: int) -> bool:
    """The person list, the digest stored beside it and the digest sealed in the ledger agree."""
    entry = ledger.entry(session, ledger_seq)
    sealed = entry.payload()["persons_sha256"] if entry else None
    return persons_digest(ids) == stored == sealed
