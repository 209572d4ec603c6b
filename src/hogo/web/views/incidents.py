"""The incident board: each incident's step of the six, overdue tasks, countdowns to the PPC
deadlines (速報・確報) and the reportable badge with the 規則7条 items that apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.domain.clock import JST
from hogo.http.deps import SessionDep
from hogo.services import incidents
from hogo.services.incident_views import BoardRow
from hogo.web.filters import ShowAll
from hogo.web.incident_labels import Countdown, StepMark, countdown, step_marks
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()


@dataclass(frozen=True)
class OverdueTask:
    id: str
    title: str


@dataclass(frozen=True)
class BoardLine:
    row: BoardRow
    steps: tuple[StepMark, ...]
    overdue: tuple[OverdueTask, ...]
    preliminary: Countdown
    final: Countdown


@dataclass(frozen=True)
class IncidentBoardPage:
    at: datetime
    include_closed: bool
    lines: tuple[BoardLine, ...]


def task_titles(session: SessionDep, lang: str) -> dict[str, str]:
    """Task ids to their titles, from the playbooks (the board itself carries ids only)."""
    titles: dict[str, str] = {}
    for playbook in incidents.playbooks(session).playbooks:
        for t in playbook.tasks:
            titles.setdefault(t.id, (t.en or t.ja) if lang == "en" else t.ja)
    return titles


@router.get("/incidents", include_in_schema=False)
def board_page(
    request: Request,
    session: SessionDep,
    user: Viewer,
    include_closed: ShowAll,
) -> Response:
    lang = language(request)
    now = datetime.now(JST)
    rows = incidents.board(session, now, include_closed=include_closed)
    titles = task_titles(session, lang) if any(r.overdue_tasks for r in rows) else {}
    # Task ids are for machines (data-task attributes); a person sees a title, never the id.
    unnamed = "手順書にない作業" if lang == "ja" else "a task not in the playbooks"
    lines = tuple(
        BoardLine(
            row=r,
            steps=step_marks(r.step.number if r.step else None, lang),
            overdue=tuple(OverdueTask(t, titles.get(t, unnamed)) for t in r.overdue_tasks),
            preliminary=countdown(r.preliminary, r.preliminary_state, r.preliminary_days_left, lang),
            final=countdown(r.final, r.final_state, r.final_days_left, lang),
        )
        for r in rows
    )
    return render(request, "incidents.html", IncidentBoardPage(now, include_closed, lines), user)
