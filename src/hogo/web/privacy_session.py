"""The privacy center's own session cookie and CSRF checks, apart from the officer console's.

The cookie `hogo_privacy` is scoped to `/privacy`, HttpOnly, SameSite=Lax (the person arrives by
a top-level link from the member site), Secure as the console's cookies are, and lives
`HOGO_PRIVACY_SESSION_MAX_AGE` seconds. It holds only a random session id, signed with the
secret key under its own salt; the store holds the id's digest (`services.privacy_access`). The
console's cookie never opens the privacy center and this one never opens the console: different
names, paths, salts and tables. Forms carry the session's CSRF token; the forms used before a
session exists (the code forms, the link's confirmation) a double-submit token in a cookie.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import URLSafeTimedSerializer

from hogo.auth.secrets import same
from hogo.errors import HogoError
from hogo.http.deps import SessionDep, get_settings
from hogo.services.privacy_access import PersonSession, person_session
from hogo.web.session import CsrfFailed, same_site, set_cookie, signed_id

PATH = "/privacy"
PERSON_COOKIE = "hogo_privacy"
FORM_CSRF_COOKIE = "hogo_privacy_csrf"


class PersonRequired(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "プライバシーセンターを開くには、会員サイトのリンクか確認コードで本人確認をしてください。",
            "to open the privacy center, identify yourself with the member site's link or a code.",
        )


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings(request).secret_key, salt="hogo.privacy-center")


def set_privacy_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """A cookie of the privacy center, scoped to its path."""
    set_cookie(request, response, name, value, max_age, path=PATH)


def start(request: Request, response: Response, session_id: str) -> None:
    """Give the browser the new session's cookie (and drop the form token)."""
    max_age = get_settings(request).privacy_session_max_age
    set_privacy_cookie(request, response, PERSON_COOKIE, _serializer(request).dumps(session_id), max_age)
    response.delete_cookie(FORM_CSRF_COOKIE, path=PATH)


def end(response: Response) -> None:
    response.delete_cookie(PERSON_COOKIE, path=PATH)


def read_person_session_id(request: Request) -> str | None:
    max_age = get_settings(request).privacy_session_max_age
    return signed_id(request, PERSON_COOKIE, _serializer(request), max_age)


def remember_person(request: Request, session_id: str, found: PersonSession) -> None:
    """The body guard (hogo.http.guard) found this session before reading the body: keep it."""
    request.state.hogo_person = (session_id, found)


def optional_person(request: Request, session: SessionDep) -> tuple[str, PersonSession] | None:
    session_id = read_person_session_id(request)
    if session_id is None:
        return None
    kept: tuple[str, PersonSession] | None = getattr(request.state, "hogo_person", None)
    if kept is not None and kept[0] == session_id:
        return kept
    found = person_session(session, session_id)
    if found is None:
        return None
    remember_person(request, session_id, found)  # an error page then still knows who is in
    return session_id, found


def _person(
    found: Annotated[tuple[str, PersonSession] | None, Depends(optional_person)],
) -> tuple[str, PersonSession]:
    if found is None:
        raise PersonRequired()
    return found


async def _submitted_csrf(request: Request) -> str:
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else ""


def _checked() -> Callable[[Request, tuple[str, PersonSession]], Awaitable[tuple[str, PersonSession]]]:
    async def check(
        request: Request, found: Annotated[tuple[str, PersonSession], Depends(_person)]
    ) -> tuple[str, PersonSession]:
        if request.method == "POST" and not (
            same_site(request) and same(await _submitted_csrf(request), found[1].csrf_token)
        ):
            raise CsrfFailed()
        return found

    return check


#: The person in the privacy center (session id, session); POSTs have passed the CSRF check.
Person = Annotated[tuple[str, PersonSession], Depends(_checked())]


async def form_token_ok(request: Request) -> bool:
    """The double-submit check of the forms used before a session exists."""
    cookie = request.cookies.get(FORM_CSRF_COOKIE, "")
    return bool(cookie) and same(cookie, await _submitted_csrf(request)) and same_site(request)
