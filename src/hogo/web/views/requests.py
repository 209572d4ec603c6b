"""Rights requests (本人からの請求, 法32条〜35条) in the console: the board with each deadline
(overdue first), a form to file a request received by post or at the counter, and one page per
request with its steps — identity, decision with the statutory grounds, carrying out, answer,
extension — and the answer to download (HTML, PDF, JSON).

The forms post to the same service as `hogo request` and the API. A refused step shows the page
again with the error naming the field and stores nothing. The officer's steps and the answer,
which holds the person's data, need the `personal_data` permission; reading the board `read`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.clock import JST, parse_instant
from hogo.domain.reasons import ReasonType
from hogo.domain.rights.grounds import BY_CODE, grounds_for
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestClaim,
    RequestKind,
    RequestOutcome,
    RequestState,
    VerificationLevel,
)
from hogo.domain.rights.request import Decision, DisclosureSection
from hogo.errors import HogoError, InputError
from hogo.http.deps import SessionDep, mail_sender, privacy_center_url
from hogo.reports.rights.render import MEDIA_TYPES, render_bytes
from hogo.services import rights_requests as svc
from hogo.services.database import savepoint
from hogo.web.filters import ShowAll
from hogo.web.form_errors import keyed_form_error
from hogo.web.options import Option, options
from hogo.web.render import language, render
from hogo.web.session import ConsoleUser, Recorder, Viewer, permitted

router = APIRouter()

Officer = Annotated[ConsoleUser, Depends(permitted(Permission.personal_data))]
RequestId = Annotated[str, Path(min_length=1, max_length=32)]


@dataclass(frozen=True)
class FileForm:
    kinds: tuple[Option, ...]
    claims: tuple[Option, ...]
    channels: tuple[Option, ...]
    levels: tuple[Option, ...]
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_field: str | None = None


@dataclass(frozen=True)
class RequestBoardPage:
    at: datetime
    include_answered: bool
    lines: tuple[svc.BoardLine, ...]
    form: FileForm | None


@dataclass(frozen=True)
class GroundOption:
    code: str
    article: str
    text: str


@dataclass(frozen=True)
class RecipientLine:
    recipient_id: str
    name: str
    country: str
    last_provided_on: date


@dataclass(frozen=True)
class RequestPage:
    view: svc.RequestView
    overdue: bool
    days_left: int
    steps: tuple[svc.StepEntry, ...]
    can_act: bool
    levels: tuple[Option, ...]
    outcomes: tuple[Option, ...]
    grounds: tuple[GroundOption, ...]
    #: A partial refusal narrows what is carried out: fields corrected, purposes stopped,
    #: disclosure sections withheld (only the kind's own list is filled).
    fields: tuple[Option, ...]
    purposes: tuple[Option, ...] = ()
    sections: tuple[Option, ...] = ()
    #: The person's own words and corrected values are shown only with `personal_data`.
    personal: bool = False
    #: The step a refused form was for, and why.
    error: str | None = None
    error_step: str | None = None
    error_field: str | None = None
    answerable: bool = False
    states: tuple[Option, ...] = ()
    #: The grounds the decision cites, with their article and text (法36条).
    decided: tuple[GroundOption, ...] = ()
    #: 法35: the recipients to inform (from the 法29条 records).
    recipients: tuple[RecipientLine, ...] = ()
    #: Just answered: what became of the e-mail telling the person (`svc.AnswerMail`).
    mail: str = ""


def _ground(g: ReasonType, lang: str) -> GroundOption:
    return GroundOption(g.code, g.article, g.en if lang == "en" else g.ja)


#: The label of each field a request form (filing or a step) may name in an error.
FIELD_LABELS = {
    "subject_id": "requests.subject", "kind": "requests.kind", "claim": "requests.claim",
    "channel": "requests.channel", "verification": "requests.verification", "text": "requests.text",
    "purposes": "requests.stop_purposes", "level": "requests.level", "outcome": "requests.outcome",
    "grounds": "requests.grounds", "note": "requests.note", "fields": "requests.fields",
    "withhold": "requests.withhold", "until": "requests.until", "reason": "requests.reason",
}  # fmt: skip


def _form(lang: str, values: dict[str, str] | None = None, error: HogoError | None = None) -> FileForm:
    return FileForm(
        kinds=options(RequestKind, lang),
        claims=options(RequestClaim, lang),
        channels=options(RequestChannel, lang),
        levels=options(VerificationLevel, lang),
        values=values or {"channel": RequestChannel.post.value},
        error=None if error is None else keyed_form_error(error, lang, FIELD_LABELS),
        error_field=getattr(error, "field", None),
    )


def _board(
    request: Request, session: SessionDep, user: ConsoleUser, show_all: bool, form: FileForm | None = None
) -> RequestBoardPage:
    now = datetime.now(JST)
    lines = tuple(svc.board(session, now, include_answered=show_all))
    can_file = user.can(Permission.record_consent)
    return RequestBoardPage(now, show_all, lines, (form or _form(language(request))) if can_file else None)


@router.get("/requests", include_in_schema=False)
def board_page(
    request: Request,
    session: SessionDep,
    user: Viewer,
    show_all: ShowAll,
) -> Response:
    return render(request, "requests.html", _board(request, session, user, show_all), user)


def _enum(kind: type[Any], value: str, name: str) -> Any:
    if value not in kind.__members__:
        raise InputError("選択肢から選んでください。", "choose one of the options.", field=name)
    return kind(value)


@router.post("/requests", include_in_schema=False)
def file_submit(
    request: Request,
    session: SessionDep,
    user: Recorder,
    subject_id: Annotated[str, Form(max_length=128)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    claim: Annotated[str, Form(max_length=32)] = "",
    channel: Annotated[str, Form(max_length=32)] = "",
    verification: Annotated[str, Form(max_length=32)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    values = {"subject_id": subject_id, "kind": kind, "claim": claim, "channel": channel,
              "verification": verification, "text": text}  # fmt: skip
    try:
        details = svc.details_of({"claim": claim or None, "text": text.strip()})
        level = _enum(VerificationLevel, verification, "verification") if verification else None
        with savepoint(session):
            view = svc.file_request(
                session,
                subject_id.strip(),
                _enum(RequestKind, kind, "kind"),
                details,
                level,
                _enum(RequestChannel, channel, "channel"),
            )
    except HogoError as exc:
        page = _board(request, session, user, False, _form(language(request), values, exc))
        return render(request, "requests.html", page, user, status_code=422)
    return RedirectResponse(f"/requests/{quote(view.request_id, safe='')}", status_code=303)


def _page(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    request_id: str,
    error: tuple[str, HogoError] | None = None,
    mail: str = "",
) -> RequestPage:
    lang = language(request)
    view = svc.get(session, request_id)
    now = datetime.now(JST)
    case = view.case
    decided = case.decision is not None
    outcome = case.decision.outcome if case.decision is not None else None
    refused = outcome is RequestOutcome.refused
    partly = outcome is RequestOutcome.partly
    return RequestPage(
        view=view,
        overdue=view.overdue(now),
        days_left=view.days_left(now),
        steps=tuple(svc.steps(session, request_id)),
        can_act=user.can(Permission.personal_data),
        personal=user.can(Permission.personal_data),
        levels=options(VerificationLevel, lang),
        outcomes=options(RequestOutcome, lang),
        grounds=tuple(_ground(g, lang) for g in grounds_for(case.kind, case.details.claim)),
        fields=options(case.details.corrections, lang) if partly else (),
        purposes=tuple(Option(p, title) for p, title in svc.stoppable(session, request_id)) if partly else (),
        sections=options(DisclosureSection, lang) if partly and case.kind is RequestKind.disclosure else (),
        error=None if error is None else keyed_form_error(error[1], lang, FIELD_LABELS),
        error_step=None if error is None else error[0],
        error_field=None if error is None else getattr(error[1], "field", None),
        answerable=decided and (refused or case.carried_out_at is not None),
        states=options(RequestState, lang),
        decided=tuple(_ground(BY_CODE[g], lang) for g in (case.decision.grounds if case.decision else ())),
        recipients=tuple(
            RecipientLine(
                r["recipient_id"], r["name"], r["country"], date.fromisoformat(r["last_provided_on"])
            )
            for r in case.result.get("recipients", [])
        ),
        mail=mail if mail in svc.AnswerMail.__members__ else "",
    )


@router.get("/requests/{request_id}", include_in_schema=False)
def request_page(
    request: Request,
    request_id: RequestId,
    session: SessionDep,
    user: Viewer,
    mail: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    return render(request, "request.html", _page(request, session, user, request_id, mail=mail), user)


class _Case:
    """The case an officer's step acts on from its form: on refusal the page is shown again
    with the error at that step's form; done, the page opens at the step."""

    def __init__(self, request: Request, request_id: RequestId, session: SessionDep, user: Officer) -> None:
        self.request, self.request_id, self.session, self.user = request, request_id, session, user

    def step(self, step: str, act: Callable[[], object]) -> Response:
        try:
            with savepoint(self.session):
                act()
        except HogoError as exc:
            if not isinstance(exc, InputError):
                raise
            page = _page(self.request, self.session, self.user, self.request_id, (step, exc))
            return render(self.request, "request.html", page, self.user, status_code=422)
        return RedirectResponse(f"/requests/{quote(self.request_id, safe='')}#step-{step}", status_code=303)


