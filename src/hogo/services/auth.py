"""Console users, log-in with throttling, server-side sessions and API tokens.

Sessions live in the database so that log-out, deactivating a user or revoking a token takes
effect on the very next request. Failed log-ins are counted in a sliding window, and throttling
never lets a stranger lock the owner out (docs/security.md):
- per (account, client address): after a few failures each further attempt waits a delay that
  doubles with every failure (30 s, 60 s, …, at most the window);
- per account from all addresses: past a ceiling, attempts from addresses the account never
  logged in from wait too, while the addresses it did log in from are not held up;
- per client address for all accounts: past a ceiling, that address waits for the window.
While waiting, even the right password is refused unchecked. Reaching a per-account limit is
recorded in the ledger as an access event (user id and role only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from hogo.auth.passwords import check_password
from hogo.auth.roles import LEAST_PRIVILEGED, Permission, Role, allows
from hogo.auth.secrets import (
    digest,
    hash_password,
    needs_rehash,
    new_secret,
    new_token,
    verify_password,
)
from hogo.domain.ledger import EntryKind
from hogo.errors import Conflict, HogoError, InputError
from hogo.services import ledger
from hogo.store.auth import ApiTokenRow, KnownClientRow, LoginAttemptRow, UserRow, WebSessionRow
from hogo.store.database import one_at_a_time
from hogo.store.rows import stored

_TOKEN_BY_HASH = select(
    ApiTokenRow.id, ApiTokenRow.name, ApiTokenRow.role, ApiTokenRow.revoked_at, ApiTokenRow.expires_at,
    ApiTokenRow.last_used_at,
).where(ApiTokenRow.token_hash == bindparam("digest"))  # fmt: skip
#: A token's last use is written at most this often, so reads do not turn into writes.
_TOUCH_EVERY = timedelta(minutes=1)


class AuthenticationFailed(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "ユーザー名またはパスワードが正しくありません。", "the user name or password is not correct."
        )


class TooManyAttempts(HogoError):
    def __init__(self, retry_after: int = 0) -> None:
        super().__init__(
            "ログインの失敗が続いたため、しばらく時間をおいてから再度お試しください。",
            "too many failed log-ins; try again later.",
        )
        #: Seconds until an attempt will be considered again.
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who is making a request: a console user or an API token, and the role it acts with."""

    kind: str  # "user" or "token"
    id: int
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    @property
    def key(self) -> str:
        """A stable identifier for per-caller records (idempotency keys)."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: Role
    hint: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class LoginLimits:
    per_account: int  # failures from all addresses before unknown addresses wait
    per_client: int  # failures from one address, any account, before it waits for the window
    window: timedelta
    before_delay: int = 5  # failures from one address for one account before delays begin


#: The first delay after `before_delay` failures; it doubles with each further failure.
FIRST_DELAY = timedelta(seconds=30)
#: Known addresses not used for this long are forgotten.
KNOWN_CLIENT_DAYS = 180


@dataclass(frozen=True)
class LoggedIn:
    session_id: str  # goes into the signed cookie; only its digest is stored
    csrf_token: str
    principal: Principal


def _user_info(row: UserRow) -> UserInfo:
    return UserInfo(
        row.id, row.username, row.display_name, Role(row.role), row.active, row.created_at, row.last_login_at
    )


def _token_info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        row.id, row.name, Role(row.role), row.hint, row.created_at, row.expires_at, row.revoked_at,
        row.last_used_at,
    )  # fmt: skip


def _account_hash(username: str) -> str:
    return digest(username.strip().casefold())


def create_user(
    session: Session, username: str, password: str, role: Role = LEAST_PRIVILEGED, display_name: str = ""
) -> UserInfo:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InputError("ユーザー名は空白を含まない64文字以内です。", "invalid user name.", field="username")
    check_password(password, username=username, display_name=display_name)
    taken = session.scalar(select(UserRow.id).where(func.lower(UserRow.username) == username.lower()))
    if taken is not None:
        raise Conflict("このユーザー名は既に使われています。", "this user name is taken.")
    row = UserRow(
        username=username,
        display_name=display_name.strip()[:128],
        role=role.value,
        password_hash=hash_password(password),
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    _record(session, f"user:{row.id}", {"change": "user_created", "role": row.role})
    return _user_info(row)


def list_users(session: Session) -> list[UserInfo]:
    return [_user_info(r) for r in session.scalars(select(UserRow).order_by(UserRow.username))]


def set_active(session: Session, user_id: int, active: bool) -> UserInfo:
    row = stored(session, UserRow, user_id, "ユーザーが見つかりません。", "no such user.")
    changed = row.active != active
    row.active = active
    if not active:
        session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
    # The user's row is written before the ledger's head is locked: a log-in locks them in that
    # order (`login`), so the opposite order could deadlock with it.
    session.flush()
    if changed:
        _record(session, f"user:{row.id}", {"change": "user_activated" if active else "user_deactivated"})
    return _user_info(row)


def _delay(failures: int, free: int, last: datetime | None, window: timedelta, now: datetime) -> float:
    """Seconds still to wait after `failures` (of which `free` cost nothing), the last at `last`."""
    if failures < free or last is None:
        return 0.0
    delay: timedelta = min(window, FIRST_DELAY * (2 ** min(failures - free, 16)))
    return max(0.0, (last + delay - now).total_seconds())


def _failures(session: Session, since: datetime, *where: Any) -> tuple[int, datetime | None, datetime | None]:
    """How many failures match, and the first and last of them."""
    count, first, last = session.execute(
        select(func.count(), func.min(LoginAttemptRow.at), func.max(LoginAttemptRow.at)).where(
            LoginAttemptRow.at >= since, *where
        )
    ).one()
    return int(count or 0), first, last


def _known(session: Session, account: str, client_key: str) -> bool:
    return session.get(KnownClientRow, (account, client_key)) is not None


def login(
    session: Session,
    username: str,
    password: str,
    client: str,
    limits: LoginLimits,
    ttl: timedelta,
    now: datetime | None = None,
) -> LoggedIn:
    """Check the password under throttling and open a session; every failure is counted."""
    now = now or datetime.now(UTC)
    since = now - limits.window
    account = _account_hash(username)
    client = client[:64]
    client_key = digest(client)
    # Attempts from one address, and on one account (one that exists or not), wait for each other
    # here: side by side (PostgreSQL), each would count the failures before the others' and all
    # would get past the limits they add up to. The account's row is locked too (`set_active`
    # takes it before the ledger's head, as a throttling entry does here).
    one_at_a_time(session, f"login-client:{client_key}", f"login-account:{account}")
    row = session.scalar(
        select(UserRow).where(func.lower(UserRow.username) == username.strip().lower()).with_for_update()
    )
    session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < since))
    by_client, first_from_client, _ = _failures(session, since, LoginAttemptRow.client == client)
    if by_client >= limits.per_client and first_from_client is not None:
        raise TooManyAttempts(math.ceil((first_from_client + limits.window - now).total_seconds()))
    by_pair, _, last_pair = _failures(
        session, since, LoginAttemptRow.account_hash == account, LoginAttemptRow.client == client
    )
    by_account, _, last_account = _failures(session, since, LoginAttemptRow.account_hash == account)
    wait = _delay(by_pair, limits.before_delay, last_pair, limits.window, now)
    if by_account >= limits.per_account and not _known(session, account, client_key):
        wait = max(wait, _delay(by_account, limits.per_account, last_account, limits.window, now))
    if wait > 0:
        raise TooManyAttempts(math.ceil(wait))
    ok = verify_password(row.password_hash if row is not None else None, password)
    if row is None or not ok or not row.active:
        session.add(LoginAttemptRow(account_hash=account, client=client, at=now))
        session.flush()
        if row is not None:
            if by_pair + 1 == limits.before_delay:
                _throttled(session, row, "address", by_pair + 1)
            if by_account + 1 == limits.per_account:
                _throttled(session, row, "account", by_account + 1)
        raise AuthenticationFailed()
    if needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    row.last_login_at = now
    # Only this address's failures are forgiven: a stranger's elsewhere still count.
    mine = (LoginAttemptRow.account_hash == account, LoginAttemptRow.client == client)
    session.execute(delete(LoginAttemptRow).where(*mine))
    _remember_client(session, account, client_key, now)
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
    session_id, csrf = new_secret(), new_secret()
    session.add(
        WebSessionRow(
            id_hash=digest(session_id), user_id=row.id, csrf_token=csrf, created_at=now, expires_at=now + ttl
        )
    )
    session.flush()
    return LoggedIn(session_id, csrf, Principal("user", row.id, row.username, Role(row.role)))


def _remember_client(session: Session, account: str, client_key: str, now: datetime) -> None:
    session.execute(
        delete(KnownClientRow).where(KnownClientRow.last_login_at < now - timedelta(days=KNOWN_CLIENT_DAYS))
    )
    known = session.get(KnownClientRow, (account, client_key))
    if known is None:
        session.add(KnownClientRow(account_hash=account, client_hash=client_key, last_login_at=now))
    else:
        known.last_login_at = now


def _throttled(session: Session, row: UserRow, scope: str, failures: int) -> None:
    """A per-account limit was reached: on the record, with the user id and role only."""
    change = {"change": "login_throttled", "scope": scope, "role": row.role, "failures": failures}
    _record(session, f"user:{row.id}", change)


def session_principal(session: Session, session_id: str) -> tuple[Principal, str] | None:
    """The user behind a live session and the session's CSRF token, or None."""
    found = session.execute(
        select(WebSessionRow, UserRow)
        .join(UserRow, UserRow.id == WebSessionRow.user_id)
        .where(WebSessionRow.id_hash == digest(session_id))
    ).first()
    if found is None:
        return None
    web, user = found
    if web.expires_at <= datetime.now(UTC) or not user.active:
        return None
    return Principal("user", user.id, user.username, Role(user.role)), web.csrf_token


