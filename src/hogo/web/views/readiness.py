"""Ransomware readiness: the score and grade, findings by severity, the score over time, devices.

The assessment is computed from the stored inventory on every view (it is a pure function of the
inventory, the EOL data and the day); recording it adds a point to the history and a ledger entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.clock import JST, to_jst
from hogo.domain.readiness.catalogue import Severity
from hogo.domain.readiness.score import ScorePoint, trend
from hogo.http.deps import SessionDep, SettingsDep
from hogo.reports.readiness.context import BackupRow, FindingRow, build
from hogo.services import readiness as service
from hogo.web import dates
from hogo.web.chart import Chart, Series, plot
from hogo.web.i18n import translator
from hogo.web.render import language, render
from hogo.web.session import Recorder, Viewer

router = APIRouter()

SEVERITIES = (Severity.critical, Severity.high, Severity.medium, Severity.low)
#: At most this many dates under the chart, so the labels never overlap.
MAX_X_LABELS = 6


@dataclass(frozen=True)
class SeverityGroup:
    severity: str
    label: str
    findings: tuple[FindingRow, ...]


@dataclass(frozen=True)
class ReadinessPage:
    assessed_on: date
    score: int
    grade: str
    passed: int
    failed: int
    groups: tuple[SeverityGroup, ...]  # critical → low, each with its failed findings
    assets: int
    backups: int
    chart: Chart | None  # None until an assessment is recorded
    history: tuple[ScorePoint, ...]  # oldest first, in Japan time
    change: int | None
    can_record: bool
    recorded: int | None


@dataclass(frozen=True)
class AssetView:
    id: str
    label: str
    kind: str
    product: str
    version: str
    eol_date: date | None
    state: str  # eol | supported | unknown
    state_label: str
    discontinued: bool
    exposed_ports: str
    mfa: bool | None
    remote_access: bool
    owner: str
    failed: int


@dataclass(frozen=True)
class ReadinessAssetsPage:
    on: date
    assets: tuple[AssetView, ...]
    by_state: dict[str, int]
    backups: tuple[BackupRow, ...]


def _today() -> date:
    return datetime.now(JST).date()


def score_chart(points: tuple[ScorePoint, ...], lang: str) -> Chart | None:
    """The score over time; x is proportional to time, so uneven assessments stay honest."""
    if not points:
        return None
    first, last = points[0].assessed_at, points[-1].assessed_at
    span = (last - first).total_seconds()

    def fx(p: ScorePoint) -> float:
        return (p.assessed_at - first).total_seconds() / span if span > 0 else 0.5

    line = Series(translator(lang)("readiness.score"), tuple((fx(p), p.value / 100) for p in points))
    step = max(1, -(-len(points) // MAX_X_LABELS))
    labelled = list(points[::step])
    if labelled[-1] is not points[-1]:
        labelled[-1] = points[-1]
    x_ticks: list[tuple[float, str]] = []
    for p in labelled:
        label = dates.format_date(p.assessed_at, lang)
        if not x_ticks or x_ticks[-1][1] != label:  # several assessments on one day: one label
            x_ticks.append((fx(p), label))
    y_ticks = [(v / 100, str(v)) for v in (0, 25, 50, 75, 100)]
    return plot(
        [line], x_ticks, y_ticks, markers=True, title_key="readiness.chart", desc_key="readiness.chart_desc"
    )


def _product(st: service.AssetStatus) -> str:
    """The EOL release cycle the device runs, else the product, else vendor and model."""
    a, e = st.asset, st.eol
    if e.product is not None and e.release is not None:
        return e.release.label or f"{e.product.title or e.product.id} {e.release.cycle}"
    if e.product is not None:
        return e.product.title or e.product.id
    return f"{a.vendor} {a.model}".strip()


@router.get("/readiness", include_in_schema=False)
def readiness_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Viewer,
    recorded: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    lang = language(request)
    result = service.assess_stored(session, settings.data_dir, _today())
    history = tuple(ScorePoint(to_jst(p.assessed_at), p.value, p.grade) for p in service.history(session))
    report = build(result.assessment, result.inventory, result.catalogue, history, lang=lang)
    rows = [*report.failed, *report.questions]
    groups = tuple(
        SeverityGroup(sev.value, label, tuple(r for r in rows if r.severity == sev.value))
        for sev, (label, _count) in zip(SEVERITIES, report.failed_by_severity, strict=True)
    )
    s = result.assessment.score
    page = ReadinessPage(
        assessed_on=result.assessment.on,
        score=s.value,
        grade=s.grade,
        passed=s.passed,
        failed=s.failed,
        groups=groups,
        assets=len(result.inventory.assets),
        backups=len(result.inventory.backups),
        chart=score_chart(history, lang),
        history=history,
        change=trend(history).change,
        can_record=user.can(Permission.record_consent),
        recorded=recorded,
    )
    return render(request, "readiness.html", page, user)


@router.post("/readiness/assessments", include_in_schema=False)
def record_assessment(session: SessionDep, settings: SettingsDep, user: Recorder) -> Response:
    result = service.assess_stored(session, settings.data_dir, _today(), record=True)
    return RedirectResponse(f"/readiness?recorded={result.recorded_id}", status_code=303)


@router.get("/readiness/assets", include_in_schema=False)
def assets_page(request: Request, session: SessionDep, settings: SettingsDep, user: Viewer) -> Response:
    lang = language(request)
    t = translator(lang)
    result = service.assess_stored(session, settings.data_dir, _today())
    views = []
    for st in service.asset_statuses(result):
        a, e = st.asset, st.eol
        product = _product(st)
        views.append(
            AssetView(
                id=a.id, label=a.label(), kind=a.kind.text(lang), product=product,
                version=a.version,
                eol_date=e.eol_date, state=st.state, state_label=t(f"assets.state.{st.state}"),
                discontinued=st.vendor_discontinued, exposed_ports=", ".join(map(str, a.exposed_ports)),
                mfa=a.mfa, remote_access=a.remote_access, owner=a.owner, failed=st.failed,
            )
        )  # fmt: skip
    by_state = {k: sum(1 for v in views if v.state == k) for k in ("eol", "supported", "unknown")}
    report = build(result.assessment, result.inventory, result.catalogue, lang=lang)
    page = ReadinessAssetsPage(result.assessment.on, tuple(views), by_state, tuple(report.backups))
    return render(request, "readiness_assets.html", page, user)
