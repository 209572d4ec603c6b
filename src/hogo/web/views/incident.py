"""One incident: the verdict with its reasons and articles, deadlines with countdowns, the tasks
step by step (each with a done button), the timeline, and the documents to draft.

Marking a task done and drafting a document are POSTs with the session's CSRF token; drafting
records the document's SHA-256 in the timeline and the ledger. The notification list holds the
persons' contact details and needs the `personal_data` permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.api.deps import SessionDep
from hogo.auth.roles import Permission
from hogo.domain.clock import JST
from hogo.domain.incidents.flow import Task, TaskStatus
from hogo.domain.incidents.types import Step, role_title
from hogo.domain.inventory import ENCRYPTION_TITLES
from hogo.reports.incidents.context import TITLES, DocumentKind
from hogo.reports.incidents.render import is_html
from hogo.services import incident_documents, incidents
from hogo.services.incident_views import BoardRow, IncidentView, TimelineEntry
from hogo.web.i18n import pick
from hogo.web.incident_labels import Countdown, StepMark, countdown, step_marks
from hogo.web.render import language, render
from hogo.web.session import ConsoleUser, Recorder, Viewer, permitted

router = APIRouter()

PersonalData = Annotated[ConsoleUser, Depends(permitted(Permission.personal_data))]
IncidentId = Annotated[str, Path(min_length=1, max_length=32)]
NOTIFICATION_LIST = "notification_list"


@dataclass(frozen=True)
class TaskLine:
    task: Task
    title: str
    role: str
    overdue: bool


@dataclass(frozen=True)
class StepGroup:
    mark: StepMark
    tasks: tuple[TaskLine, ...]


@dataclass(frozen=True)
class DocumentLink:
    kind: str
    title: str
    formats: tuple[str, ...]
    action: str
    personal_data: bool


@dataclass(frozen=True)
class IncidentPage:
    incident: IncidentView
    board: BoardRow
    preliminary: Countdown
    final: Countdown
    encryption: str
    steps: tuple[StepGroup, ...]
    timeline: tuple[TimelineEntry, ...]
    documents: tuple[DocumentLink, ...]
    can_act: bool
    can_download_list: bool
    done_task: str | None


def _documents(incident_id: str, lang: str, with_list: bool) -> tuple[DocumentLink, ...]:
    base = f"/incidents/{quote(incident_id, safe='')}"
    links = [
        DocumentLink(
            k.value,
            pick(TITLES[k], lang),
            tuple(incident_documents.FORMATS) if is_html(k) else ("text",),
            f"{base}/documents/{k.value}",
            False,
        )
        for k in DocumentKind
    ]
    if with_list:
        title = ("通知先リスト(本人と連絡手段)", "Notification list (persons and their channel)")
        links.append(
            DocumentLink(NOTIFICATION_LIST, pick(title, lang), ("csv",), f"{base}/notification-list", True)
        )
    return tuple(links)


def _steps(view: IncidentView, board: BoardRow, lang: str) -> tuple[StepGroup, ...]:
    overdue = set(board.overdue_tasks)
    marks = step_marks(view.step.number if view.step else None, lang)
    groups = []
    for mark in marks:
        tasks = tuple(
            TaskLine(
                t,
                (t.en or t.ja) if lang == "en" else t.ja,
                pick(role_title(t.role), lang),
                t.id in overdue,
            )
            for t in view.tasks
            if t.step is Step(mark.number)
        )
        groups.append(StepGroup(mark, tasks))
    return tuple(groups)


@router.get("/incidents/{incident_id}", include_in_schema=False)
def incident_page(
    request: Request,
    incident_id: IncidentId,
    session: SessionDep,
    user: Viewer,
    done: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    lang = language(request)
    view, board = incidents.status(session, incident_id, datetime.now(JST))
    history = incidents.timeline(session, incident_id)
    can_act = user.can(Permission.record_consent)
    can_list = user.can(Permission.personal_data)
    page = IncidentPage(
        incident=view,
        board=board,
        preliminary=countdown(board.preliminary, board.preliminary_state, board.preliminary_days_left, lang),
        final=countdown(board.final, board.final_state, board.final_days_left, lang),
        encryption=pick(ENCRYPTION_TITLES[view.facts.encryption], lang),
        steps=_steps(view, board, lang),
        timeline=tuple(history),
        documents=_documents(view.id, lang, can_list) if can_act else (),
        can_act=can_act,
        can_download_list=can_list,
        done_task=done
        if done and any(t.id == done and t.status is TaskStatus.done for t in view.tasks)
        else None,
    )
    return render(request, "incident.html", page, user)


@router.post("/incidents/{incident_id}/tasks/{task_id}/done", include_in_schema=False)
def task_done(
    incident_id: IncidentId,
    task_id: Annotated[str, Path(min_length=1, max_length=128)],
    session: SessionDep,
    user: Recorder,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    incidents.complete_task(session, incident_id, task_id, datetime.now(JST), note.strip())
    task = quote(task_id, safe="")
    target = f"/incidents/{quote(incident_id, safe='')}?done={task}#task-{task}"
    return RedirectResponse(target, status_code=303)


def _file(filename: str, media_type: str, data: bytes) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


_MEDIA = {"html": "text/html; charset=utf-8", "text": "text/plain; charset=utf-8", "pdf": "application/pdf",
          "json": "application/json", "csv": "text/csv; charset=utf-8"}  # fmt: skip


@router.post("/incidents/{incident_id}/documents/{kind}", include_in_schema=False)
def draft_document(
    incident_id: IncidentId,
    kind: DocumentKind,
    session: SessionDep,
    user: Recorder,
    format: Annotated[Literal["html", "pdf", "json", "text"], Form()] = "html",
) -> Response:
    fmt = "html" if format == "text" else format
    doc = incident_documents.draft(
        session, incident_id, [kind], [fmt], datetime.now(JST).date(), notification_list=False
    )[0]
    return _file(doc.filename, _MEDIA[doc.format], doc.data)


@router.post("/incidents/{incident_id}/notification-list", include_in_schema=False)
def notification_list(incident_id: IncidentId, session: SessionDep, user: PersonalData) -> Response:
    doc = incident_documents.draft(session, incident_id, [], [], datetime.now(JST).date())[0]
    return _file(doc.filename, _MEDIA[doc.format], doc.data)