def logout(session: Session, session_id: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == digest(session_id)))


def create_token(
    session: Session,
    name: str,
    role: Role = LEAST_PRIVILEGED,
    created_by: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, TokenInfo]:
    """A new token: the clear text is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 128:
        raise InputError("トークン名は1〜128文字です。", "a token name has 1-128 characters.", field="name")
    token = new_token()
    row = ApiTokenRow(
        name=name,
        role=role.value,
        token_hash=digest(token),
        hint=token[:10],
        created_by=created_by,
        created_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    expiry = expires_at.isoformat() if expires_at else None
    change = {"change": "token_created", "role": row.role, "created_by": created_by, "expires_at": expiry}
    _record(session, f"token:{row.id}", change)
    return token, _token_info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    return [_token_info(r) for r in session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))]


def revoke_token(session: Session, token_id: int) -> TokenInfo:
    row = stored(session, ApiTokenRow, token_id, "トークンが見つかりません。", "no such token.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
        _record(session, f"token:{row.id}", {"change": "token_revoked"})
    return _token_info(row)


def _record(session: Session, ref: str, payload: dict[str, Any]) -> None:
    """Access changes go into the ledger (JIS Q 15001 access control records); ids and roles
    only, never names, passwords or token text."""
    ledger.append(session, EntryKind.access, ref, payload)


def token_principal(session: Session, token: str) -> tuple[Principal, bool] | None:
    """The principal a bearer token stands for (if known, unrevoked, unexpired), and whether its
    last use is due to be recorded. Reading never writes, so checks stay pure reads; the columns
    are read without the ORM's identity map because this runs on every API request."""
    # On the connection (rows the session holds are flushed first): the ORM's handling of a
    # statement cost more than the statement, once per API request (issue 15).
    session.flush()
    row = session.connection().execute(_TOKEN_BY_HASH, {"digest": digest(token)}).first()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    due = row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY
    return Principal("token", row.id, row.name, Role(row.role)), due


def touch_token(session: Session, token_id: int) -> None:
    """Record that a token was used (at most once a minute; see `token_principal`)."""
    session.execute(
        update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=datetime.now(UTC))
    )
