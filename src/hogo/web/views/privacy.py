"""The privacy center under /privacy: the person's own pages (本人向けページ).

Plain forms that work without JavaScript, the person's own session (`web.privacy_session`), and
nothing of the console: no navigation, no officer data. The page shows the purposes with the
decision for this person now and why, the consent history with a receipt per event, the 法29条
records of provision about them, and a form per purpose to grant, withdraw or object. The page is
built in sections (`privacy_home.html`) so a section for rights requests (請求) can be added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from hogo.auth.secrets import new_secret
from hogo.domain.consent import ConsentAction
from hogo.domain.ids import RecordId
from hogo.domain.notice import Language, user_agent_family
from hogo.domain.rights.kinds import (
    CLAIMS,
    DisclosureMethod,
    RequestChannel,
    RequestClaim,
    RequestKind,
    RequestState,
    VerificationLevel,
)
from hogo.domain.rights.request import CorrectableField
from hogo.errors import HogoError, InputError, NotFound
from hogo.http.deps import SessionDep, get_settings, mail_sender, policy_cache
from hogo.reports.rights.render import MEDIA_TYPES, render_bytes, render_fragment
from hogo.services import privacy_access, privacy_center
from hogo.services import rights_requests as rights
from hogo.services.database import savepoint
from hogo.services.mail import MailNotConfigured, Sender
from hogo.services.notice import PageContext
from hogo.services.privacy_access import PersonSession
from hogo.services.sites import TokenRefused
from hogo.web.form_errors import form_error
from hogo.web.i18n import member_reason, translator
from hogo.web.options import Option, options
from hogo.web.privacy_session import (
    FORM_CSRF_COOKIE,
    PATH,
    Person,
    PersonRequired,
    end,
    form_token_ok,
    optional_person,
    set_privacy_cookie,
    start,
)
from hogo.web.render import TEMPLATES, language, render
from hogo.web.session import CsrfFailed

TEMPLATES.env.globals["member_reason"] = member_reason

router = APIRouter(prefix=PATH, include_in_schema=False)

GpcHeader = Annotated[str | None, Header(alias="Sec-GPC", max_length=8)]
UserAgentHeader = Annotated[str, Header(alias="User-Agent", max_length=1024)]


@dataclass(frozen=True)
class PrivacyHome:
    view: privacy_center.CenterView
    person: PersonSession
    gpc: bool
    error: str | None = None
    #: The purpose whose form failed (its section shows the error) or was just changed.
    purpose_id: str = ""
    done: bool = False
    #: The person's rights requests, newest first, and the forms to file one.
    requests: tuple[rights.RequestView, ...] = ()
    forms: RequestForms | None = None
    #: The request form that was refused (its kind), the field at fault and what was typed.
    request_kind: str = ""
    request_field: str | None = None
    request_values: dict[str, str] = field(default_factory=dict)
    #: The request just filed.
    filed: str = ""


@dataclass(frozen=True)
class RequestForms:
    """What the request forms offer: the reasons per 法35 kind, the purposes a stop may name
    (every purpose; those that provide to third parties), the fields a correction changes."""

    claims: dict[str, tuple[Option, ...]]
    purposes: tuple[Option, ...]
    providing: tuple[Option, ...]
    fields: tuple[Option, ...]
    methods: tuple[Option, ...]


@dataclass(frozen=True)
class RequestPage:
    """One of the person's requests: where it stands, and once answered the answer itself."""

    view: rights.RequestView
    now: datetime
    answer: Markup | None


@dataclass(frozen=True)
class PrivacyProblem:
    """What went wrong for a person who is in the privacy center."""

    error: str


@dataclass(frozen=True)
class PrivacyEntry:
    """The way in for someone without a session: a link from the member site, or a code."""

    error: str | None = None
    subject_id: str = ""
    #: Set once a code was asked for: the code form's challenge.
    challenge: str = ""
    #: A link's token waiting for the person to press "open" (GET never spends it).
    token: str = ""
    #: Whether hogo can send a code (e-mail is configured); without it the code form is not offered.
    code_available: bool = True


def _lang(request: Request) -> Language:
    return "en" if language(request) == "en" else "ja"


def _message(request: Request, exc: HogoError) -> str:
    return exc.en if _lang(request) == "en" else exc.ja


