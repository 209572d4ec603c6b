"""Authenticate before reading a body, cap it, and read it with a deadline before the app runs.

FastAPI reads a request's body before it solves the dependencies that check who is asking, so
without this middleware an anonymous 200 MB body is read in full before the 401, and a body
sent slowly holds one of the few requests in flight (see hogo.http.middleware) until the client
gives up. Here, before anything of the body is read:

- a request with a body must carry a valid bearer token (API) or session cookie (console; the
  person's own cookie under /privacy), unless its route takes anonymous bodies (the log-in
  forms): otherwise 401 at once;
- a declared length over the route's cap is answered 413 at once;
- the body is then read here, outside the in-flight limit, within a deadline (408 beyond it),
  counting bytes against the cap (413 for chunked bodies that grow past it), and replayed to
  the app. Slow senders hold a socket and a coroutine, never a request slot.

Refusals close the connection, so an unread body is never parsed as the next request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hogo.api.problems import ErrorBody, error_response
from hogo.http.deps import remember_token
from hogo.http.limits import anonymous_body_allowed, body_deadline, body_limit
from hogo.services.auth import session_principal, token_principal
from hogo.services.database import read_scope
from hogo.services.privacy_access import person_session
from hogo.web.privacy_session import read_person_session_id, remember_person
from hogo.web.session import read_session_id, remember_user

T = TypeVar("T")

#: Credential look-ups done here at once (on a networked database, in the thread pool): with
#: the requests in flight they stay within the connection pool.
AUTH_LOOKUPS = 3


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


def _problem(status: int, code: str, ja: str, en: str) -> Response:
    response = error_response(status, ErrorBody(code=code, message_ja=ja, message_en=en))
    response.headers["Connection"] = "close"
    return response


def too_large(limit: int) -> Response:
    size = f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MiB"
    ja = f"要求の本文が大きすぎます({size}まで)。"
    return _problem(413, "body_too_large", ja, f"the request body is too large ({size} at most).")


def too_slow() -> Response:
    ja = "要求の本文の受信が時間内に終わりませんでした。"
    return _problem(408, "body_timeout", ja, "the request body was not received in time.")


def _declared_length(headers: Headers) -> int | None:
    """The Content-Length (0 when there is no body), or None for a chunked body."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return None
    try:
        return max(0, int(headers.get("content-length", "0")))
    except ValueError:
        return 0  # the HTTP parser has refused malformed lengths already


class BodyGuard:
    def __init__(
        self, app: ASGIApp, refuse_anonymous: Callable[[Request], Response], body_timeout: float
    ) -> None:
        self.app = app
        self.refuse_anonymous = refuse_anonymous
        self.body_timeout = body_timeout
        self._lookups: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _declared_length(Headers(scope=scope))
        if length == 0:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        request = Request(scope)
        if not anonymous_body_allowed(method, path) and not await self._authenticated(request):
            response = self.refuse_anonymous(request)
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        limit = body_limit(method, path)
        if length is not None and length > limit:
            await too_large(limit)(scope, receive, send)
            return
        try:
            async with asyncio.timeout(body_deadline(self.body_timeout, length or limit)):
                messages = await _read(receive, limit)
        except _TooLarge:
            await too_large(limit)(scope, receive, send)
            return
        except TimeoutError:
            await too_slow()(scope, receive, send)
            return
        except _Gone:
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _authenticated(self, request: Request) -> bool:
        """Whether the request's credentials are valid; what they stand for is kept on the
        request (`remember_token`, `remember_user`, `remember_person`), so the app's dependencies
        do not look them up a second time."""
        db: Engine = request.app.state.db
        check = _credential_check(request, db)
        if check is None:
            return False
        if db.dialect.name == "sqlite":  # a local read: cheaper than a thread-pool hop
            return check()
        if self._lookups is None:  # created on the serving loop, not at import
            self._lookups = asyncio.Semaphore(AUTH_LOOKUPS)
        async with self._lookups:
            return await run_in_threadpool(check)


def _credential_check(request: Request, db: Engine) -> Callable[[], bool] | None:
    """The look-up of the request's credentials (None: it has none): a bearer token under /api/,
    the person's privacy-center session under /privacy/, the console session elsewhere."""
    path = request.url.path
    if path.startswith("/api/"):
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 512:
            return None
        return _lookup(db, token, token_principal, lambda found: remember_token(request, token, found))
    if path.startswith("/privacy/"):
        person_id = read_person_session_id(request)
        if person_id is None:
            return None
        return _lookup(
            db, person_id, person_session, lambda found: remember_person(request, person_id, found)
        )
    session_id = read_session_id(request)
    if session_id is None:
        return None
    return _lookup(db, session_id, session_principal, lambda found: remember_user(request, session_id, found))


def _lookup(
    db: Engine, key: str, find: Callable[[Session, str], T | None], remember: Callable[[T], None]
) -> Callable[[], bool]:
    """A read of what `key` stands for, kept on the request (`remember`) when it is valid."""

    def check() -> bool:
        with read_scope(db) as session:
            found = find(session, key)
        if found is not None:
            remember(found)
        return found is not None

    return check


async def _read(receive: Receive, limit: int) -> list[Message]:
    """Every message of the body, refusing more than `limit` bytes."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone()
        size += len(message.get("body", b""))
        if size > limit:
            raise _TooLarge()
        messages.append(message)
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """The body as read, then the real channel (which reports a disconnect)."""
    pending = list(reversed(messages))

    async def replayed() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replayed
