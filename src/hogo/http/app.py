"""The application: the REST API under /api/v1, the console under /, static files, GPC.

The one place above both `hogo.api` and `hogo.web` that knows them both: it mounts their
routers, renders each one's errors in its own format and wires the HTTP middleware.

`create_app(settings)` builds everything from settings and creates the db here, never at
import time, so tests and `hogo serve` each get their own.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount

from hogo import __version__
from hogo.api import problems
from hogo.api.routers import campaigns, consents, embed, ledger, meta, policy, privacy_center, subjects
from hogo.api.routers.incidents import router as incidents_router
from hogo.api.routers.inventory import router as inventory_router
from hogo.api.routers.profiles import router as profiles_router
from hogo.api.routers.readiness import router as readiness_router
from hogo.api.routers.received import router as received_router
from hogo.api.routers.releases import router as releases_router
from hogo.api.routers.requests import router as requests_router
from hogo.api.routers.segments import router as segments_router
from hogo.config import Settings, load_settings
from hogo.errors import HogoError, NotFound, StoreBusy
from hogo.http.deps import Unauthenticated
from hogo.http.embed_cors import EmbedCors
from hogo.http.guard import BodyGuard
from hogo.http.middleware import InFlightLimit, ProblemOnError, SecurityHeaders
from hogo.http.server import configure as configure_server
from hogo.services import capture as capture_svc
from hogo.services import notice as notice_svc
from hogo.services import profiles, releases, segments
from hogo.services.database import is_busy, open_store
from hogo.services.mail import smtp_sender
from hogo.services.policy_cache import PolicyCache
from hogo.web.overview import OverviewCache
from hogo.web.routes import console_error
from hogo.web.routes import router as console_router
from hogo.web.session import LoginRequired
from hogo.web.views.privacy import PrivacyEntry, entry_response, privacy_error
from hogo.web.views.privacy import router as privacy_router

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
#: Requests served at once; below the connection pool (5 + 10 overflow by default) and the
#: thread pool (40), see hogo.http.middleware.
IN_FLIGHT = 12
#: Of which one client address may hold (see hogo.http.middleware).
IN_FLIGHT_PER_CLIENT = 8


def create_app_from_env() -> FastAPI:
    """Factory for `hogo serve --workers N`: each worker process reads the HOGO_* settings."""
    settings = load_settings()
    configure_server(settings)
    return create_app(settings, warm=True)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path.startswith("/.well-known/")


def _is_privacy(request: Request) -> bool:
    """The person's privacy center: its own pages, errors and session (hogo.web.views.privacy)."""
    path = request.url.path
    return path == "/privacy" or path.startswith("/privacy/")


def _page_error(request: Request, exc: HogoError) -> Response:
    """An error on an HTML page: the privacy center's own page, or the console's."""
    return privacy_error(request, exc) if _is_privacy(request) else console_error(request, exc)


def _refuse_anonymous(request: Request) -> Response:
    """A body sent without credentials: the 401 the route itself would give, before any is read."""
    if _is_api(request):
        return problems.hogo_error_response(Unauthenticated())
    if _is_privacy(request):
        return entry_response(request, PrivacyEntry(), 401)
    return console_error(request, LoginRequired())


_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _documented_methods(request: Request) -> list[str] | None:
    """The methods the OpenAPI document lists for the most specific path template matching the
    request (a literal segment beats a parameter: `/inventory/import` is not `/inventory/{id}`)."""
    paths: dict[str, dict[str, object]] = request.app.openapi()["paths"]
    best: tuple[int, str] | None = None
    for template in paths:
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        if re.fullmatch(pattern, request.url.path) and (best is None or template.count("{") < best[0]):
            best = (template.count("{"), template)
    if best is None:
        return None
    return sorted(m.upper() for m in paths[best[1]] if m.upper() in _HTTP_METHODS)


def _allowed_methods(request: Request) -> list[str]:
    """What `Allow` names on a 405: the document's methods for API paths, else every method some
    route serves at the path (Starlette's own 405 names only one route's)."""
    documented = _documented_methods(request)
    if documented is not None:
        return documented
    allowed: set[str] = set()
    for method in _HTTP_METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                allowed |= {"GET", "HEAD"} if isinstance(route, Mount) else {method}
    return sorted(allowed)


