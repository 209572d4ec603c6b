"""Readiness use cases: store the inventory, load it, record an assessment, read the history.

Each function works in the caller's session (the caller owns the transaction) and writes a
ledger entry for what changed, so the score history cannot be rewritten unnoticed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hogo.domain.ledger import EntryKind, canonical, canonical_sha256
from hogo.domain.readiness.assessment import Assessment, assess_readiness
from hogo.domain.readiness.assets import Asset
from hogo.domain.readiness.backups import BackupJob
from hogo.domain.readiness.catalogue import Severity
from hogo.domain.readiness.eol import EolCatalogue, EolStatus
from hogo.domain.readiness.eol import status as eol_status
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import Answer
from hogo.domain.readiness.score import ScorePoint
from hogo.errors import InputError
from hogo.files import readiness_eol
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
    digest = canonical_sha256(content)
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


@dataclass(frozen=True)
class AssessmentResult:
    """An assessment of the stored inventory, with what a page or a report shows beside it."""

    assessment: Assessment
    inventory: Inventory
    catalogue: EolCatalogue
    recorded_id: int | None


@dataclass(frozen=True)
class AssetStatus:
    """One device of the inventory with what the EOL data says about it, and its open findings."""

    asset: Asset
    eol: EolStatus
    failed: int

    @property
    def vendor_discontinued(self) -> bool:
        """A vendor rule says this model gets no more firmware (made before the rule's date)."""
        rule, made = self.eol.vendor_rule, self.asset.made_on
        return rule is not None and made is not None and made < rule.manufactured_before

    @property
    def state(self) -> str:
        """eol (past end of life or discontinued), supported, or unknown."""
        if self.eol.past_eol or self.vendor_discontinued:
            return "eol"
        return "supported" if self.eol.known else "unknown"


def assess_stored(session: Session, data_dir: Path, on: date, *, record: bool = False) -> AssessmentResult:
    """Assess the stored inventory against the EOL data (bundled + imported); optionally record it."""
    inventory, answers = load_inventory(session)
    catalogue = readiness_eol.load_catalogue(data_dir)
    result = assess_readiness(inventory, catalogue, on, answers)
    recorded = record_assessment(session, result) if record else None
    return AssessmentResult(result, inventory, catalogue, recorded)


def asset_statuses(result: AssessmentResult) -> list[AssetStatus]:
    """Every stored device with its EOL status on the assessment day and its failed findings."""
    failed: dict[str, int] = {}
    for f in result.assessment.failed:
        failed[f.subject] = failed.get(f.subject, 0) + 1
    on = result.assessment.on
    return [
        AssetStatus(a, eol_status(result.catalogue, a, on), failed.get(a.id, 0))
        for a in result.inventory.assets
    ]
