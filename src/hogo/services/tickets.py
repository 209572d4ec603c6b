"""Tickets: short-lived, single-use JWTs that hogo signs for itself.

The consent notice hands one to the page to bind the choices to what was shown; the privacy
center's API mints one as a link for a person. A ticket is HS256 under a key derived from
HOGO_SECRET_KEY, names its audience (so one minted for one use cannot be spent on another), and
is spent on use: its `jti` goes into the same used-token table as member sites' tokens
(`services.sites.spend_token_id`). Member sites' own tokens are verified by
`services.sites.verify_member_token`, never here.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from hogo.services import jwt_codec, sites

log = logging.getLogger(__name__)

ISSUER = "hogo"


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    # The derivation's label predates the privacy center's links; the audience keeps uses apart.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hogo notice tickets/1").derive(
        secret_key.encode("utf-8")
    )


def issue(
    audience: str,
    subject_id: str,
    claims: dict[str, Any],
    *,
    lifetime: timedelta,
    secret_key: str,
    now: datetime,
) -> tuple[str, datetime]:
    """A ticket for `subject_id` and `audience` carrying `claims`, and when it expires."""
    expires = now + lifetime
    body = {
        **claims,
        "iss": ISSUER,
        "aud": audience,
        "sub": subject_id,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt_codec.encode(body, _key(secret_key), algorithm="HS256"), expires


@dataclass(frozen=True)
class Ticket:
    """A verified ticket's claims, for its audience; spent only by `spend`."""

    audience: str
    claims: dict[str, Any]


def verify(session: Session, ticket: str, audience: str, *, secret_key: str) -> Ticket:
    """Verify a ticket for `audience` without spending it; a forged, expired or already spent one
    is refused with the one message (`sites.TokenRefused`), the reason logged without the ticket.
    The caller spends it (`spend`) in the transaction that acts on it."""
    try:
        claims: dict[str, Any] = jwt_codec.decode(
            ticket,
            _key(secret_key),
            algorithms=["HS256"],
            audience=audience,
            issuer=ISSUER,
            leeway=sites.LEEWAY,
            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
        )
    except jwt.InvalidTokenError as exc:
        log.warning("ticket refused (%s): %s", audience, type(exc).__name__)
        raise sites.TokenRefused() from None
    sites.refuse_spent(session, ISSUER, audience, claims["jti"])
    return Ticket(audience, claims)


def spend(session: Session, verified: Sequence[Ticket]) -> None:
    """Spend verified tickets, all or none: a second use, even a concurrent one, is refused."""
    sites.spend_token_ids(
        session,
        [
            sites.TokenId(ISSUER, t.audience, t.claims["jti"], datetime.fromtimestamp(t.claims["exp"], UTC))
            for t in verified
        ],
    )


def redeem(session: Session, ticket: str, audience: str, *, secret_key: str) -> dict[str, Any]:
    """Verify a ticket for `audience` and spend it (`verify`, then `spend`)."""
    verified = verify(session, ticket, audience, secret_key=secret_key)
    spend(session, [verified])
    return verified.claims
