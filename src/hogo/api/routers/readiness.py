"""Ransomware readiness: the device inventory with EOL status, the assessment, the score history.

`GET /readiness/assessment` computes the assessment of the stored inventory without storing it;
`POST` computes and records it (chained in the ledger), which needs the write permission.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from hogo.api.problems import responses
from hogo.api.schemas import Day, Out
from hogo.domain.clock import JST
from hogo.domain.readiness.checks import CATALOGUE, Finding
from hogo.domain.readiness.score import trend
from hogo.http.deps import Reader, Recorder, SessionDep, SettingsDep
from hogo.services import readiness as service

router = APIRouter(prefix="/readiness", tags=["readiness"])

OnQuery = Annotated[
    Day | None, Query(description="評価日(YYYY-MM-DD、1900–2099年、省略時は今日、JST)/ day of the assessment")
]


class EolOut(BaseModel):
    state: str = Field(description="eol(サポート終了・提供終了)/ supported / unknown")
    product: str | None
    cycle: str | None
    eol_date: date | None
    past_eol: bool
    vendor_rule: str | None
    vendor_discontinued: bool


class AssetOut(BaseModel):
    id: str
    kind: str
    name: str
    vendor: str
    model: str
    version: str
    exposed_ports: list[int]
    mfa: bool | None
    default_credentials_changed: bool | None = Field(
        description="初期パスワード変更済 / default admin password changed"
    )
    last_patched_on: date | None
    owner: str
    telework: bool
    eol: EolOut
    failed_findings: int


class AssetListOut(BaseModel):
    on: date
    items: list[AssetOut]


class FindingOut(Out):
    check_id: str
    severity: str
    subject: str
    passed: bool
    title_ja: str
    title_en: str
    detail_ja: str
    detail_en: str
    rationale_ja: str
    rationale_en: str
    fix_ja: str
    fix_en: str
    reference: str

    @classmethod
    def of(cls, f: Finding) -> FindingOut:
        """The finding, with the texts of its check from the catalogue."""
        return cls.build(f, CATALOGUE[f.check_id], severity=f.severity.value)


class ScoreOut(BaseModel):
    value: int = Field(description="0–100")
    grade: str = Field(description="A–E(緊急の指摘があれば D 以下)")
    passed: int
    failed: int
    failed_by_severity: dict[str, int]


class AssessmentOut(BaseModel):
    assessed_on: date
    score: ScoreOut
    findings: list[FindingOut] = Field(description="指摘(重要度の高い順)、続いて問題なしの項目")
    recorded_id: int | None = Field(description="記録した評価のID(GET では null)")


class ScorePointOut(BaseModel):
    assessed_at: datetime
    score: int
    grade: str


class HistoryOut(BaseModel):
    points: list[ScorePointOut]
    change: int | None = Field(description="直前の評価からの増減 / change since the previous assessment")
    best: int | None
    worst: int | None


def _today(on: date | None) -> date:
    return on or datetime.now(JST).date()


def _assessment_out(result: service.AssessmentResult, failed_only: bool) -> AssessmentOut:
    a = result.assessment
    findings = list(a.failed) + ([] if failed_only else [f for f in a.findings if f.passed])
    s = a.score
    return AssessmentOut(
        assessed_on=a.on,
        score=ScoreOut(
            value=s.value,
            grade=s.grade,
            passed=s.passed,
            failed=s.failed,
            failed_by_severity={k.value: v for k, v in s.failed_by_severity.items()},
        ),
        findings=[FindingOut.of(f) for f in findings],
        recorded_id=result.recorded_id,
    )


@router.get("/assets", operation_id="listReadinessAssets", response_model=AssetListOut, responses=responses())
def list_assets(session: SessionDep, settings: SettingsDep, _: Reader, on: OnQuery = None) -> AssetListOut:
    """機器の台帳とサポート終了(EOL)の状況 / devices with their end-of-life status."""
    result = service.assess_stored(session, settings.data_dir, _today(on))
    items = []
    for st in service.asset_statuses(result):
        a, e = st.asset, st.eol
        items.append(
            AssetOut(
                id=a.id, kind=a.kind.value, name=a.name, vendor=a.vendor, model=a.model, version=a.version,
                exposed_ports=list(a.exposed_ports), mfa=a.mfa,
                default_credentials_changed=a.default_password_changed, last_patched_on=a.last_patched_on,
                owner=a.owner, telework=a.telework,
                eol=EolOut(
                    state=st.state, product=e.product.id if e.product else None,
                    cycle=e.release.cycle if e.release else None, eol_date=e.eol_date, past_eol=e.past_eol,
                    vendor_rule=e.vendor_rule.id if e.vendor_rule else None,
                    vendor_discontinued=st.vendor_discontinued,
                ),
                failed_findings=st.failed,
            )
        )  # fmt: skip
    return AssetListOut(on=result.assessment.on, items=items)


@router.get(
    "/assessment", operation_id="getReadinessAssessment", response_model=AssessmentOut, responses=responses()
)
def get_assessment(
    session: SessionDep,
    settings: SettingsDep,
    _: Reader,
    on: OnQuery = None,
    failed_only: Annotated[bool, Query(description="指摘のみ / failed findings only")] = False,
) -> AssessmentOut:
    """登録済みの台帳を点検した結果(記録しない)/ assess the stored inventory without recording."""
    return _assessment_out(service.assess_stored(session, settings.data_dir, _today(on)), failed_only)


@router.post(
    "/assessment",
    operation_id="recordReadinessAssessment",
    status_code=201,
    response_model=AssessmentOut,
    responses=responses(),
)
def record_assessment(
    session: SessionDep, settings: SettingsDep, _: Recorder, response: Response
) -> AssessmentOut:
    """今日の評価を記録し、スコアの推移に加えます(台帳に記録)/ assess today and record it."""
    result = service.assess_stored(session, settings.data_dir, _today(None), record=True)
    response.headers["Location"] = "/api/v1/readiness/history"
    return _assessment_out(result, failed_only=False)


@router.get("/history", operation_id="getReadinessHistory", response_model=HistoryOut, responses=responses())
def get_history(session: SessionDep, _: Reader) -> HistoryOut:
    """記録した評価のスコアの推移 / recorded scores over time."""
    points = service.history(session)
    t = trend(points)
    return HistoryOut(
        points=[ScorePointOut(assessed_at=p.assessed_at, score=p.value, grade=p.grade) for p in points],
        change=t.change,
        best=t.best,
        worst=t.worst,
    )