Case = Annotated[_Case, Depends()]


@router.post("/requests/{request_id}/verify", include_in_schema=False)
def verify_submit(
    case: Case,
    level: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    def act() -> object:
        return svc.verify(case.session, case.request_id, _enum(VerificationLevel, level, "level"))

    return case.step("verify", act)


@router.post("/requests/{request_id}/decide", include_in_schema=False)
def decide_submit(
    case: Case,
    outcome: Annotated[str, Form(max_length=16)] = "",
    grounds: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006 (FastAPI copies defaults)
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def act() -> object:
        chosen = _enum(RequestOutcome, outcome, "outcome")
        kept = tuple(g for g in grounds if g) if chosen is not RequestOutcome.allowed else ()
        decision = Decision(outcome=chosen, grounds=kept, note=note.strip())
        return svc.decide_request(case.session, case.request_id, decision)

    return case.step("decide", act)


@router.post("/requests/{request_id}/carry-out", include_in_schema=False)
def carry_out_submit(
    case: Case,
    narrowed: Annotated[str, Form(max_length=8)] = "",
    fields: Annotated[list[str], Form(max_length=3)] = [],  # noqa: B006
    purposes: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    withhold: Annotated[list[str], Form(max_length=5)] = [],  # noqa: B006
) -> Response:
    """`narrowed` names the list the form showed (a partial refusal): its ticks are what is done."""

    def act() -> object:
        values: dict[str, object] = {"withhold": tuple(w for w in withhold if w)}
        if narrowed in ("fields", "purposes"):
            values[narrowed] = tuple(v for v in (fields if narrowed == "fields" else purposes) if v)
        return svc.carry_out(case.session, case.request_id, partial=svc.partial_of(values))

    return case.step("carry-out", act)


@router.post("/requests/{request_id}/answer", include_in_schema=False)
def answer_submit(case: Case) -> Response:
    """Record the answer, then tell the person by e-mail that it is ready (not what it says)."""
    mailed: list[svc.AnswerMail] = []
    session, request_id = case.session, case.request_id

    def act() -> object:
        svc.answer(session, request_id)
        sender, url = mail_sender(case.request), privacy_center_url(case.request)
        mailed.append(svc.notify_answered(session, request_id, sender, url))
        return None

    response = case.step("answer", act)
    if mailed and response.status_code == 303:
        target = f"/requests/{quote(request_id, safe='')}?mail={mailed[0].value}#step-answer"
        return RedirectResponse(target, status_code=303)
    return response


@router.post("/requests/{request_id}/extend", include_in_schema=False)
def extend_submit(
    case: Case,
    until: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def act() -> object:
        try:
            when = parse_instant(until, 2000)
        except ValueError:
            raise InputError("日時の形式が正しくありません。", "invalid time.", field="until") from None
        return svc.extend(case.session, case.request_id, when, reason)

    return case.step("extend", act)


@router.get("/requests/{request_id}/answer", include_in_schema=False)
def answer_document(
    request: Request,
    request_id: RequestId,
    session: SessionDep,
    user: Officer,
    format: Annotated[Literal["html", "pdf", "json"], Query()] = "html",
) -> Response:
    """The answer to send the person, as a file (the console's own security policy would strip the
    document's styles if it opened inside the console)."""
    document = svc.answer_of(session, request_id)
    data = render_bytes(format, document.notice, document.content, document.organization, language(request))
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{request_id}-answer.{format}"',
    }
    return Response(data, media_type=MEDIA_TYPES[format], headers=headers)
