"""Recording a provision: the 法29条 record in the ledger, the persons beside it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hogo.domain.binding import BOUND, BY_NAME, row_digest, tally_of
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
from hogo.domain.shredding import PersonKeys
from hogo.errors import Conflict, InputError
from hogo.services import binding, ledger, person_keys
from hogo.services.binding import row_payload
from hogo.store.provisions import ProvisionRow, ProvisionSubjectRow
from hogo.store.received import ReceivedProvisionRow
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
    digest, keys = persons_sealed(session, [sid for sid, _ in persons])
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
        persons_sha256=digest,
        bases=bases,
        record_form=form,
        opt_out_provision_dates=(provided_at.date(),) if Basis.opt_out.value in bases else (),
        retention_until=retention_until(provided_at, form),
    )
    row = ProvisionRow(
        provision_id=provision_id,
        mode=mode.value,
        purpose_id=purpose_id,
        recipient_id=recipient.id,
        provided_at=provided_at,
        persons=len(persons),
        persons_sha256=record.persons_sha256,
        retention_until=record.retention_until,
    )
    rows = [{"provision_id": provision_id, "subject_id": sid, "basis": basis} for sid, basis in persons]
    seal(
        session,
        EntryKind.provision,
        f"provision:{provision_id}",
        record,
        row,
        ProvisionSubjectRow,
        rows,
        keys,
    )
    return record


def persons_sealed(session: Session, subject_ids: Sequence[str]) -> tuple[str, dict[str, PersonKeys]]:
    """A v3 record's ``persons_sha256`` — over the persons' pseudonyms, so once a person's keys
    are destroyed no guessed list can be confirmed against it — and the persons' keys (created
    for those who have none) for the digests of the list's rows."""
    keys = person_keys.ensure(session, subject_ids, data=False)
    return persons_digest(keys[sid].pseudonym for sid in subject_ids), keys


def seal(
    session: Session,
    kind: EntryKind,
    key: str,
    record: BaseModel,
    row: ProvisionRow | ReceivedProvisionRow,
    persons_table: type[Base],
    persons: Sequence[dict[str, Any]],
    keys: Mapping[str, PersonKeys],
) -> None:
    """A 法29条/法30条 record into the ledger, stored beside it with its sequence number, and
    its person list (the ledger gets their digest only, keyed per person: `persons_sealed`), all
    in the caller's transaction."""
    payload = record.model_dump(mode="json")
    row.record = canonical(payload).decode("utf-8")
    table = BY_NAME[row.__tablename__]
    people = next(t for t in BOUND if t.parent == table.name)
    digest = row_digest(table, {c: getattr(row, c) for c in table.columns})
    listed = tally_of(row_digest(people, p, keys[p["subject_id"]].digest_key) for p in persons)
    row.ledger_seq = ledger.append(session, kind, key, row_payload(payload, digest, listed))
    session.add(row)
    session.flush()
    insert_persons(session, persons_table, [{**p, "ledger_seq": row.ledger_seq} for p in persons])
    binding.count(session, {table.name: tally_of([digest]), people.name: listed})


def insert_persons(session: Session, table: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """A record's person list, inserted in chunks (a batch record may cover millions)."""
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(table), rows[i : i + _CHUNK])


def provisions_for(session: Session, subject_id: str) -> list[ProvisionRecord]:
    """Every provision record that covers this person (法33条5項 disclosure of records)."""
    return [record for record, _ in provisions_about(session, subject_id)]


def provisions_about(session: Session, subject_id: str) -> list[tuple[ProvisionRecord, str]]:
    """Every provision record that covers this person, oldest first, with the basis this
    person's data was provided on (a `decision.Basis` value, from the record's person list)."""
    stmt = (
        select(ProvisionRow.record, ProvisionSubjectRow.basis)
        .join(ProvisionSubjectRow, ProvisionSubjectRow.provision_id == ProvisionRow.provision_id)
        .where(ProvisionSubjectRow.subject_id == subject_id)
        .order_by(ProvisionRow.provided_at, ProvisionRow.provision_id)
    )
    return [(ProvisionRecord.model_validate_json(r), b) for r, b in session.execute(stmt).all()]


SealedTable = type[ProvisionRow] | type[ReceivedProvisionRow]


def _key(table: SealedTable) -> str:
    """The record's id column, which its person list shares."""
    return next(iter(table.__table__.primary_key)).name


def records_covering(
    session: Session, table: SealedTable, persons_table: type[Base], subject_id: str, order: Any
) -> list[str]:
    """The stored records (JSON) whose person list holds this person."""
    key = _key(table)
    stmt = (
        select(table.__table__.c.record)
        .join(persons_table, persons_table.__table__.c[key] == table.__table__.c[key])
        .where(persons_table.__table__.c.subject_id == subject_id)
        .order_by(order)
    )
    return list(session.execute(stmt).scalars())


def verify_persons(session: Session, provision_id: str) -> bool:
    """Does the stored person list still match the digest sealed in the ledger?"""
    return persons_intact(session, ProvisionRow, ProvisionSubjectRow, provision_id)


def persons_intact(session: Session, table: SealedTable, persons_table: type[Base], record_id: str) -> bool:
    """Does the person list stored for this record still match the digest sealed in the ledger?"""
    records, persons = table.__table__.c, persons_table.__table__.c
    key = _key(table)
    row = session.execute(
        select(records.persons_sha256, records.ledger_seq).where(records[key] == record_id)
    ).first()
    if row is None:
        return False
    ids = list(session.execute(select(persons.subject_id).where(persons[key] == record_id)).scalars())
    return sealed_persons_match(session, ids, row.persons_sha256, row.ledger_seq)


def sealed_persons_match(session: Session, ids: Sequence[str], stored: str, ledger_seq: int) -> bool:
    """The person list, the digest stored beside it and the digest sealed in the ledger agree
    (from ledger v3 on the digest is over the persons' pseudonyms, `persons_sealed`)."""
    entry = ledger.entry(session, ledger_seq)
    sealed = entry.payload()["persons_sha256"] if entry else None
    named: Iterable[str] = ids
    if ledger_seq > binding.v3_after(session):
        keys = person_keys.lookup(session, ids, data=False)
        if len(keys) != len(set(ids)):
            return False
        named = (keys[sid].pseudonym for sid in ids)
    return persons_digest(named) == stored == sealed
