"""Member sites and the tokens their servers mint, for the consent notice's tests."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from sqlalchemy import Engine

from hogo.services import sites
from hogo.services.notice import NOTICE_AUDIENCE
from hogo.store.database import write_scope
from tests.api.env import SECRET


def register_site(
    engine: Engine, site_id: str, origins: list[str], public_key_pem: str | None = None
) -> sites.NewKey:
    with write_scope(engine) as session:
        _, key = sites.add_site(
            session,
            site_id,
            f"{site_id} 会員サイト",
            origins,
            secret_key=SECRET,
            public_key_pem=public_key_pem,
            privacy_center_url="https://example.jp/privacy",
        )
    return key


def member_token(
    key: sites.NewKey, site_id: str, subject_id: str, *, signing_key: Any = None, **claims: Any
) -> str:
    """What the member site's server does: a JWT for the logged-in member, valid for 5 minutes."""
    now = int(time.time())
    body = {
        "iss": site_id,
        "sub": subject_id,
        "aud": NOTICE_AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        **claims,
    }
    secret = signing_key if signing_key is not None else key.secret
    return jwt.encode(body, secret, algorithm=key.algorithm, headers={"kid": key.key_id})
