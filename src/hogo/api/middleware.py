"""Pure ASGI middleware: a bound on requests in flight, security headers on every response, and
an answer in hogo's error format when a request fails in a way nobody foresaw.

Why the bound: sync endpoints and their yield-dependencies each hop onto the thread pool, and a
request holds its database connection between hops. Unbounded, a burst can occupy every pool
thread with requests waiting for a connection while the requests that hold the connections wait
for a thread to finish on — a deadlock. Requests beyond the bound wait in the event loop instead,
where waiting costs nothing; the bound stays below both the connection pool and the thread pool.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hogo.api.problems import server_error_response

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


class InFlightLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created on the serving loop, not at import
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
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