def _install_error_handlers(app: FastAPI) -> None:
    """API paths answer in the JSON error format; console paths with an HTML page."""

    async def on_hogo_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HogoError)
        return problems.hogo_error_response(exc) if _is_api(request) else _page_error(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _is_api(request):
            return problems.validation_response(exc)
        return _page_error(request, HogoError("入力内容に誤りがあります。", "the request is not valid."))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            allow = ", ".join(_allowed_methods(request))
            exc = StarletteHTTPException(405, exc.detail, headers={**(exc.headers or {}), "Allow": allow})
        if _is_api(request) or exc.status_code != 404:
            return problems.http_error_response(exc)
        return _page_error(request, NotFound("ページが見つかりません。", "page not found."))

    async def on_database_error(request: Request, exc: Exception) -> Response:
        """A lock held past the lock timeout (e.g. by a bulk import) is "busy, retry", not a 500."""
        if not is_busy(exc):
            raise exc
        return await on_hogo_error(request, StoreBusy())

    app.add_exception_handler(HogoError, on_hogo_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def create_app(settings: Settings, db: Engine | None = None, warm: bool = False) -> FastAPI:
    """The application; `warm` computes the dashboard's overview in the background at start-up."""
    own_db = db is None
    db = db or open_store(settings.database_url, lock_timeout=settings.lock_timeout)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            releases.recover_interrupted(db)
            profiles.recover_interrupted(db)
            segments.recover_interrupted(db)
        except SQLAlchemyError:  # a database not migrated yet: requests will say so
            log.warning("could not check for interrupted releases")
        if warm:
            threading.Thread(target=app.state.overview.warm, args=(db,), daemon=True).start()
        yield
        await run_in_threadpool(app.state.notice_queue.close)  # keep what is queued, then stop
        await run_in_threadpool(app.state.choices_queue.close)  # record what is queued, then stop
        await run_in_threadpool(app.state.capture_queue.close)
        if own_db:
            db.dispose()

    app = FastAPI(
        title="hogo API",
        version=__version__,
        description=(
            "個人情報の利用目的・同意・判定・台帳を扱う REST API。認証は `Authorization: Bearer <token>`"
            '(`hogo token create`)。エラーは `{"error": {code, message_ja, message_en, field, row}}`。'
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.overview = OverviewCache()
    app.state.policy_cache = PolicyCache()
    #: Sends one-time codes to persons (services.mail.Sender); None without HOGO_SMTP_HOST.
    app.state.mail_sender = smtp_sender(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        settings.smtp_user,
        settings.smtp_password_file,
        settings.smtp_starttls,
    )
    app.state.embed_limits = notice_svc.Limits.of(
        settings.embed_rate_per_site, settings.embed_rate_per_person
    )
    #: The consent notices shown are kept, and their choices recorded, in batches by one writer
    #: each (services.group_commit).
    app.state.notice_queue = notice_svc.keeps_queue(
        db, secret_key=settings.secret_key, limits=app.state.embed_limits
    )
    app.state.choices_queue = notice_svc.choices_queue(db, app.state.policy_cache)
    #: `POST /api/v1/consents` records through one too.
    app.state.capture_queue = capture_svc.captures_queue(db, app.state.policy_cache)

    for module in (policy, subjects, consents, embed, campaigns, privacy_center, ledger, meta):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(incidents_router, prefix=API_PREFIX)
    app.include_router(inventory_router, prefix=API_PREFIX)
    app.include_router(readiness_router, prefix=API_PREFIX)
    app.include_router(received_router, prefix=API_PREFIX)
    app.include_router(profiles_router, prefix=API_PREFIX)
    app.include_router(releases_router, prefix=API_PREFIX)
    app.include_router(requests_router, prefix=API_PREFIX)
    app.include_router(segments_router, prefix=API_PREFIX)
    app.include_router(meta.public)
    app.include_router(privacy_router)
    app.include_router(console_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # The consent notice component, versioned by path (docs/consent-notice.md gives its SRI hash).
    app.mount("/embed", StaticFiles(directory=STATIC / "embed"), name="embed")

    _install_error_handlers(app)

    # Outermost last: headers on every answer (500s included); bodies checked and read before a
    # slot is taken; unhandled errors become the JSON problem format innermost.
    app.add_middleware(ProblemOnError, is_api=lambda path: path.startswith((API_PREFIX, "/.well-known/")))
    app.add_middleware(InFlightLimit, limit=IN_FLIGHT, per_client=IN_FLIGHT_PER_CLIENT)
    app.add_middleware(BodyGuard, refuse_anonymous=_refuse_anonymous, body_timeout=settings.body_timeout)
    app.add_middleware(EmbedCors)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies is True)
    return app
