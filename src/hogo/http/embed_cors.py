"""CORS for the embed API: only origins registered for a member site may call it from a page.

The embed API takes no cookies: a person is identified by the member site's bearer token, sent
in the `Authorization` header, so a cross-site request forgery has nothing ambient to ride on,
and the header makes every call a CORS preflighted one. A preflight carries no token, so it is
answered for any origin registered to an active site; each call then checks the origin against
the token's own site (`services.notice`). Unregistered origins get no CORS headers at all, so
their pages cannot read an answer. The component script itself is public and served with
`Access-Control-Allow-Origin: *` so pages can load it with an SRI `integrity` attribute.

A call's answer is allowed once the origin is known to be registered to an active site: either
the call itself checked it against its token's site (`http.deps.origin_verified`, the normal
case, which then costs no second read of the registry), or, when it did not get that far (a
refused token, a malformed body), the registry is read as the answer starts. Either way only
registered origins of active sites ever see `Access-Control-Allow-Origin`.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hogo.http.deps import ORIGIN_VERIFIED, run_read
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
        if scope["method"] == "OPTIONS":
            allowed = origin is not None and await self._registered(scope, origin)
            await self._preflight(allowed, origin)(scope, receive, send)
            return
        verified: set[str] = set()  # what the call itself checked (`http.deps.origin_verified`)
        scope[ORIGIN_VERIFIED] = verified
        await self.app(scope, receive, self._allowing(scope, origin, verified, send))

    @staticmethod
    async def _registered(scope: Scope, origin: str) -> bool:
        # Read off the event loop on a networked database (a round trip must not stall other
        # requests), inline on SQLite, where the read costs less than the hop (`run_read`).
        db = scope["app"].state.db

        def registered() -> bool:
            with read_scope(db) as session:
                return origin_registered(session, origin.lower())

        return await run_read(db, registered)

    def _allowing(self, scope: Scope, origin: str | None, verified: set[str], send: Send) -> Send:
        """`send` with `Vary: Origin` and, for a registered origin of an active site, the allowed
        origin on the answer's start."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"vary", b"Origin")]
                if origin is not None and (origin in verified or await self._registered(scope, origin)):
                    extra.append((b"access-control-allow-origin", origin.encode("latin-1")))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return wrapped

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
