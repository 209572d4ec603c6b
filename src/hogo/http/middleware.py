"""Pure ASGI middleware: a bound on requests in flight, security headers on every response, and
an answer in hogo's error format when a request fails in a way nobody foresaw.

Why the bound: sync endpoints and their yield-dependencies each hop onto the thread pool, and a
request holds its database connection between hops. Unbounded, a burst can occupy every pool
thread with requests waiting for a connection while the requests that hold the connections wait
for a thread to finish on — a deadlock. Requests beyond the bound wait in the event loop instead,
where waiting costs nothing; the bound stays below both the connection pool and the thread pool.
One client address may hold only part of the bound, so a single caller cannot starve the rest;
bodies are read before a slot is taken (hogo.http.guard), so slow senders hold none. A request
that has done its work and only waits for another thread's answer (the consent notice's calls
waiting for their group commit, `http.deps.leave_bound`) gives its place up early: it holds
neither a thread nor a connection, and holding the place would cap how many such requests one
batch can gather (issue 15).

Every response but a static asset is `Cache-Control: no-store` (API JSON and console pages carry
personal data); HSTS is sent when the settings make cookies Secure.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hogo.api.problems import server_error_response
from hogo.http.deps import LEAVE_BOUND

log = logging.getLogger(__name__)

_SERVER_ERROR_PAGE = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラー / Error</title></head>'
    "<body><h1>サーバーで問題が発生しました。</h1><p>Something went wrong on the server. "
    'Please try again later.</p><p><a href="/">トップへ / Home</a></p></body></html>'
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    ),
)


HSTS = (b"strict-transport-security", b"max-age=31536000")
NO_STORE = (b"cache-control", b"no-store")


class _Place:
    """A request's place in the bound: the client's and the process's semaphore, released once."""

    def __init__(self, shared: asyncio.Semaphore, own: asyncio.Semaphore) -> None:
        self._held: tuple[asyncio.Semaphore, ...] = (shared, own)

    def release(self) -> None:
        held, self._held = self._held, ()
        for semaphore in held:
            semaphore.release()


class InFlightLimit:
    def __init__(self, app: ASGIApp, limit: int, per_client: int) -> None:
        self.app = app
        self.limit = limit
        self.per_client = min(per_client, limit)
        self._slots: asyncio.Semaphore | None = None
        #: Each client address's own bound and how many of its requests use it (dropped at 0).
        self._clients: dict[str, tuple[asyncio.Semaphore, int]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created on the serving loop, not at import
            self._slots = asyncio.Semaphore(self.limit)
        client = scope.get("client")
        key = client[0] if client else ""
        own, users = self._clients.get(key) or (asyncio.Semaphore(self.per_client), 0)
        self._clients[key] = (own, users + 1)
        try:
            await own.acquire()
            try:
                await self._slots.acquire()
            except BaseException:
                own.release()
                raise
            place = _Place(self._slots, own)
            scope[LEAVE_BOUND] = place.release
            try:
                await self.app(scope, receive, send)
            finally:
                place.release()
        finally:
            own, users = self._clients[key]
            if users == 1:
                del self._clients[key]
            else:
                self._clients[key] = (own, users - 1)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        wanted = list(SECURITY_HEADERS)
        if not scope["path"].startswith(("/static/", "/embed/")):
            wanted.append(NO_STORE)
        if self.hsts:
            wanted.append(HSTS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in wanted if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class ProblemOnError:
    """An unhandled exception becomes a 500 in the JSON error format (API) or a plain error page
    (console), never Starlette's plain text or a traceback.

    The log records the exception's type and where it was raised, not its message: messages of
    database and parsing errors can carry the values of the request (personal data). A failure
    after the response has started cannot be answered any more; it is only logged.
    """

    def __init__(self, app: ASGIApp, is_api: Callable[[str], bool]) -> None:
        self.app = app
        self.is_api = is_api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)[-3:]
            where = " < ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in reversed(frames))
            log.error(
                "unhandled %s on %s %s at %s", type(exc).__name__, scope["method"], scope["path"], where
            )
            if started:
                return
            response: Response = (
                server_error_response()
                if self.is_api(scope["path"])
                else HTMLResponse(_SERVER_ERROR_PAGE, status_code=500)
            )
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)