def _form_message(request: Request, exc: HogoError) -> str:
    """A refused choice or request, its field named as the page labels it (never `claim`)."""
    lang = _lang(request)
    t = translator(lang)
    labels = {
        "action": t("pc.change"), "guardian_name": t("pc.guardian_name"),
        "guardian_relation": t("pc.guardian_relation"), "kind": t("requests.kind"),
        "claim": t("pc.req.claim"), "purposes": t("pc.req.purposes"), "method": t("pc.req.method"),
        "text": t("pc.req.text"), "corrections": t("pc.req.kind.correction"),
    } | {
        f"corrections.{f.value}": t("pc.req.correct_to", field=f.label)
        for f in options(CorrectableField, lang)
    }  # fmt: skip
    return form_error(exc, lang, labels)


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def entry_response(request: Request, page: PrivacyEntry, status_code: int = 200) -> Response:
    """The entry page with a fresh double-submit token for its forms."""
    token = request.cookies.get(FORM_CSRF_COOKIE) or new_secret()
    page = replace(page, code_available=mail_sender(request) is not None)
    response = render(request, "privacy_entry.html", page, None, status_code, csrf_token=token)
    set_privacy_cookie(request, response, FORM_CSRF_COOKIE, token, 3600)
    return response


def privacy_error(request: Request, exc: HogoError) -> Response:
    """Errors on /privacy pages: the entry page for a missing session; for a person who is in
    (e.g. another person's request, 404), the message with the way back to their page."""
    if isinstance(exc, PersonRequired | privacy_access.CodeRefused):
        return entry_response(request, PrivacyEntry(error=_message(request, exc)), 401)
    status = 403 if isinstance(exc, CsrfFailed) else 404 if isinstance(exc, NotFound) else 422
    if isinstance(exc, TokenRefused):
        status = 401
    person: tuple[str, PersonSession] | None = getattr(request.state, "hogo_person", None)
    if person is not None and not isinstance(exc, TokenRefused):
        page = PrivacyProblem(_message(request, exc))
        return render(request, "privacy_error.html", page, None, status, csrf_token=person[1].csrf_token)
    return entry_response(request, PrivacyEntry(error=_message(request, exc)), status)


def _home(
    request: Request, session: SessionDep, person: PersonSession, gpc: bool, **extra: object
) -> PrivacyHome:
    view = privacy_center.overview(
        session,
        person.subject_id,
        datetime.now(UTC),
        _lang(request),
        gpc=gpc,
        policies=policy_cache(request),
    )
    lang = _lang(request)
    titles = {p.id: p.title for p in view.policy.purposes}
    forms = RequestForms(
        claims={k.value: options([c for c in RequestClaim if c in CLAIMS[k]], lang) for k in CLAIMS},
        purposes=tuple(Option(p.id, p.title) for p in view.policy.purposes),
        providing=tuple(Option(p, titles[p]) for p in rights.providing_purposes(view.policy)),
        fields=options(CorrectableField, lang),
        methods=options(DisclosureMethod, lang),
    )  # fmt: skip
    mine = tuple(rights.requests_of(session, person.subject_id))
    return PrivacyHome(view=view, person=person, gpc=gpc, requests=mine, forms=forms, **extra)  # type: ignore[arg-type]


