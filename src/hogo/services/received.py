"""Recording data received from a third party: the 法30条 record in the ledger, the persons beside it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.clock import to_jst
from hogo.domain.ledger import EntryKind
from hogo.domain.provision import RecordForm, retention_until
from hogo.domain.received import (
    Provider,
    ReceivedBasis,
    ReceivedProvisionRecord,
    confirmation_gaps,
)
from hogo.errors import Conflict, InputError
from hogo.files.consent_csv import RowProblem, raise_for_problems
from hogo.files.csv_table import CsvRow, read_csv
from hogo.services.provisions import persons_intact, persons_sealed, records_covering, seal
from hogo.store.received import ReceivedProvisionRow, ReceivedProvisionSubjectRow
from hogo.store.rows import stored
from hogo.store.tables import SubjectRow

PERSON_COLUMNS = ("subject_id",)
_LOOKUP_CHUNK = 5_000  # bind parameters per IN (...) lookup, well below SQLite's and PostgreSQL's limits

#: A person covered by the record: the spreadsheet row (or list index) it came from, and the subject id.
PersonRow = tuple[int, str]
#: How many problems an error message names before it says "and N more".
_SHOWN = 20


def read_persons(path: Path) -> list[PersonRow]:
    """The persons CSV (one `subject_id` column; UTF-8, BOM or CP932), checked row by row."""
    return persons_from_rows(read_csv(path, PERSON_COLUMNS))


def persons_from_rows(rows: Sequence[CsvRow]) -> list[PersonRow]:
    """Empty or repeated ids are refused by row number, all problems at once, before any write."""
    persons, problems = _distinct(((row.number, row.values["subject_id"]) for row in rows), "subject_id")
    raise_for_problems(problems)
    return persons


def persons_from_ids(ids: Sequence[str], field: str = "subject_ids") -> list[PersonRow]:
    """Persons given as a list (the API), numbered by index from 0; empty or repeated ids are
    refused by index (`subject_ids[3]`), all at once, before any write."""
    persons, problems = _distinct(((index, raw.strip()) for index, raw in enumerate(ids)), field)
    _raise_for_indices(problems)
    return persons


def _distinct(numbered: Iterable[PersonRow], field: str) -> tuple[list[PersonRow], list[RowProblem]]:
    """The persons in order, and a problem for each empty or repeated id (by its number)."""
    problems: list[RowProblem] = []
    seen: set[str] = set()
    persons: list[PersonRow] = []
    for number, sid in numbered:
        if not sid:
            problems.append(RowProblem(number, field, "空欄です / empty"))
        elif sid in seen:
            problems.append(RowProblem(number, field, "重複しています / duplicate"))
        else:
            seen.add(sid)
            persons.append((number, sid))
    return persons, problems


def _raise_for_indices(problems: Sequence[RowProblem]) -> None:
    """Like `raise_for_problems`, naming list positions (`field[index]`) instead of rows."""
    if not problems:
        return
    shown = problems[:_SHOWN]
    more = len(problems) - len(shown)
    where = [f"{p.field}[{p.row}]" for p in shown]
    detail = "; ".join(f"{w}: {p.message}" for w, p in zip(where, shown, strict=True))
    raise InputError(
        f"{len(problems)}件の誤りがあるため、何も記録しませんでした: {detail}"
        + (f" ほか{more}件" if more else ""),
        f"{len(problems)} problem(s); nothing was recorded: {detail}" + (f" and {more} more" if more else ""),
        field=where[0],
    )


def _unknown_persons(session: Session, persons: Sequence[PersonRow]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    for i in range(0, len(persons), _LOOKUP_CHUNK):
        chunk = persons[i : i + _LOOKUP_CHUNK]
        known = set(
            session.execute(
                select(SubjectRow.subject_id).where(SubjectRow.subject_id.in_([sid for _, sid in chunk]))
            ).scalars()
        )
        problems.extend(
            RowProblem(number, "subject_id", "登録されていない本人IDです / unknown subject id")
            for number, sid in chunk
            if sid not in known
        )
    return problems


def record_received(
    session: Session,
    *,
    received_id: str,
    provider: Provider,
    acquisition: str,
    received_at: datetime,
    data_items: Sequence[str],
    persons: Sequence[PersonRow],
    basis: ReceivedBasis,
    ppc_publication_confirmed: bool = False,
    form: RecordForm = RecordForm.batch,
    persons_field: str | None = None,
) -> ReceivedProvisionRecord:
    """Confirm (法30条1項), then write the record and its person list in the caller's transaction.

    `persons_field` says the persons came as a list in that field (the API, see
    `persons_from_ids`): unknown ids are then named by index instead of by spreadsheet row.
    """
    for gap in confirmation_gaps(provider, acquisition, basis, ppc_publication_confirmed):
        raise InputError(gap.ja, gap.en, field=gap.field)
    items = tuple(i.strip() for i in data_items if i.strip())
    if not items:
        raise InputError(
            "受領した個人データの項目を指定してください。",
            "name the data items received.",
            field="data_items",
        )
    if not persons:
        raise InputError(
            "本人が1人もいません。", "the persons list is empty.", field=persons_field or "subject_id"
        )
    if session.get(ReceivedProvisionRow, received_id) is not None:
        raise Conflict("この受領IDは既に記録されています。", "this receipt id is already recorded.")
    unknown = _unknown_persons(session, persons)
    if persons_field is None:
        raise_for_problems(unknown)
    else:
        _raise_for_indices([RowProblem(p.row, persons_field, p.message) for p in unknown])
    opt_out = basis is ReceivedBasis.opt_out
    digest, keys = persons_sealed(session, [sid for _, sid in persons])
    record = ReceivedProvisionRecord(
        received_id=received_id,
        provider=provider,
        acquisition=acquisition.strip(),
        received_at=received_at,
        data_items=items,
        persons=len(persons),
        persons_sha256=digest,
        basis=basis,
        ppc_publication_confirmed=opt_out and ppc_publication_confirmed,
        record_form=form,
        opt_out_received_dates=(to_jst(received_at).date(),) if opt_out else (),
        retention_until=retention_until(received_at, form),
    )
    row = ReceivedProvisionRow(
        received_id=received_id,
        provider_name=provider.name,
        basis=basis.value,
        received_at=received_at,
        persons=len(persons),
        persons_sha256=record.persons_sha256,
        retention_until=record.retention_until,
    )
    rows = [{"received_id": received_id, "subject_id": sid} for _, sid in persons]
    key = f"provision_received:{received_id}"
    seal(session, EntryKind.provision_received, key, record, row, ReceivedProvisionSubjectRow, rows, keys)
    return record


def list_received(session: Session) -> list[ReceivedProvisionRecord]:
    """Every receipt record, newest first."""
    stmt = select(ReceivedProvisionRow.record).order_by(
        ReceivedProvisionRow.received_at.desc(), ReceivedProvisionRow.received_id
    )
    return [ReceivedProvisionRecord.model_validate_json(r) for r in session.execute(stmt).scalars()]


def get_received(session: Session, received_id: str) -> ReceivedProvisionRecord:
    """One receipt record by its id."""
    row = stored(
        session, ReceivedProvisionRow, received_id, "受領の記録が見つかりません。", "no such receipt record."
    )
    return ReceivedProvisionRecord.model_validate_json(row.record)


def received_for(session: Session, subject_id: str) -> list[ReceivedProvisionRecord]:
    """Every receipt record that covers this person (法33条5項 disclosure of records)."""
    found = records_covering(
        session,
        ReceivedProvisionRow,
        ReceivedProvisionSubjectRow,
        subject_id,
        ReceivedProvisionRow.received_at,
    )
    return [ReceivedProvisionRecord.model_validate_json(r) for r in found]


def verify_received_persons(session: Session, received_id: str) -> bool:
    """Does the stored person list still match the digest sealed in the ledger?"""
    return persons_intact(session, ReceivedProvisionRow, ReceivedProvisionSubjectRow, received_id)


def received_ledger_seq(session: Session, received_id: str) -> int | None:
    """The ledger entry that recorded the received provision, if it is on record."""
    row = session.get(ReceivedProvisionRow, received_id)
    return row.ledger_seq if row is not None else None
