"""The registry of member sites, and verification of the short-lived tokens they mint for a person.

A member site (the business's own web site, where members log in) is registered with the
origins its pages are served from and a signing key: an HS256 secret hogo generates and shows
once, or an Ed25519 public key whose private half never leaves the site. The site's server
mints a JWT for the logged-in member (`iss` = site id, `sub` = subject id, `aud` = the hogo
feature it is for, `exp` at most 15 minutes ahead, a fresh `jti`, `kid` = key id in the header)
and hands it to the page. hogo accepts each token once.

The registry is generic: the consent notice uses audience `hogo:consent-notice`; the privacy
center uses `PRIVACY_CENTER_AUDIENCE` with the same keys, so a token minted for one cannot be
spent on the other.

Refusals are logged with a reason code, the site and the key id, never the subject or token.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hogo.domain.ids import NAME_ID_CHARS, is_record_id
from hogo.domain.ledger import EntryKind
from hogo.errors import Conflict, HogoError, InputError, cut
from hogo.services import jwt_codec, ledger
from hogo.services.auth import AuthenticationFailed
from hogo.store.database import savepoint
from hogo.store.rows import stored
from hogo.store.sites import SiteKeyRow, SiteOriginRow, SiteRow, UsedTokenRow
from hogo.store.tables import SubjectRow

log = logging.getLogger(__name__)

#: The longest a member token may live (exp − iat), and clock skew tolerated between servers.
MAX_TOKEN_LIFETIME = timedelta(minutes=15)
LEEWAY = timedelta(seconds=30)
#: Tokens signed with a rotated-out key are accepted this long after the rotation by default.
DEFAULT_GRACE = timedelta(hours=24)
ALGORITHMS = ("HS256", "EdDSA")
#: The audience of a member token that opens the person's privacy center (docs/privacy-center.md).
PRIVACY_CENTER_AUDIENCE = "hogo:privacy-center"
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}


class TokenRefused(AuthenticationFailed):
    """One message for every refusal: a caller learns nothing about why (the log says)."""

    def __init__(self) -> None:
        HogoError.__init__(
            self,
            "本人確認用のトークンを受け付けられません(期限切れ・使用済み・署名不正のいずれか)。",
            "the member token is not accepted (expired, already used, or not validly signed).",
        )


@dataclass(frozen=True)
class SiteView:
    site_id: str
    name: str
    origins: tuple[str, ...]
    privacy_center_url: str
    keys: tuple[KeyView, ...]
    disabled: bool


@dataclass(frozen=True)
class KeyView:
    key_id: str
    algorithm: str
    created_at: datetime
    retires_at: datetime | None


@dataclass(frozen=True)
class NewKey:
    key_id: str
    algorithm: str
    #: The HS256 secret, shown once; None for an EdDSA key (the site keeps its private key).
    secret: str | None


@dataclass(frozen=True)
class MemberToken:
    """A verified member token: who, for which site, and until when."""

    site_id: str
    subject_id: str
    jti: str
    expires_at: datetime
    key_id: str


def normalize_origin(value: str, field: str = "origin") -> str:
    """`https://host[:port]` (http only on loopback, for development), lower-case, no path."""
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    ok_scheme = parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)
    if not ok_scheme or not host or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InputError(
            "オリジンは https://ホスト[:ポート] の形で指定してください(http はループバックのみ)。",
            "an origin is https://host[:port] (http only on loopback).",
            field=field,
        )
    if parts.username or parts.password:
        raise InputError("オリジンに認証情報は含められません。", "an origin has no credentials.", field=field)
    default = {"https": 443, "http": 80}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


@lru_cache(maxsize=4)
def _sealing_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hogo site keys/1").derive(
        secret_key.encode("utf-8")
    )


def _seal(secret_key: str, key_id: str, secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_sealing_key(secret_key)).encrypt(nonce, secret.encode(), key_id.encode())
    return "aesgcm:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


@lru_cache(maxsize=256)
def _unseal(secret_key: str, key_id: str, material: str) -> str:
    """The site's HS256 secret. Cached by everything it is computed from (a rotated key has a new
    id and material, so it is unsealed afresh): every member token is verified with it."""
    raw = base64.urlsafe_b64decode(material.removeprefix("aesgcm:"))
    try:
        return AESGCM(_sealing_key(secret_key)).decrypt(raw[:12], raw[12:], key_id.encode()).decode()
    except InvalidTag:
        raise HogoError(
            "サイト鍵を復号できません(HOGO_SECRET_KEY が登録時と異なります)。",
            "cannot unseal the site key (HOGO_SECRET_KEY differs from when it was registered).",
        ) from None


def _public_key(pem: str) -> str:
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(
            "Ed25519 の公開鍵(PEM)を指定してください。",
            "expected an Ed25519 public key (PEM).",
            field="public_key",
        )
    return pem.strip() + "\n"


def _new_key(session: Session, site_id: str, public_key_pem: str | None, secret_key: str) -> NewKey:
    key_id = f"{site_id}-{secrets.token_hex(4)}"
    now = datetime.now(UTC)
    if public_key_pem is not None:
        material, secret, algorithm = _public_key(public_key_pem), None, "EdDSA"
    else:
        secret = secrets.token_urlsafe(32)
        material, algorithm = _seal(secret_key, key_id, secret), "HS256"
    session.add(
        SiteKeyRow(key_id=key_id, site_id=site_id, algorithm=algorithm, material=material, created_at=now)
    )
    return NewKey(key_id=key_id, algorithm=algorithm, secret=secret)


def add_site(
    session: Session,
    site_id: str,
    name: str,
    origins: list[str],
    *,
    secret_key: str,
    public_key_pem: str | None = None,
    privacy_center_url: str = "",
) -> tuple[SiteView, NewKey]:
    """Register a member site with its origins and a first signing key (in the ledger)."""
    if not re.fullmatch(rf"[{NAME_ID_CHARS}]{{1,48}}", site_id):
        raise InputError(
            "サイトIDは英数字・.・-・_ で48文字までです。",
            "a site id is letters, digits, '.', '-' and '_' (48 at most).",
            field="site_id",
        )
    if not origins:
        raise InputError("オリジンを1つ以上指定してください。", "give at least one origin.", field="origin")
    if session.get(SiteRow, site_id) is not None:
        raise Conflict("このサイトIDは登録済みです。", "this site id is already registered.")
    normalized = sorted({normalize_origin(o, f"origin.{i}") for i, o in enumerate(origins)})
    session.add(
        SiteRow(
            site_id=site_id, name=name, privacy_center_url=privacy_center_url, created_at=datetime.now(UTC)
        )
    )
    session.flush()
    session.add_all(SiteOriginRow(site_id=site_id, origin=o) for o in normalized)
    key = _new_key(session, site_id, public_key_pem, secret_key)
    ledger.append(
        session,
        EntryKind.access,
        f"site:{site_id}",
        {
            "action": "site_added",
            "site_id": site_id,
            "origins": normalized,
            "key_id": key.key_id,
            "algorithm": key.algorithm,
        },
    )
    session.flush()
    return get_site(session, site_id), key


def rotate_key(
    session: Session,
    site_id: str,
    *,
    secret_key: str,
    public_key_pem: str | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> NewKey:
    """A new signing key; the current ones keep verifying for `grace`, then stop."""
    _site_row(session, site_id)
    now = datetime.now(UTC)
    for row in session.execute(select(SiteKeyRow).where(SiteKeyRow.site_id == site_id)).scalars():
        if row.retires_at is None or row.retires_at > now + grace:
            row.retires_at = now + grace
    key = _new_key(session, site_id, public_key_pem, secret_key)
    ledger.append(
        session,
        EntryKind.access,
        f"site:{site_id}",
        {
            "action": "site_key_rotated",
            "site_id": site_id,
            "key_id": key.key_id,
            "grace_seconds": int(grace.total_seconds()),
        },
    )
    session.flush()
    return key


def set_origins(session: Session, site_id: str, origins: list[str]) -> SiteView:
    """Replace the site's allowed origins (in the ledger)."""
    _site_row(session, site_id)
    normalized = sorted({normalize_origin(o, f"origin.{i}") for i, o in enumerate(origins)})
    if not normalized:
        raise InputError("オリジンを1つ以上指定してください。", "give at least one origin.", field="origin")
    session.execute(delete(SiteOriginRow).where(SiteOriginRow.site_id == site_id))
    session.add_all(SiteOriginRow(site_id=site_id, origin=o) for o in normalized)
    ledger.append(
        session,
        EntryKind.access,
        f"site:{site_id}",
        {"action": "site_origins", "site_id": site_id, "origins": normalized},
    )
    session.flush()
    return get_site(session, site_id)


