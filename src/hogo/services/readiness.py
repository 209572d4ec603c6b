"""Readiness use cases: store the inventory, load it, record an assessment, read the history.

Each function works in the caller's session (the caller owns the transaction) and writes a
ledger entry for what changed, so the score history cannot be rewritten unnoticed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hogo.domain.ledger import EntryKind, canonical
from hogo.domain.readiness.assessment import Assessment
from hogo.domain.readiness.assets import Asset
from hogo.domain.readiness.backups import BackupJob
from hogo.domain.readiness.catalogue import Severity
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import Answer
from hogo.domain.readiness.score import ScorePoint
from hogo.errors import InputError
from hogo.services import ledger
from hogo.store.readiness import (
    ReadinessAnswerRow,
    ReadinessAssessmentRow,
    ReadinessAssetRow,
    ReadinessBackupJobRow,
)


def _doc(model: Asset | BackupJob) -> str:
    return canonical(model.model_dump(mode="json", exclude_defaults=True)).decode("utf-8")


def save_inventory(
    session: Session, inventory: Inventory, answers: Mapping[str, Answer], *, replace: bool = False
) -> dict[str, int]:
    """Upsert assets, backup jobs and answers by id; `replace` first removes what is stored."""
    now = datetime.now(UTC)
    if replace:
        for table in (ReadinessAssetRow, ReadinessBackupJobRow, ReadinessAnswerRow):
            session.execute(delete(table))
    for a in inventory.assets:
        session.merge(ReadinessAssetRow(id=a.id, kind=a.kind.value, document=_doc(a), updated_at=now))
    for b in inventory.backups:
        session.merge(ReadinessBackupJobRow(id=b.id, source=b.source, document=_doc(b), updated_at=now))
    for qid, answer in answers.items():
        session.merge(ReadinessAnswerRow(question_id=qid, answer=answer.value, answered_at=now))
    content = {
        "assets": [_doc(a) for a in inventory.assets],
        "backups": [_doc(b) for b in inventory.backups],
        "answers": {k: v.value for k, v in answers.items()},
    }
    digest = hashlib.sha256(canonical(content)).hexdigest()
    counts = {"assets": len(inventory.assets), "backups": len(inventory.backups), "answers": len(answers)}
    ledger.append(
        session, EntryKind.readiness, "readiness:inventory", {**counts, "replace": replace, "sha256": digest}
    )
    return counts


def remove_asset(session: Session, asset_id: str) -> None:
    row = session.get(ReadinessAssetRow, asset_id)
    if row is None:
        raise InputError("その機器は登録されていません", "no such device", field="id")
    session.delete(row)
    ledger.append(session, EntryKind.readiness, "readiness:inventory", {"removed_asset": asset_id})


def load_inventory(session: Session) -> tuple[Inventory, dict[str, Answer]]:
    assets = [
        Asset.model_validate_json(r.document)
        for r in session.scalars(select(ReadinessAssetRow).order_by(ReadinessAssetRow.id))
    ]
    jobs = [
        BackupJob.model_validate_json(r.document)
        for r in session.scalars(select(ReadinessBackupJobRow).order_by(ReadinessBackupJobRow.id))
    ]
    answers = {r.question_id: Answer(r.answer) for r in session.scalars(select(ReadinessAnswerRow))}
    return Inventory(assets=tuple(assets), backups=tuple(jobs)), answers


def record_assessment(session: Session, assessment: Assessment, at: datetime | None = None) -> int:
    """Store the assessment and chain it in the ledger; returns its id."""
    at = at or datetime.now(UTC)
    findings = canonical([f.model_dump(mode="json") for f in assessment.findings]).decode("utf-8")
    s = assessment.score
    payload = {
        "assessed_on": assessment.on.isoformat(),
        "score": s.value,
        "grade": s.grade,
        "failed_by_severity": {k.value: v for k, v in s.failed_by_severity.items()},
        "findings_sha256": hashlib.sha256(findings.encode("utf-8")).hexdigest(),
    }
    row = ReadinessAssessmentRow(
        assessed_at=at, assessed_on=assessment.on, score=s.value, grade=s.grade, passed=s.passed,
        failed=s.failed, failed_critical=s.failed_by_severity.get(Severity.critical, 0), findings=findings,
        ledger_seq=0,
    )  # fmt: skip
    session.add(row)
    session.flush()
    row.ledger_seq = ledger.append(session, EntryKind.readiness, f"readiness:assessment:{row.id}", payload)
    return row.id


def history(session: Session) -> list[ScorePoint]:
    rows = session.scalars(select(ReadinessAssessmentRow).order_by(ReadinessAssessmentRow.assessed_at))
    return [ScorePoint(r.assessed_at, r.score, r.grade) for r in rows]
