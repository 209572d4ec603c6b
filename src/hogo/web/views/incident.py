"""One incident: the verdict with its reasons and articles, deadlines with countdowns, the tasks
step by step (each with a done button), the timeline, and the documents to draft.

Marking a task done and drafting a document are POSTs with the session's CSRF token; drafting
records the document's SHA-256 in the timeline and the ledger. The notification list holds the
persons' contact details and needs the `personal_data` permission.

Facts learnt later (本人の数, 規則7条2号・3号, 高度な暗号化, 委託元 …) and the officer's text for
the 規則8条 items are recorded here too, through the same services as the API and the CLI, so
the verdict, the deadlines and the timeline are re-evaluated in one place. A bad value
re-renders the page with the error naming the field and stores nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.clock import JST, parse_instant
from hogo.domain.display import pick
from hogo.domain.incidents.details import FIELDS as DETAIL_FIELDS
from hogo.domain.incidents.details import PARA_MAX, RULE8_ITEMS, ReportDetails
from hogo.domain.incidents.facts import FactsUpdate
from hogo.domain.incidents.flow import Task, TaskStatus
from hogo.domain.incidents.types import Step, role_title
from hogo.domain.inventory import Encryption
from hogo.errors import InputError
from hogo.http.deps import SessionDep
from hogo.reports.incidents.context import DRAFT_NAMES, DocumentKind
from hogo.reports.incidents.render import is_html
from hogo.services import incident_documents, incidents
from hogo.services import inventory as inventory_service
from hogo.services.database import savepoint
from hogo.services.incident_views import BoardRow, IncidentView, TimelineEntry
from hogo.web.i18n import MESSAGES
from hogo.web.incident_labels import Countdown, StepMark, countdown, step_marks
from hogo.web.options import Option, options
from hogo.web.render import language, render
from hogo.web.session import ConsoleUser, Recorder, Viewer, permitted
from hogo.web.views.inventory import category_titles

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
class FactsForm:
    """The 「判明した事実を記録」 form: empty fields keep the recorded value, as in the API."""

    encryptions: tuple[Option, ...]
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_field: str | None = None


@dataclass(frozen=True)
class DetailItem:
    name: str
    label: str
    value: str


@dataclass(frozen=True)
class DetailsForm:
    """The 規則8条 report items, pre-filled with what is recorded (a cleared field clears it)."""

    items: tuple[DetailItem, ...]
    #: The version of the items the form was filled from; a save on a stale version is refused.
    base: str = ""
    error: str | None = None
    error_field: str | None = None


@dataclass(frozen=True)
class Named:
    id: str
    title: str


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
    facts_form: FactsForm | None = None
    details_form: DetailsForm | None = None
    recorded: str | None = None
    #: The 管理台帳 datasets and data categories involved, by the names people gave them.
    datasets: tuple[Named, ...] = ()
    categories: tuple[Named, ...] = ()


def _documents(incident_id: str, lang: str, with_list: bool) -> tuple[DocumentLink, ...]:
    base = f"/incidents/{quote(incident_id, safe='')}"
    links = [
        DocumentLink(
            k.value,
            pick(DRAFT_NAMES[k], lang),
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


#: Where each 規則8条 text item sits in the rule (None: not one of its numbered items).
_DETAIL_ITEMS: dict[str, int | None] = {
    "overview": 1, "cause": 4, "secondary_damage": 5, "response_to_persons": 6, "announcement": 7,
    "prevention": 8, "other": 9, "contact": None, "pmark_registration": None,
}  # fmt: skip
_DETAIL_KEYS = {"contact": "details.contact", "pmark_registration": "details.pmark"}


def _detail_label(name: str, lang: str) -> str:
    """The rule's own wording and number, so the officer sees which item of the report it fills."""
    number = _DETAIL_ITEMS[name]
    if number is None:
        return pick(MESSAGES[_DETAIL_KEYS[name]], lang)
    ja, en = RULE8_ITEMS[number]
    return f"({number}) {en[0].upper()}{en[1:]}" if lang == "en" else f"({number}) {ja}"


def details_version(details: ReportDetails) -> str:
    """A short digest of the recorded items: two officers editing at once must not overwrite
    each other unknowingly."""
    return hashlib.sha256(details.model_dump_json().encode("utf-8")).hexdigest()[:16]


def _details_form(
    details: ReportDetails, lang: str, typed: dict[str, str] | None = None, error: InputError | None = None
) -> DetailsForm:
    values = typed if typed is not None else {}
    return DetailsForm(
        items=tuple(
            DetailItem(name, _detail_label(name, lang), values.get(name, getattr(details, name)))
            for name in DETAIL_FIELDS
        ),
        base=details_version(details),
        error=None if error is None else (error.en if lang == "en" else error.ja),
        error_field=None if error is None else error.field,
    )


