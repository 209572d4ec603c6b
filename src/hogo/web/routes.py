"""All console pages in one router, and the error pages for log-in and permission failures."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.errors import HogoError, NotFound
from hogo.web.render import language, render
from hogo.web.session import CsrfFailed, LoginRequired, NotAllowed
from hogo.web.views import (
    admin,
    consent,
    dashboard,
    incident,
    incident_new,
    incidents,
    inventory,
    inventory_dataset,
    ledger,
    login,
    policy,
    subjects,
)
from hogo.web.views import readiness as readiness_view
from hogo.web.views import received as received_view
from hogo.web.views import releases as releases_view

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ErrorPage:
    message: str
    status: int


for module in (
    login,
    dashboard,
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
    releases_view,
    received_view,
):
    router.include_router(module.router)


def console_error(request: Request, exc: HogoError) -> Response:
    """401 shows the log-in form; other failures an error page that names no data."""
    if isinstance(exc, LoginRequired):
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return login.login_response(request, 401)
    status = 403 if isinstance(exc, NotAllowed | CsrfFailed) else 404 if isinstance(exc, NotFound) else 422
    lang = language(request)
    message = exc.en if lang == "en" else exc.ja
    return render(request, "error.html", ErrorPage(message, status), None, status_code=status)
