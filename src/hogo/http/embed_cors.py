"""CORS for the embed API: only origins registered for a member site may call it from a page.

The embed API takes no cookies: a person is identified by the member site's bearer token, sent
in the `Authorization` header, so a cross-site request forgery has nothing ambient to ride on,
and the header makes every call a CORS preflighted one. A preflight carries no token, so it is
answered for any origin registered to an active site; each call then checks the origin against
the token's own site (`services.notice`). Unregistered origins get no CORS headers at all, so
their pages cannot read an answer. The component script itself is public and served with
`Access-Control-Allow-Origin: *` so pages can load it with an SRI `integrity` attribute.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hogo.http.deps import run_read
from hogo.services.database import read_scope
from hogo.services.sites import origin_registered

EMBED_API = "/api/v1/embed/"
EMBED_STATIC = "/embed/"
ALLOWED_HEADERS = "authorization, content-type, sec-gpc"


class EmbedCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith((EMBED_API, EMBED_STATIC)):
            await self.app(scope, receive, send)
            return
        if path.startswith(EMBED_STATIC):
            await self.app(scope, receive, _adding(send, [(b"access-control-allow-origin", b"*")]))
            return
        origin = Headers(scope=scope).get("origin")
        # The registry is read off the event loop on a networked database (a round trip must not
        # stall other requests), inline on SQLite, where the read costs less than the hop
        # (`http.deps.run_read`).
        allowed = origin is not None and await run_read(
            scope["app"].state.db, self._registered, scope, origin
        )
        if scope["method"] == "OPTIONS":
            await self._preflight(allowed, origin)(scope, receive, send)
            return
        extra = [(b"vary", b"Origin")]
        if allowed and origin is not None:
            extra.append((b"access-control-allow-origin", origin.encode("latin-1")))
        await self.app(scope, receive, _adding(send, extra))

    def _registered(self, scope: Scope, origin: str) -> bool:
        with read_scope(scope["app"].state.db) as session:
            return origin_registered(session, origin.lower())

    @staticmethod
    def _preflight(allowed: bool, origin: str | None) -> Response:
        if not allowed or origin is None:
            return Response(status_code=403, headers={"Vary": "Origin"})
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return wrapped
