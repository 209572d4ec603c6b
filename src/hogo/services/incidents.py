"""Incident use cases: open, record facts and details, work the tasks, add evidence, show, board.

Each function works in the caller's session. Every change is written to the incident's timeline
and appended to the ledger in the same transaction; the ledger gets ids, counts and hashes, never
the description or the affected persons themselves (those stay in the incident tables), so the
chain proves what was known when without spreading personal data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hogo.domain.clock import to_jst
from hogo.domain.incidents import flow
from hogo.domain.incidents.details import ReportDetails
from hogo.domain.incidents.facts import FactsUpdate
from hogo.domain.incidents.incident import IncidentState, open_incident, reassess
from hogo.domain.incidents.playbooks import PlaybookSet
from hogo.domain.incidents.scope import scope
from hogo.domain.incidents.types import IncidentType
from hogo.domain.ledger import EntryKind, canonical, canonical_sha256
from hogo.errors import InputError
from hogo.services import inventory as inventory_service
from hogo.services import ledger
from hogo.services.incident_settings import deadline_settings
from hogo.services.incident_views import BoardRow, IncidentView, TimelineEntry, board_row, view_of
from hogo.services.playbooks import current_playbooks
from hogo.services.policy import current_policy
from hogo.store.incidents import IncidentRow, IncidentSubjectRow, IncidentTimelineRow
from hogo.store.rows import stored

_BATCH = 5_000


def _doc(state: IncidentState) -> str:
    return canonical(state.model_dump(mode="json")).decode("utf-8")


def _assessment_summary(state: IncidentState) -> dict[str, Any]:
    a = state.assessment
    return {
        "reportable": a.reportable,
        "notify_persons": a.notify_persons,
        "triggers": list(a.triggers),
        "excluded_triggers": list(a.excluded_triggers),
        "codes": list(a.codes),
        "preliminary": a.deadlines.preliminary.isoformat() if a.deadlines else None,
        "final": a.deadlines.final.isoformat() if a.deadlines else None,
    }


def _record_changed(
    session: Session,
    incident_id: str,
    kind: flow.TimelineKind,
    what: tuple[str, str],
    changed: Iterable[str],
    payload: Mapping[str, Any],
) -> None:
    """A timeline entry that names the fields changed: 「事実を記録しました: persons, …」."""
    names = ", ".join(sorted(changed))
    record(session, incident_id, kind, f"{what[0]}: {names}", f"{what[1]}: {names}", payload)


def record(
    session: Session, incident_id: str, kind: flow.TimelineKind, ja: str, en: str, payload: Mapping[str, Any]
) -> int:
    """One timeline entry, mirrored into the ledger; returns the ledger sequence number."""
    now = datetime.now(UTC)
    seq = ledger.append(session, EntryKind.incident, incident_id, {"timeline": kind.value, **payload})
    session.add(
        IncidentTimelineRow(
            incident_id=incident_id,
            at=now,
            kind=kind.value,
            summary_ja=ja,
            summary_en=en,
            payload=canonical(dict(payload)).decode("utf-8"),
            ledger_seq=seq,
        )
    )
    return seq


def _save(session: Session, row: IncidentRow, state: IncidentState) -> None:
    a = state.assessment
    row.document = _doc(state)
    row.current_step = int(state.step) if state.step is not None else None
    row.reportable = a.reportable
    row.preliminary_due = a.deadlines.preliminary if a.deadlines else None
    row.final_due = a.deadlines.final if a.deadlines else None
    row.updated_at = datetime.now(UTC)


def _load(session: Session, incident_id: str) -> tuple[IncidentRow, IncidentState]:
    row = stored(session, IncidentRow, incident_id, "その事案は登録されていません。", "no such incident.")
    return row, IncidentState.model_validate_json(row.document)


def _facts_error(exc: ValidationError | ValueError) -> InputError:
    field = None
    if isinstance(exc, ValidationError):
        loc = exc.errors(include_url=False, include_input=False)[0]["loc"]
        field = str(loc[0]) if loc else None
    return InputError("事実の値が正しくありません。", "invalid fact.", field=field)


def facts_update(values: Mapping[str, object]) -> FactsUpdate:
    """Facts from a front end's own parsing (CLI options, form fields), checked against the
    bounds `FactsUpdate` declares; a bad value is refused naming its field."""
    try:
        return FactsUpdate.model_validate(dict(values))
    except ValidationError as exc:
        raise _facts_error(exc) from None


def open_new(
    session: Session,
    incident_type: IncidentType,
    aware_at: datetime,
    description: str,
    *,
    occurred_at: datetime | None = None,
    dataset_ids: Sequence[str] = (),
    subject_ids: Sequence[str] = (),
    facts: FactsUpdate | None = None,
    details: Mapping[str, Any] | None = None,
) -> IncidentView:
    """Open an incident: scope it from the inventory, assess it, instantiate its playbook."""
    if occurred_at is not None and occurred_at > aware_at:
        raise InputError(
            "発生日時が認知日時より後になっています。",
            "the time of occurrence is after the time of awareness.",
            field="occurred_at",
        )
    policy = current_policy(session)
    found_datasets = inventory_service.datasets(session, dataset_ids)
    resolved = inventory_service.resolve(session, found_datasets)
    found = scope(found_datasets, resolved, subject_ids)
    classes = {c.id: c.appi_class for c in policy.data_categories} if policy is not None else {}
    playbook = current_playbooks(session).for_type(incident_type)
    if playbook is None:
        raise InputError("この種類の対応手順がありません。", "no playbook for this incident type.")
    try:
        state = open_incident(
            incident_type,
            aware_at,
            occurred_at,
            found,
            classes,
            facts or FactsUpdate(),
            playbook,
            deadline_settings(),
        )
        if details:
            state = state.model_copy(update={"details": ReportDetails.model_validate(dict(details))})
    except (ValidationError, ValueError) as exc:
        raise _facts_error(exc) from None
    incident_id = ledger.next_case_id(session, IncidentRow.id, "INC", aware_at)
    now = datetime.now(UTC)
    row = IncidentRow(
        id=incident_id,
        incident_type=incident_type.value,
        opened_at=now,
        aware_at=state.aware_at,
        occurred_at=state.occurred_at,
        description=description,
    )
    _save(session, row, state)
    session.add(row)
    session.flush()
    rows = [{"incident_id": incident_id, "subject_id": s} for s in found.subject_ids]
    for i in range(0, len(rows), _BATCH):
        session.execute(insert(IncidentSubjectRow), rows[i : i + _BATCH])
    type_ja = incident_type.ja
    record(
        session,
        incident_id,
        flow.TimelineKind.opened,
        f"事案を登録しました({type_ja})。",
        f"Incident opened ({incident_type.en}).",
        {
            "type": incident_type.value,
            "aware_at": state.aware_at.isoformat(),
            "occurred_at": state.occurred_at.isoformat() if state.occurred_at else None,
            "description_sha256": hashlib.sha256(description.encode("utf-8")).hexdigest(),
            "datasets": list(found.datasets),
            "persons": found.persons,
            "subjects_sha256": canonical_sha256(list(found.subject_ids)),
            "playbook_tasks": [t.id for t in state.tasks],
        },
    )
    _record_assessment(session, incident_id, state)
    return view_of(row, state)


def _record_assessment(session: Session, incident_id: str, state: IncidentState) -> None:
    a = state.assessment
    if a.reportable:
        ja = "報告対象: " + "、".join(f"規則7条{n}号" for n in a.triggers)
        en = "Reportable: rule 7 item(s) " + ", ".join(str(n) for n in a.triggers)
    else:
        ja, en = "個人情報保護委員会への報告: 不要", "Not reportable to the PPC"
    record(session, incident_id, flow.TimelineKind.assessment, ja, en, _assessment_summary(state))


def record_facts(session: Session, incident_id: str, update: FactsUpdate) -> IncidentView:
    """Record facts and re-evaluate reportability, deadlines and tasks."""
    row, state = _load(session, incident_id)
    changes = update.changes()
    if not changes:
        raise InputError("記録する事実を指定してください。", "give at least one fact.")
    try:
        new = reassess(state, update)
    except (ValidationError, ValueError) as exc:
        raise _facts_error(exc) from None
    _save(session, row, new)
    payload = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in changes.items()}
    _record_changed(
        session,
        incident_id,
        flow.TimelineKind.facts,
        ("事実を記録しました", "Facts recorded"),
        changes,
        {"facts": payload},
    )
    if _assessment_summary(new) != _assessment_summary(state):
        _record_assessment(session, incident_id, new)
    return view_of(row, new)


def record_details(session: Session, incident_id: str, changes: Mapping[str, str]) -> IncidentView:
    """The officer's text for the report items (cause, secondary damage, measures …)."""
    row, state = _load(session, incident_id)
    try:
        details = ReportDetails.model_validate({**state.details.model_dump(), **changes})
    except ValidationError as exc:
        raise _facts_error(exc) from None
    new = state.model_copy(update={"details": details})
    _save(session, row, new)
    _record_changed(
        session,
        incident_id,
        flow.TimelineKind.note,
        ("報告事項を更新しました", "Report details updated"),
        changes,
        {"details_sha256": {k: hashlib.sha256(v.encode("utf-8")).hexdigest() for k, v in changes.items()}},
    )
    return view_of(row, new)


