"""All console pages in one router, and the error pages for log-in and permission failures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.errors import HogoError, NotFound
from hogo.http.deps import Forbidden, get_db
from hogo.services.auth import session_principal
from hogo.services.database import read_scope
from hogo.web.render import language, render
from hogo.web.session import ConsoleUser, CsrfFailed, LoginRequired, read_session_id
from hogo.web.views import (
    admin,
    campaigns,
    consent,
    dashboard,
    external,
    gap,
    incident,
    incident_new,
    incidents,
    inventory,
    inventory_dataset,
    ledger,
    login,
    policy,
    profiles,
    release_new,
    requests,
    segments,
    subjects,
)
from hogo.web.views import readiness as readiness_view
from hogo.web.views import received as received_view
from hogo.web.views import releases as releases_view

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ErrorPage:
    message: str
    #: Each status has its heading in messages.toml (`error.title.<status>`).
    status: Literal[403, 404, 422]


for module in (
    login,
    campaigns,
    dashboard,
    external,
    gap,
    policy,
    subjects,
    consent,
    ledger,
    admin,
    incidents,
    incident_new,
    incident,
    inventory,
    inventory_dataset,
    readiness_view,
    release_new,
    releases_view,
    profiles,
    received_view,
    requests,
    segments,
):
    router.include_router(module.router)


def _signed_in(request: Request) -> ConsoleUser | None:
    """Who is signed in, read in a short session of its own, so that a 403 or 404 page keeps the
    navigation (it lists only what the role may open). A failure here just drops the menu."""
    session_id = read_session_id(request)
    if session_id is None:
        return None
    try:
        with read_scope(get_db(request)) as session:
            found = session_principal(session, session_id)
    except Exception:
        return None
    return None if found is None else ConsoleUser(found[0], found[1], session_id)


def console_error(request: Request, exc: HogoError) -> Response:
    """401 shows the log-in form; other failures an error page that names no data."""
    if isinstance(exc, LoginRequired):
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return login.login_response(request, 401)
    status: Literal[403, 404, 422] = (
        403 if isinstance(exc, Forbidden | CsrfFailed) else 404 if isinstance(exc, NotFound) else 422
    )
    lang = language(request)
    message = exc.en if lang == "en" else exc.ja
    page = ErrorPage(message, status)
    return render(request, "error.html", page, _signed_in(request), status_code=status)
