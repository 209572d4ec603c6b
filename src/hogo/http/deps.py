"""Request-scoped dependencies shared by the API and the console: one unit of work per request,
who is asking, the settings and db of the app.

Both `hogo.api` and `hogo.web` import this module and never each other; it imports neither.

`SessionDep` opens a transaction that commits when the handler returns and rolls back when it
raises (before the response is sent, so a failed commit is never reported as success).
Permissions are checked by dependencies, never inside handlers: a handler that runs has already
been allowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future
from typing import Annotated, Any, TypeVar, cast

from fastapi import BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hogo.auth.roles import Permission
from hogo.config import Settings
from hogo.errors import HogoError
from hogo.services.auth import Principal, token_principal, touch_token
from hogo.services.database import read_scope, write_scope
from hogo.services.mail import Sender
from hogo.services.policy_cache import PolicyCache

T = TypeVar("T")


class Unauthenticated(HogoError):
    def __init__(self) -> None:
        super().__init__("認証が必要です。", "authentication required.")


class Forbidden(HogoError):
    def __init__(self) -> None:
        super().__init__("この操作の権限がありません。", "you are not allowed to do this.")


def get_db(request: Request) -> Engine:
    db: Engine = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def mail_sender(request: Request) -> Sender | None:
    """The app's e-mail sender (`services.mail`); None without HOGO_SMTP_HOST."""
    return cast(Sender | None, getattr(request.app.state, "mail_sender", None))


def privacy_center_url(request: Request) -> str:
    """The privacy center's address for persons: HOGO_PUBLIC_URL's, else this request's host."""
    base = get_settings(request).public_url or str(request.base_url)
    return base.rstrip("/") + "/privacy"


def policy_cache(request: Request) -> PolicyCache:
    cache: PolicyCache = request.app.state.policy_cache
    return cache


# Dependencies that do no I/O are async: a sync one would cost a thread-pool hop per request.
async def _db(request: Request) -> Engine:
    return get_db(request)


async def _settings(request: Request) -> Settings:
    return get_settings(request)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request, committed before the response is sent: `write_scope` for
    the methods that change state, `read_scope` for the rest (the helpers the CLI uses too).

    Async on purpose: opening, committing and closing a read scope costs microseconds, far less
    than two thread-pool hops. A write scope is entered (SQLite's BEGIN IMMEDIATE may wait for
    the lock) and committed in the thread pool; a failed request is rolled back at once.
    """
    db = get_db(request)
    writes = request.method in WRITE_METHODS
    scope = write_scope(db) if writes else read_scope(db)
    session = await run_in_threadpool(scope.__enter__) if writes else scope.__enter__()
    try:
        yield session
    except BaseException as exc:
        if not scope.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        if writes:
            await run_in_threadpool(scope.__exit__, None, None, None)
        else:
            scope.__exit__(None, None, None)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
DbDep = Annotated[Engine, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]

_bearer = HTTPBearer(auto_error=False, description="`hogo token create` で発行した API トークン")


def _touch_later(db: Engine, token_id: int) -> None:
    """After a read request: record the token's use in its own short write, best effort."""
    try:
        with write_scope(db) as session:
            touch_token(session, token_id)
    except OperationalError:
        pass  # the database is busy; the next use records it