def _facts_form(
    lang: str, values: dict[str, str] | None = None, error: InputError | None = None
) -> FactsForm:
    return FactsForm(
        encryptions=options(Encryption, lang),
        values=values or {},
        error=None if error is None else (error.en if lang == "en" else error.ja),
        error_field=None if error is None else error.field,
    )


def _page(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    incident_id: str,
    *,
    done: str | None = None,
    recorded: str | None = None,
    facts_form: FactsForm | None = None,
    details_form: DetailsForm | None = None,
) -> IncidentPage:
    """The page as shown after a GET, or after a rejected form with what was typed and the error."""
    lang = language(request)
    view, board = incidents.status(session, incident_id, datetime.now(JST))
    can_act = user.can(Permission.record_consent)
    can_list = user.can(Permission.personal_data)
    history = incidents.timeline(session, incident_id, personal=can_list)
    names = {d.id: d.name for d in inventory_service.load_inventory(session).datasets}
    titles = category_titles(session)
    return IncidentPage(
        incident=view,
        board=board,
        preliminary=countdown(board.preliminary, board.preliminary_state, board.preliminary_days_left, lang),
        final=countdown(board.final, board.final_state, board.final_days_left, lang),
        encryption=view.facts.encryption.text(lang),
        steps=_steps(view, board, lang),
        timeline=tuple(history),
        documents=_documents(view.id, lang, can_list) if can_act else (),
        can_act=can_act,
        can_download_list=can_list,
        done_task=done
        if done and any(t.id == done and t.status is TaskStatus.done for t in view.tasks)
        else None,
        facts_form=(facts_form or _facts_form(lang)) if can_act else None,
        details_form=(details_form or _details_form(view.details, lang)) if can_act else None,
        recorded=recorded if recorded in ("facts", "details") else None,
        datasets=tuple(Named(d, names.get(d, d)) for d in view.datasets),
        categories=tuple(
            Named(c.id, f"{titles.get(c.id, c.id)}({c.appi_class.text(lang)})")
            for c in view.facts.data_categories
        ),
    )


