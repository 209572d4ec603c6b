"""The dashboard: counts, consent coverage over time (chart + table) and the revision gap."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.http.deps import DbDep, SessionDep
from hogo.services import ledger
from hogo.services.coverage import Counts, counts, terms_revisions
from hogo.services.policy import current_policy
from hogo.web import dates
from hogo.web.chart import Chart, build
from hogo.web.overview import OverviewCache
from hogo.web.render import language, render
from hogo.web.session import Viewer
from hogo.web.views.gap import GapRow, gap_rows

router = APIRouter()


@dataclass(frozen=True)
class CoverageRow:
    purpose_id: str
    title: str
    at_label: str
    allowed: int
    subjects: int
    percent: str


@dataclass(frozen=True)
class DashboardPage:
    counts: Counts
    has_policy: bool
    chart: Chart | None
    point_labels: tuple[str, ...]
    coverage: tuple[CoverageRow, ...]  # the latest point of each purpose
    gap: tuple[GapRow, ...]


def overview_cache(request: Request) -> OverviewCache:
    cache: OverviewCache = request.app.state.overview
    return cache


@router.get("/", include_in_schema=False)
def dashboard(request: Request, session: SessionDep, db: DbDep, user: Viewer) -> Response:
    policy = current_policy(session)
    lang = language(request)
    if policy is None:
        page = DashboardPage(counts(session, None), False, None, (), (), ())
        return render(request, "dashboard.html", page, user)
    data = overview_cache(request).get(db, policy, ledger.head(session).seq)
    labels = tuple(dates.format_date(p, lang) for p in data.points)
    latest = tuple(
        CoverageRow(
            s.purpose_id,
            s.title,
            labels[-1],
            s.points[-1].allowed,
            s.points[-1].subjects,
            f"{s.points[-1].share * 100:.1f}%",
        )
        for s in data.series
    )
    gap = tuple(row for r in terms_revisions(policy) for row in gap_rows(policy, r, data.lacking, data.at))
    # Under the chart a 1 January point is its year (2022年): seven full dates do not fit a phone.
    short = tuple(
        (f"{p.year}年" if lang == "ja" else str(p.year))
        if (p.month, p.day) == (1, 1) and i < len(labels) - 1
        else label
        for i, (p, label) in enumerate(zip(data.points, labels, strict=True))
    )
    chart = build(data.series, short)
    page = DashboardPage(counts(session, policy), True, chart, labels, latest, gap)
    return render(request, "dashboard.html", page, user)