async def run_db(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run a short database read: inline on SQLite, in the thread pool elsewhere.

    A local SQLite read takes tens of microseconds, less than handing work to a thread and back
    (which, under load, can wait a whole GIL switch interval); a networked database's round trip
    must not hold up the event loop, so there it goes to the thread pool.
    """
    return await run_read(get_db(request), fn, *args)


async def run_read(db: Engine, fn: Callable[..., T], *args: Any) -> T:
    """`run_db` for code that has the db but no request (ASGI middleware)."""
    if db.dialect.name == "sqlite":
        return fn(*args)
    return await run_in_threadpool(fn, *args)


#: The scope key of the callable that gives a request's place in the in-flight bound up.
LEAVE_BOUND = "hogo.leave_bound"


def leave_bound(request: Request) -> None:
    """The request now only waits for an answer another thread gives (a group commit's future),
    holding neither a thread nor a connection: give its place in the in-flight bound to the next
    (`hogo.http.middleware.InFlightLimit`, which put the callable in the scope; absent when the
    app runs without it)."""
    release: Callable[[], None] | None = request.scope.get(LEAVE_BOUND)
    if release is not None:
        release()


async def await_commit(request: Request, pending: Future[T]) -> T:
    """The answer of a write queued for a group commit (`services.group_commit`), awaited after
    leaving the in-flight bound (`leave_bound`): the wait holds no thread and no connection."""
    leave_bound(request)
    return await asyncio.wrap_future(pending)


#: The scope key of the set of page origins an embed call itself found registered to its token's
#: active member site (`origin_verified`); the CORS middleware puts it there.
ORIGIN_VERIFIED = "hogo.origin_verified"


def origin_verified(request: Request, origin: str) -> None:
    """The embed call checked `origin` against its token's site, which must be active
    (`services.sites.origin_allowed`): the CORS middleware (`hogo.http.embed_cors`) may then
    allow it without reading the registry again (absent when the app runs without it)."""
    verified: set[str] | None = request.scope.get(ORIGIN_VERIFIED)
    if verified is not None:
        verified.add(origin)


def remember_token(request: Request, token: str, found: tuple[Principal, bool]) -> None:
    """The body guard (hogo.http.guard) authenticated this request's bearer token before reading
    its body: keep what it found, so `current_principal` does not look the token up again."""
    request.state.hogo_token = (token, found)


def remembered_token(request: Request, token: str) -> tuple[Principal, bool] | None:
    """What the body guard found for exactly this token, or None (no body, or not this token)."""
    kept: tuple[str, tuple[Principal, bool]] | None = getattr(request.state, "hogo_token", None)
    return kept[1] if kept is not None and kept[0] == token else None


async def current_principal(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated()
    found = remembered_token(request, credentials.credentials) or await run_db(
        request, token_principal, session, credentials.credentials
    )
    if found is None:
        raise Unauthenticated()
    principal, due = found
    if due and request.method in WRITE_METHODS:
        await run_in_threadpool(touch_token, session, principal.id)
    elif due:
        background.add_task(_touch_later, get_db(request), principal.id)
    return principal


def _read_token(db: Engine, token: str) -> tuple[Principal, bool] | None:
    with read_scope(db) as session:
        return token_principal(session, token)


async def bearer_principal(
    request: Request,
    background: BackgroundTasks,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """`current_principal` for a route that opens no unit of work of its own (it hands its
    writes to a group commit, `services.group_commit`): the token is looked up in a read
    transaction (usually done already by the body guard), and a use that is due is recorded
    after the answer, in its own short write, best effort."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated()
    token = credentials.credentials
    found = remembered_token(request, token) or await run_db(request, _read_token, get_db(request), token)
    if found is None:
        raise Unauthenticated()
    principal, due = found
    if due:
        background.add_task(_touch_later, get_db(request), principal.id)
    return principal


def require(
    permission: Permission, who: Callable[..., Awaitable[Principal]] = current_principal
) -> Callable[[Principal], Awaitable[Principal]]:
    # `who` as the default, not in the annotation: annotations are strings here, resolved in the
    # module's globals, where a local name is not found.
    async def check(principal: Principal = Depends(who)) -> Principal:  # noqa: B008
        if not principal.can(permission):
            raise Forbidden()
        return principal

    return check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Reader = Annotated[Principal, Depends(require(Permission.read))]
Recorder = Annotated[Principal, Depends(require(Permission.record_consent))]
Verifier = Annotated[Principal, Depends(require(Permission.verify_ledger))]
#: `Recorder` for a route that records through a group commit: no write transaction of its own.
QueuedRecorder = Annotated[Principal, Depends(require(Permission.record_consent, bearer_principal))]