def _site_row(session: Session, site_id: str) -> SiteRow:
    return stored(session, SiteRow, site_id, "そのサイトは登録されていません。", "no such site.")


def get_site(session: Session, site_id: str) -> SiteView:
    row = _site_row(session, site_id)
    origins = session.execute(
        select(SiteOriginRow.origin).where(SiteOriginRow.site_id == site_id).order_by(SiteOriginRow.origin)
    ).scalars()
    keys = session.execute(
        select(SiteKeyRow).where(SiteKeyRow.site_id == site_id).order_by(SiteKeyRow.created_at)
    ).scalars()
    return SiteView(
        site_id=row.site_id,
        name=row.name,
        origins=tuple(origins),
        privacy_center_url=row.privacy_center_url,
        keys=tuple(KeyView(k.key_id, k.algorithm, k.created_at, k.retires_at) for k in keys),
        disabled=row.disabled_at is not None,
    )


def list_sites(session: Session) -> list[SiteView]:
    ids = session.execute(select(SiteRow.site_id).order_by(SiteRow.site_id)).scalars().all()
    return [get_site(session, i) for i in ids]


def origin_registered(session: Session, origin: str) -> bool:
    """Is this origin allowed for some active site? (CORS preflights carry no token.)"""
    return session.connection().execute(_ORIGIN_REGISTERED, {"origin": origin}).first() is not None