@router.get("")
def home(
    request: Request,
    session: SessionDep,
    found: Annotated[tuple[str, PersonSession] | None, Depends(optional_person)],
    sec_gpc: GpcHeader = None,
    done: Annotated[str, Query(max_length=64)] = "",
    filed: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    if found is None:
        return entry_response(request, PrivacyEntry())
    page = _home(request, session, found[1], sec_gpc == "1", purpose_id=done, done=bool(done), filed=filed)
    return render(request, "privacy_home.html", page, None, csrf_token=found[1].csrf_token)


@router.get("/enter", name="privacy_enter_form")
def enter_form(request: Request, token: Annotated[str, Query(max_length=4096)] = "") -> Response:
    """The member site's link lands here; the token is spent only when the person presses the
    button (a POST), so mail scanners and link previews that fetch the URL do not use it up."""
    return entry_response(request, PrivacyEntry(token=token))


@router.post("/enter")
async def enter(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    token = form.get("token")
    if not await form_token_ok(request) or not isinstance(token, str) or len(token) > 4096:
        raise CsrfFailed()
    settings = get_settings(request)
    opened = privacy_access.enter_with_link(
        session,
        token,
        secret_key=settings.secret_key,
        ttl=timedelta(seconds=settings.privacy_session_max_age),
    )
    response = RedirectResponse(PATH, status_code=303)
    start(request, response, opened.session_id)
    return response


def _sender(request: Request) -> Sender:
    sender = mail_sender(request)
    if sender is None:
        raise MailNotConfigured()
    return sender


@router.post("/code")
async def ask_code(
    request: Request,
    session: SessionDep,
    subject_id: Annotated[str, Form(max_length=128)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    if not await form_token_ok(request):
        raise CsrfFailed()
    settings = get_settings(request)
    try:
        with savepoint(session):
            challenge = privacy_access.request_code(
                session,
                subject_id.strip(),
                email,
                _sender(request),
                secret_key=settings.secret_key,
                per_hour=settings.privacy_codes_per_hour,
            )
    except HogoError as exc:
        # The person is told the way in is closed, not which setting an operator has to make.
        closed = isinstance(exc, MailNotConfigured)
        error = translator(_lang(request))("pc.enter.code_unavailable") if closed else _message(request, exc)
        page = PrivacyEntry(error=error, subject_id=subject_id[:128])
        return entry_response(request, page, 429 if isinstance(exc, privacy_access.TooManyCodes) else 422)
    return entry_response(request, PrivacyEntry(subject_id=subject_id[:128], challenge=challenge))


@router.post("/code/verify")
async def verify_code(
    request: Request,
    session: SessionDep,
    challenge: Annotated[str, Form(max_length=128)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if not await form_token_ok(request):
        raise CsrfFailed()
    settings = get_settings(request)
    try:
        opened = privacy_access.enter_with_code(
            session,
            challenge,
            code,
            secret_key=settings.secret_key,
            ttl=timedelta(seconds=settings.privacy_session_max_age),
        )
    except privacy_access.CodeRefused as exc:  # returned, not raised: the try is counted
        return entry_response(request, PrivacyEntry(error=_message(request, exc), challenge=challenge), 401)
    response = RedirectResponse(PATH, status_code=303)
    start(request, response, opened.session_id)
    return response


@router.post("/consents")
def change(
    request: Request,
    session: SessionDep,
    person: Person,
    purpose_id: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=16)] = "",
    shown_sha256: Annotated[str, Form(max_length=64)] = "",
    language_shown: Annotated[str, Form(alias="lang_shown", max_length=2)] = "ja",
    guardian_name: Annotated[str, Form(max_length=256)] = "",
    guardian_relation: Annotated[str, Form(max_length=64)] = "",
    sec_gpc: GpcHeader = None,
    user_agent: UserAgentHeader = "",
) -> Response:
    gpc = sec_gpc == "1"
    try:
        if action not in ConsentAction.__members__:
            raise HogoError("選択が正しくありません。", "invalid choice.")
        choice = privacy_center.Change(
            purpose_id=purpose_id,
            action=ConsentAction(action),
            shown_sha256=shown_sha256,
            language="en" if language_shown == "en" else "ja",
            page=PageContext(_origin(request), user_agent_family(user_agent), gpc),
            guardian_name=guardian_name,
            guardian_relation=guardian_relation,
        )
        with savepoint(session):
            privacy_center.change_consent(
                session, person[1], choice, datetime.now(UTC), policies=policy_cache(request)
            )
    except HogoError as exc:
        message = _form_message(request, exc)
        page = _home(request, session, person[1], gpc, error=message, purpose_id=purpose_id)
        return render(request, "privacy_home.html", page, None, 422, csrf_token=person[1].csrf_token)
    target = f"{PATH}?done={quote(purpose_id, safe='')}#purpose-{quote(purpose_id, safe='')}"
    return RedirectResponse(target, status_code=303)


@router.post("/gpc")
def gpc_signal(
    request: Request, session: SessionDep, person: Person, user_agent: UserAgentHeader = ""
) -> Response:
    browser = privacy_center.Browser(_origin(request), user_agent_family(user_agent))
    privacy_center.record_gpc(session, person[1], browser, datetime.now(UTC))
    return RedirectResponse(f"{PATH}?done=gpc#purposes", status_code=303)  # says it was recorded


@router.get("/receipts/{event_id}.json")
def receipt(request: Request, session: SessionDep, person: Person, event_id: RecordId) -> Response:
    doc = privacy_center.receipt(session, person[1].subject_id, event_id, datetime.now(UTC))
    body = json.dumps(doc, ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="consent-receipt-{quote(event_id, safe="")}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/logout")
def logout(session: SessionDep, person: Person) -> Response:
    privacy_access.close(session, person[0])
    response = RedirectResponse(PATH, status_code=303)
    end(response)
    return response


def _details(kind: RequestKind, form: dict[str, Any]) -> dict[str, Any]:
    """The request's details from its form: the reason (法35), the purposes concerned, the
    disclosure method, and for a correction each field given (or ticked to delete)."""
    values: dict[str, Any] = {"text": str(form.get("text", "")).strip()}
    if kind in CLAIMS:
        values["claim"] = form.get("claim") or None
    if kind in (RequestKind.stop_use, RequestKind.stop_provision):
        values["purposes"] = [p for p in form.get("purposes", []) if p]
    if kind is RequestKind.disclosure:
        values["method"] = form.get("method") or DisclosureMethod.electronic.value
    if kind is RequestKind.correction:
        deleted = set(form.get("delete", []))
        values["corrections"] = {
            f.value: None if f.value in deleted else str(form.get(f.value, "")).strip()
            for f in CorrectableField
            if f.value in deleted or str(form.get(f.value, "")).strip()
        }
    return values


@router.post("/requests")
def file_request(
    request: Request,
    session: SessionDep,
    person: Person,
    kind: Annotated[str, Form(max_length=32)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    claim: Annotated[str, Form(max_length=32)] = "",
    method: Annotated[str, Form(max_length=16)] = "",
    purposes: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 (FastAPI copies defaults)
    birth_date: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
    delete: Annotated[list[str], Form(max_length=3)] = [],  # noqa: B006
    sec_gpc: GpcHeader = None,
) -> Response:
    """File a rights request as the person (法37条): identity as the session's, channel
    `privacy_center`; a refused form shows the page again with the error at that form."""
    form: dict[str, Any] = {
        "text": text, "claim": claim, "method": method, "purposes": purposes,
        "birth_date": birth_date, "email": email, "phone": phone, "delete": delete,
    }  # fmt: skip
    try:
        if kind not in RequestKind.__members__:
            raise InputError("請求の種類を選んでください。", "choose the kind of request.", field="kind")
        chosen = RequestKind(kind)
        details = rights.details_of(_details(chosen, form))
        with savepoint(session):
            view = rights.file_request(
                session,
                person[1].subject_id,
                chosen,
                details,
                VerificationLevel(person[1].identity_check.value),
                RequestChannel.privacy_center,
            )
    except HogoError as exc:
        shown = {k: v for k, v in form.items() if isinstance(v, str)} | {"purposes": " ".join(purposes)}
        page = _home(
            request, session, person[1], sec_gpc == "1", error=_form_message(request, exc), request_kind=kind,
            request_field=getattr(exc, "field", None), request_values=shown,
        )  # fmt: skip
        return render(request, "privacy_home.html", page, None, 422, csrf_token=person[1].csrf_token)
    return RedirectResponse(f"{PATH}?filed={quote(view.request_id, safe='')}#requests", status_code=303)


def _own(session: SessionDep, person: PersonSession, request_id: str) -> rights.RequestView:
    """The person's own request; anyone else's is 404, as one that does not exist."""
    view = rights.get(session, request_id)
    if view.subject_id is None or view.subject_id != person.subject_id:
        raise NotFound("その請求は登録されていません。", "no such request.")
    return view


RequestId = Annotated[str, Path(min_length=1, max_length=32)]


@router.get("/requests/{request_id}")
def request_page(request: Request, session: SessionDep, person: Person, request_id: RequestId) -> Response:
    view = _own(session, person[1], request_id)
    answer = None
    if view.state is RequestState.answered:
        document = rights.answer_of(session, request_id)
        answer = render_fragment(document.notice, document.content, document.organization, _lang(request))
    page = RequestPage(view=view, now=datetime.now(UTC), answer=answer)
    return render(request, "privacy_request.html", page, None, csrf_token=person[1].csrf_token)


@router.get("/requests/{request_id}/answer.{fmt}")
def answer_file(
    request: Request,
    session: SessionDep,
    person: Person,
    request_id: RequestId,
    fmt: Annotated[Literal["html", "pdf", "json"], Path()],
) -> Response:
    """The answer as the rights module renders it (withheld sections stay empty and named),
    once the answer is recorded; only the person's own."""
    view = _own(session, person[1], request_id)
    if view.state is not RequestState.answered:
        raise NotFound("回答はまだありません。", "there is no answer yet.")
    document = rights.answer_of(session, request_id)
    data = render_bytes(fmt, document.notice, document.content, document.organization, _lang(request))
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{quote(request_id, safe="")}-answer.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