@router.get("/incidents/{incident_id}", include_in_schema=False)
def incident_page(
    request: Request,
    incident_id: IncidentId,
    session: SessionDep,
    user: Viewer,
    done: Annotated[str | None, Query(max_length=128)] = None,
    recorded: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    page = _page(request, session, user, incident_id, done=done, recorded=recorded)
    return render(request, "incident.html", page, user)


def _label(key: str) -> tuple[str, str]:
    return MESSAGES[key]


def _choice(value: str, *, presumable: bool = False) -> bool | str | None:
    """A select of 変更しない (""), あり / なし, and 種類から推定 (forget the answer, None); anything
    else is passed on as typed, for `FactsUpdate` to refuse."""
    answers: dict[str, bool | None] = {"yes": True, "no": False}
    if presumable:
        answers["presumed"] = None
    return answers.get(value, value)


def _fact_error(name: str) -> InputError:
    """The console's wording for a refused fact; the bounds themselves are `FactsUpdate`'s."""
    if name == "persons":
        return InputError(
            "「本人の数」は0以上の整数(10億以下)で入力してください。",
            "Number of persons: enter a whole number from 0 to 1,000,000,000.",
            field="persons",
        )
    if name == "client_informed_at":
        return InputError(
            "「委託元に通知した日時」は2000年から2099年までの日時(例 2026-04-01T15:30)で入力してください。",
            "Client informed at: enter a time in 2000–2099 (e.g. 2026-04-01T15:30).",
            field="client_informed_at",
        )
    ja, en = _label(_FACT_LABELS.get(name, "incident.facts"))
    return InputError(f"「{ja}」の選択が正しくありません。", f"{en}: choose one of the options.", field=name)


_FACT_LABELS = {
    "card_or_login": "incident.card",
    "improper_purpose": "incident.improper",
    "about_to_be_acquired": "incident.acquiring",
    "key_leaked": "incident.key_leaked",
    "encryption": "incident.encryption",
}


def _fact_changes(values: dict[str, str]) -> FactsUpdate:
    """The facts the officer gave, as `record_facts` takes them; everything else keeps its value."""
    given: dict[str, object] = {}
    if persons := values["persons"].strip():
        if not persons.isdigit():
            raise _fact_error("persons")
        given["persons"] = int(persons)
    for name, presumable in (
        ("card_or_login", False),
        ("improper_purpose", True),
        ("about_to_be_acquired", True),
        ("key_leaked", False),
    ):
        if values[name]:
            given[name] = _choice(values[name], presumable=presumable)
    if values["encryption"]:
        given["encryption"] = values["encryption"]
    if values["outsourcee_client"].strip():
        given["outsourcee_client"] = values["outsourcee_client"].strip()
    if informed := values["client_informed_at"].strip():
        try:
            given["client_informed_at"] = parse_instant(informed)
        except ValueError:
            raise _fact_error("client_informed_at") from None
    try:
        return incidents.facts_update(given)
    except InputError as exc:
        raise _fact_error(exc.field or "") from None


def _recorded(incident_id: str, what: str) -> Response:
    """303 back to the page (POST/redirect/GET), so a reload never records twice."""
    return RedirectResponse(
        f"/incidents/{quote(incident_id, safe='')}?recorded={what}#verdict", status_code=303
    )


@router.post("/incidents/{incident_id}/facts", include_in_schema=False)
def record_facts(
    request: Request,
    incident_id: IncidentId,
    session: SessionDep,
    user: Recorder,
    persons: Annotated[str, Form(max_length=64)] = "",
    card_or_login: Annotated[str, Form(max_length=16)] = "",
    improper_purpose: Annotated[str, Form(max_length=16)] = "",
    about_to_be_acquired: Annotated[str, Form(max_length=16)] = "",
    encryption: Annotated[str, Form(max_length=16)] = "",
    key_leaked: Annotated[str, Form(max_length=16)] = "",
    outsourcee_client: Annotated[str, Form(max_length=200)] = "",
    client_informed_at: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    values = {
        "persons": persons, "card_or_login": card_or_login, "improper_purpose": improper_purpose,
        "about_to_be_acquired": about_to_be_acquired, "encryption": encryption, "key_leaked": key_leaked,
        "outsourcee_client": outsourcee_client, "client_informed_at": client_informed_at,
    }  # fmt: skip
    try:
        update = _fact_changes(values)
        with savepoint(session):
            incidents.record_facts(session, incident_id, update)
    except InputError as exc:
        form = _facts_form(language(request), values, exc)
        page = _page(request, session, user, incident_id, facts_form=form)
        return render(request, "incident.html", page, user, status_code=422)
    return _recorded(incident_id, "facts")


@router.post("/incidents/{incident_id}/details", include_in_schema=False)
def record_details(
    request: Request,
    incident_id: IncidentId,
    session: SessionDep,
    user: Recorder,
    overview: Annotated[str | None, Form(max_length=20_000)] = None,
    cause: Annotated[str | None, Form(max_length=20_000)] = None,
    secondary_damage: Annotated[str | None, Form(max_length=20_000)] = None,
    response_to_persons: Annotated[str | None, Form(max_length=20_000)] = None,
    announcement: Annotated[str | None, Form(max_length=20_000)] = None,
    prevention: Annotated[str | None, Form(max_length=20_000)] = None,
    other: Annotated[str | None, Form(max_length=20_000)] = None,
    contact: Annotated[str | None, Form(max_length=20_000)] = None,
    pmark_registration: Annotated[str | None, Form(max_length=20_000)] = None,
    base: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Only items sent and changed are recorded: the timeline names exactly what was rewritten.

    A form filled from an older version (``base``) is shown again with what was typed and the
    newer version as its base, so saving once more overwrites knowingly.
    """
    lang = language(request)
    sent = {
        "overview": overview, "cause": cause, "secondary_damage": secondary_damage,
        "response_to_persons": response_to_persons, "announcement": announcement, "prevention": prevention,
        "other": other, "contact": contact, "pmark_registration": pmark_registration,
    }  # fmt: skip
    typed = {k: v.replace("\r\n", "\n").strip() for k, v in sent.items() if v is not None}
    current = incidents.get(session, incident_id).details
    status = 422
    try:
        if base is not None and base != details_version(current):
            status = 409
            raise InputError(
                "他の担当者が報告事項を更新しました。内容を確認し、もう一度保存してください。",
                "another officer changed the report items; check them and save again.",
                field="base",
            )
        for name, text in typed.items():
            if len(text) > PARA_MAX:
                label = _detail_label(name, "ja"), _detail_label(name, "en")
                raise InputError(
                    f"「{label[0]}」は{PARA_MAX}字以内で入力してください。",
                    f"{label[1]}: at most {PARA_MAX} characters.",
                    field=name,
                )
        changes = {k: v for k, v in typed.items() if v != getattr(current, k)}
        if not changes:
            raise InputError("変更された報告事項がありません。", "no report item was changed.")
        with savepoint(session):
            incidents.record_details(session, incident_id, changes)
    except InputError as exc:
        form = _details_form(current, lang, typed, exc)
        page = _page(request, session, user, incident_id, details_form=form)
        return render(request, "incident.html", page, user, status_code=status)
    return _recorded(incident_id, "details")


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
    doc = incident_documents.draft(
        session, incident_id, [], [], datetime.now(JST).date(), notification_list=True
    )[0]
    return _file(doc.filename, _MEDIA[doc.format], doc.data)