# The checks every embed call makes, built once and run on the connection: an ORM `get` per
# check cost more than the query (issue 15). Rows are read afresh each time, never cached.
_ORIGIN = SiteOriginRow.__table__.c
_KEY, _SITE = SiteKeyRow.__table__.c, SiteRow.__table__.c
_ORIGIN_ALLOWED = (
    select(_SITE.privacy_center_url)
    .select_from(SiteOriginRow.__table__)
    .join(SiteRow.__table__, _SITE.site_id == _ORIGIN.site_id)
    .where(
        _ORIGIN.site_id == bindparam("site_id"),
        _ORIGIN.origin == bindparam("origin"),
        _SITE.disabled_at.is_(None),
    )
)
_SITE_KEY = (
    select(
        _KEY.key_id,
        _KEY.site_id,
        _KEY.algorithm,
        _KEY.material,
        _KEY.retires_at,
        _SITE.site_id.label("site_found"),
        _SITE.disabled_at,
    )
    .select_from(SiteKeyRow.__table__.outerjoin(SiteRow.__table__, _SITE.site_id == _KEY.site_id))
    .where(_KEY.key_id == bindparam("kid"))
)
_ORIGIN_REGISTERED = (
    select(_ORIGIN.site_id)
    .join(SiteRow.__table__, _SITE.site_id == _ORIGIN.site_id)
    .where(_ORIGIN.origin == bindparam("origin"), _SITE.disabled_at.is_(None))
    .limit(1)
)
_USED = UsedTokenRow.__table__.c
_SPENT = select(_USED.jti_hash).where(_USED.jti_hash == bindparam("digest"))
_USED_TOKENS: Table = UsedTokenRow.__table__  # type: ignore[assignment]
_EXPIRED = delete(_USED_TOKENS).where(_USED.expires_at < bindparam("before"))
_SPEND = insert(_USED_TOKENS)
_SUBJECT = SubjectRow.__table__.c
_SUBJECT_KNOWN = select(_SUBJECT.subject_id).where(_SUBJECT.subject_id == bindparam("subject_id"))


def origin_allowed(session: Session, site_id: str, origin: str) -> bool:
    """Is this origin registered for this site, and the site active? What a call passing it
    shows is also what a CORS check (`origin_registered`) would allow (`hogo.http.embed_cors`)."""
    return allowed_site_url(session, site_id, origin) is not None


def allowed_site_url(session: Session, site_id: str, origin: str) -> str | None:
    """`origin_allowed` answered with the site's privacy center address (None: not allowed), read
    by the same statement: the notice needs both, and a statement of its own cost a round trip."""
    found = session.connection().execute(_ORIGIN_ALLOWED, {"site_id": site_id, "origin": origin}).first()
    return None if found is None else str(found[0])


def _refuse(reason: str, site: str = "?", kid: str = "?") -> TokenRefused:
    log.warning("member token refused: %s (site %s, key %s)", reason, cut(site), cut(kid))
    return TokenRefused()


class _SiteKey(NamedTuple):
    key_id: str
    site_id: str
    algorithm: str


def _verification_key(session: Session, kid: str, secret_key: str, now: datetime) -> tuple[_SiteKey, Any]:
    found = session.connection().execute(_SITE_KEY, {"kid": kid}).first()
    if found is None:
        raise _refuse("unknown_key", kid=kid)
    row = _SiteKey(found.key_id, found.site_id, found.algorithm)
    if found.site_found is None or found.disabled_at is not None:
        raise _refuse("site_disabled", row.site_id, kid)
    if found.retires_at is not None and found.retires_at <= now:
        raise _refuse("key_retired", row.site_id, kid)
    key = found.material if row.algorithm == "EdDSA" else _unseal(secret_key, kid, found.material)
    return row, key


