"""Re-consent campaigns in the console: the list, one campaign's conversion (chart with the same
figures in a table beside it), and its targets as CSV for a mail campaign (personal-data role)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import APIRouter, Path, Request
from starlette.responses import Response, StreamingResponse

from hogo.auth.roles import Permission
from hogo.files.people_csv import people_csv_stream
from hogo.http.deps import Forbidden, SessionDep
from hogo.services import campaigns as service
from hogo.web import chart
from hogo.web.dates import format_datetime
from hogo.web.i18n import translator
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()
CAMPAIGN_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class CampaignsPage:
    campaigns: tuple[service.CampaignView, ...]


@dataclass(frozen=True)
class CampaignPage:
    campaign: service.CampaignView
    states: tuple[tuple[str, str], ...]
    points: tuple[service.ConversionPoint, ...]
    chart: chart.Chart
    can_export: bool


@router.get("/campaigns", include_in_schema=False)
def campaigns_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    return render(request, "campaigns.html", CampaignsPage(tuple(service.list_campaigns(session))), user)


def _x(i: int, n: int) -> float:
    return i / (n - 1) if n > 1 else 0.5


def _chart(points: list[service.ConversionPoint], labels: list[str], lang: str) -> chart.Chart:
    t = translator(lang)
    n = len(points)
    series = [
        chart.Series(
            t(f"campaigns.state.{state}"),
            tuple((_x(i, n), p.counts[state] / max(1, sum(p.counts.values()))) for i, p in enumerate(points)),
        )
        for state in service.STATES
    ]
    shown = {0, n // 2, n - 1}
    ticks = [(_x(i, n), label) for i, label in enumerate(labels) if i in shown]
    return chart.plot(
        series,
        ticks,
        [(v / 100, f"{v}%") for v in (0, 25, 50, 75, 100)],
        title_key="campaigns.chart",
        desc_key="campaigns.chart_desc",
    )


@router.get("/campaigns/{campaign_id}", include_in_schema=False)
def campaign_page(
    request: Request, session: SessionDep, user: Viewer, campaign_id: str = CAMPAIGN_ID
) -> Response:
    lang = language(request)
    t = translator(lang)
    view = service.get(session, campaign_id)
    points = service.conversion(session, campaign_id)
    labels = [format_datetime(p.at, lang) for p in points]
    page = CampaignPage(
        campaign=view,
        states=tuple((s, t(f"campaigns.state.{s}")) for s in service.STATES),
        points=tuple(points),
        chart=_chart(points, labels, lang),
        can_export=user.can(Permission.personal_data),
    )
    return render(request, "campaign.html", page, user)


@router.get("/campaigns/{campaign_id}/targets.csv", include_in_schema=False)
def campaign_targets_csv(session: SessionDep, user: Viewer, campaign_id: str = CAMPAIGN_ID) -> Response:
    if not user.can(Permission.personal_data):
        raise Forbidden()
    batches: Iterator[list[tuple[str, str, str, str]]] = service.iter_targets(session, campaign_id)
    header = ("subject_id", "email", "phone", "state")
    return StreamingResponse(
        people_csv_stream(header, list(batches)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}-targets.csv"'},
    )
