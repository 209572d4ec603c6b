"""Log-in and log-out. Failures are counted (throttling) and never say which part was wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.auth.secrets import new_secret, same
from hogo.http.deps import SessionDep, get_settings
from hogo.services.auth import AuthenticationFailed, LoginLimits, TooManyAttempts, login, logout
from hogo.web.render import language, render
from hogo.web.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    ConsoleUser,
    PasswordField,
    Viewer,
    optional_user,
    same_site,
    serializer,
    set_cookie,
)

router = APIRouter()


@dataclass(frozen=True)
class LoginPage:
    next: str
    error: str | None
    username: str


def safe_next(target: str | None) -> str:
    """Only same-site paths, so the log-in form cannot be used to send people elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_response(
    request: Request, status_code: int, error: str | None = None, username: str = ""
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_secret()
    target = request.url.path if request.method == "GET" and request.url.path != "/login" else None
    next_path = safe_next(request.query_params.get("next") or target)
    response = render(
        request, "login.html", LoginPage(next_path, error, username), None, status_code, csrf_token=token
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, user: Annotated[ConsoleUser | None, Depends(optional_user)]) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return login_response(request, 200)


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=256)] = "",
    password: PasswordField = "",
    csrf_token: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    lang = language(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not same(cookie, csrf_token) or not same_site(request):
        msg = "フォームの有効期限が切れました。もう一度お試しください。"
        return login_response(request, 400, msg if lang == "ja" else "The form expired; please try again.")
    settings = get_settings(request)
    limits = LoginLimits(
        settings.login_max_failures_per_account,
        settings.login_max_failures_per_ip,
        timedelta(seconds=settings.login_window_seconds),
        settings.login_failures_before_delay,
    )
    client = request.client.host if request.client else "unknown"
    try:
        done = login(session, username, password, client, limits, timedelta(seconds=settings.session_max_age))
    except (AuthenticationFailed, TooManyAttempts) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        response = login_response(request, status, exc.ja if lang == "ja" else exc.en, username[:64])
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(max(1, exc.retry_after))
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        serializer(request).dumps(done.session_id),
        settings.session_max_age,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout_submit(session: SessionDep, user: Viewer) -> Response:
    logout(session, user.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
