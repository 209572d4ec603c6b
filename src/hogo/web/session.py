"""Console log-in state: a signed cookie naming a server-side session, and CSRF checks.

The cookie holds only a random session id, signed with the secret key; the database holds its
digest, the user and the CSRF token. Every POST must carry the session's CSRF token (a hidden
form field, or the X-CSRF-Token header for HTMX requests) and come from this site (below). The
log-in form, used before any session exists, is protected by a double-submit token in a
short-lived cookie.

Whether cookies are Secure is a setting (on outside development), never the Host header, which
a proxy may rewrite; in development it follows the request's scheme.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hogo.auth.passwords import MAX_PASSWORD_LENGTH
from hogo.auth.roles import Permission
from hogo.auth.secrets import same
from hogo.errors import HogoError
from hogo.http.deps import Forbidden, SessionDep, get_settings
from hogo.services.auth import Principal, session_principal

SESSION_COOKIE = "hogo_session"
LOGIN_CSRF_COOKIE = "hogo_login_csrf"
LANG_COOKIE = "hogo_lang"


class LoginRequired(HogoError):
    def __init__(self) -> None:
        super().__init__("ログインしてください。", "please log in.")


class CsrfFailed(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "フォームの有効期限が切れました。もう一度お試しください。", "the form expired; please try again."
        )


@dataclass(frozen=True)
class ConsoleUser:
    principal: Principal
    csrf_token: str
    session_id: str

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)


def serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings(request).secret_key, salt="hogo.console")


def secure_cookies(request: Request) -> bool:
    configured = get_settings(request).secure_cookies
    return configured if configured is not None else request.url.scheme == "https"


def same_site(request: Request) -> bool:
    """A POST sent by a page of this site: the browser's Sec-Fetch-Site when it sends one, else
    Origin, else Referer must name this host. Clients that send none of them (scripts, old
    browsers) still need the CSRF token, which is the main protection."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    if referer is not None:
        return urlsplit(referer).netloc == host
    return True


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/"
) -> None:
    """Every cookie of hogo's pages: HttpOnly, SameSite=Lax, Secure as above, scoped to `path`."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure_cookies(request), path=path
    )


def signed_id(request: Request, cookie: str, signer: URLSafeTimedSerializer, max_age: int) -> str | None:
    """The session id a signed cookie holds; None when it is missing, forged or too old."""
    raw = request.cookies.get(cookie)
    if not raw:
        return None
    try:
        value = signer.loads(raw, max_age=max_age)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def read_session_id(request: Request) -> str | None:
    return signed_id(request, SESSION_COOKIE, serializer(request), get_settings(request).session_max_age)


def remember_user(request: Request, session_id: str, found: tuple[Principal, str]) -> None:
    """The body guard (hogo.http.guard) authenticated this request's session before reading its
    body: keep what it found, so `optional_user` does not look the session up again."""
    request.state.hogo_console = (session_id, found)


def remembered_user(request: Request, session_id: str) -> tuple[Principal, str] | None:
    """What the body guard found for exactly this session, or None (no body, or not this one)."""
    kept: tuple[str, tuple[Principal, str]] | None = getattr(request.state, "hogo_console", None)
    return kept[1] if kept is not None and kept[0] == session_id else None


def optional_user(request: Request, session: SessionDep) -> ConsoleUser | None:
    session_id = read_session_id(request)
    if session_id is None:
        return None
    found = remembered_user(request, session_id) or session_principal(session, session_id)
    if found is None:
        return None
    return ConsoleUser(found[0], found[1], session_id)


def console_user(user: Annotated[ConsoleUser | None, Depends(optional_user)]) -> ConsoleUser:
    if user is None:
        raise LoginRequired()
    return user


async def _submitted_csrf(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else ""


def permitted(permission: Permission) -> Callable[[Request, ConsoleUser], Awaitable[ConsoleUser]]:
    """A logged-in user with `permission`; for POST requests the CSRF token must match too."""

    async def check(request: Request, user: Annotated[ConsoleUser, Depends(console_user)]) -> ConsoleUser:
        if request.method == "POST" and not (
            same_site(request) and same(await _submitted_csrf(request), user.csrf_token)
        ):
            raise CsrfFailed()
        if not user.can(permission):
            raise Forbidden()
        return user

    return check


Viewer = Annotated[ConsoleUser, Depends(permitted(Permission.read))]
Recorder = Annotated[ConsoleUser, Depends(permitted(Permission.record_consent))]
LedgerVerifier = Annotated[ConsoleUser, Depends(permitted(Permission.verify_ledger))]
Admin = Annotated[ConsoleUser, Depends(permitted(Permission.manage_users))]

#: A password typed into a console form (log in, add a user): as long as the password rules allow.
PasswordField = Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)]