def complete_task(
    session: Session, incident_id: str, task_id: str, at: datetime, note: str = ""
) -> IncidentView:
    row, state = _load(session, incident_id)
    try:
        tasks = flow.complete(state.tasks, task_id, at, note)
    except KeyError:
        raise InputError(
            "その作業はこの事案にありません。", "no such task in this incident.", field="task"
        ) from None
    new = state.model_copy(update={"tasks": tasks})
    _save(session, row, new)
    task = next(t for t in tasks if t.id == task_id)
    record(
        session,
        incident_id,
        flow.TimelineKind.task,
        f"作業完了: {task.ja}",
        f"Task done: {task.en or task.id}",
        {"task": task_id, "step": int(task.step), "done_at": to_jst(at).isoformat()},
    )
    return view_of(row, new)


def add_evidence(session: Session, incident_id: str, name: str, data: bytes) -> dict[str, Any]:
    """Hash an evidence file into the timeline (the file itself stays where the officer keeps it)."""
    _load(session, incident_id)
    digest = hashlib.sha256(data).hexdigest()
    payload = {"name": name, "sha256": digest, "bytes": len(data)}
    seq = record(
        session, incident_id, flow.TimelineKind.evidence, f"証拠を記録: {name}", f"Evidence: {name}", payload
    )
    return {**payload, "ledger_seq": seq}