def _claims(token: str, key: Any, row: _SiteKey, audience: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt_codec.decode(
            token,
            key,
            algorithms=[row.algorithm],
            audience=audience,
            issuer=row.site_id,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise _refuse("expired", row.site_id, row.key_id) from None
    except jwt.InvalidTokenError as exc:
        raise _refuse(f"invalid:{type(exc).__name__}", row.site_id, row.key_id) from None
    return claims


def verify_member_token(
    session: Session, token: str, audience: str, *, secret_key: str, now: datetime | None = None
) -> MemberToken:
    """Check a site's token for a member and spend it: signature, audience, issuer, lifetime,
    a known subject, and a `jti` never seen before (kept until the token's expiry)."""
    member = check_member_token(session, token, audience, secret_key=secret_key, now=now)
    spend_token_id(session, member.site_id, audience, member.jti, member.expires_at)
    return member


def check_member_token(
    session: Session,
    token: str,
    audience: str,
    *,
    secret_key: str,
    now: datetime | None = None,
    check_subject: bool = True,
) -> MemberToken:
    """Everything `verify_member_token` checks, read-only: a token already spent is refused, but
    this one is not spent; the caller spends it (`spend_token_id`) in the transaction that acts
    on it, where a concurrent second use is still refused. Without `check_subject` the caller
    reads the person next and refuses an unknown one with `unknown_subject` (the notice reads
    their history anyway: checking first was a second read of the same row)."""
    now = now or datetime.now(UTC)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise _refuse("malformed") from None
    kid = header.get("kid")
    if not isinstance(kid, str) or header.get("alg") not in ALGORITHMS:
        raise _refuse("no_kid_or_algorithm")
    row, key = _verification_key(session, kid, secret_key, now)
    claims = _claims(token, key, row, audience)
    issued = datetime.fromtimestamp(claims["iat"], UTC)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    if expires - issued > MAX_TOKEN_LIFETIME or expires > now + MAX_TOKEN_LIFETIME + LEEWAY:
        raise _refuse("lifetime_too_long", row.site_id, kid)
    subject, jti = claims["sub"], claims["jti"]
    if (
        not isinstance(subject, str)
        or not is_record_id(subject)
        or not isinstance(jti, str)
        or not 8 <= len(jti) <= 128
    ):
        raise _refuse("bad_claims", row.site_id, kid)
    refuse_spent(session, row.site_id, audience, jti)
    conn = session.connection()
    if check_subject and conn.execute(_SUBJECT_KNOWN, {"subject_id": subject}).first() is None:
        raise _refuse("unknown_subject", row.site_id, kid)
    return MemberToken(site_id=row.site_id, subject_id=subject, jti=jti, expires_at=expires, key_id=kid)


def unknown_subject(member: MemberToken) -> TokenRefused:
    """The refusal of a token whose person is not registered (the caller of `check_member_token`
    with `check_subject=False` found no such person)."""
    return _refuse("unknown_subject", member.site_id, member.key_id)


def _token_digest(issuer: str, audience: str, jti: str) -> str:
    return hashlib.sha256(f"{issuer}\x1f{audience}\x1f{jti}".encode()).hexdigest()


def refuse_spent(session: Session, issuer: str, audience: str, jti: str) -> None:
    """Refuse a token id already spent, without spending it: the early check of a use whose
    spend is recorded later, in the transaction that acts on it (`spend_token_id` there still
    refuses a concurrent second use)."""
    if session.connection().execute(_SPENT, {"digest": _token_digest(issuer, audience, jti)}).first():
        raise _refuse("replayed", issuer)


@dataclass(frozen=True)
class TokenId:
    """A token's id as spent: who issued it, for which use, and until when it would be valid."""

    issuer: str
    audience: str
    jti: str
    expires: datetime


def spend_token_id(session: Session, issuer: str, audience: str, jti: str, expires: datetime) -> None:
    """Record a token id as used; a second use is refused (a replay). Expired records go."""
    spend_token_ids(session, [TokenId(issuer, audience, jti, expires)])


def spend_token_ids(session: Session, tokens: Sequence[TokenId]) -> None:
    """Record token ids as used, all or none (a batch of the notice's choices spends its tickets
    at once): if one was used before, or appears twice, the batch is refused as a replay.

    The insert itself refuses a used id (the table's key). Why: a look-up before every insert
    was a statement per spend for the rare replay. The refusal names the site when one token
    was spent; a batch's refusal names none (the group commit then spends each alone, and
    that refusal names it): after the failed insert PostgreSQL answers nothing more in the
    transaction."""
    digests = {_token_digest(t.issuer, t.audience, t.jti): t for t in tokens}
    conn = session.connection()
    conn.execute(_EXPIRED, {"before": datetime.now(UTC) - LEEWAY})
    if len(digests) < len(tokens):
        raise _refuse("replayed", tokens[0].issuer)
    rows = [{"jti_hash": d, "expires_at": t.expires + LEEWAY} for d, t in digests.items()]
    try:
        with savepoint(session):  # used before, or by a concurrent spend that won the race
            conn.execute(_SPEND, rows)
    except IntegrityError:
        raise _refuse("replayed", tokens[0].issuer if len(tokens) == 1 else "?") from None