def get(session: Session, incident_id: str) -> IncidentView:
    row, state = _load(session, incident_id)
    return view_of(row, state)


def status(session: Session, incident_id: str, now: datetime) -> tuple[IncidentView, BoardRow]:
    """The incident and, as of `now`, its overdue tasks and countdowns to the PPC deadlines."""
    row, state = _load(session, incident_id)
    return view_of(row, state), board_row(row, state, now)


def state_of(session: Session, incident_id: str) -> tuple[IncidentRow, IncidentState]:
    return _load(session, incident_id)


def affected_subjects(session: Session, incident_id: str) -> list[str]:
    _load(session, incident_id)
    stmt = select(IncidentSubjectRow.subject_id).where(IncidentSubjectRow.incident_id == incident_id)
    return list(session.scalars(stmt.order_by(IncidentSubjectRow.subject_id)))


#: An evidence file's name may name a person (a complainant's letter, a scan named after someone).
_EVIDENCE_WITHHELD = (
    "証拠を記録(ファイル名は個人データの権限がある役割にのみ表示)",
    "Evidence recorded (its file name is shown only to roles allowed personal data)",
)


def timeline(session: Session, incident_id: str, *, personal: bool = True) -> list[TimelineEntry]:
    """The incident's timeline; `personal=False` leaves out evidence file names."""
    _load(session, incident_id)
    rows = session.scalars(
        select(IncidentTimelineRow)
        .where(IncidentTimelineRow.incident_id == incident_id)
        .order_by(IncidentTimelineRow.id)
    )
    entries = []
    for r in rows:
        kind = flow.TimelineKind(r.kind)
        ja, en = r.summary_ja, r.summary_en
        if kind is flow.TimelineKind.evidence and not personal:
            ja, en = _EVIDENCE_WITHHELD
        entries.append(
            TimelineEntry(at=r.at, kind=kind, summary_ja=ja, summary_en=en, ledger_seq=r.ledger_seq)
        )
    return entries


def all_incidents(session: Session) -> list[tuple[IncidentRow, IncidentState]]:
    rows = session.scalars(select(IncidentRow).order_by(IncidentRow.aware_at, IncidentRow.id))
    return [(r, IncidentState.model_validate_json(r.document)) for r in rows]


def playbooks(session: Session) -> PlaybookSet:
    return current_playbooks(session)


def board(session: Session, now: datetime, *, include_closed: bool = False) -> list[BoardRow]:
    """Each incident's step, overdue tasks and countdowns to the PPC deadlines."""
    rows = [board_row(row, state, now) for row, state in all_incidents(session)]
    return [r for r in rows if include_closed or r.status == "open"]
