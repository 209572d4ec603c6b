"""POSTs that record something run once per Idempotency-Key: a retry gets the stored answer.

Why one place: every recording endpoint must treat a retried request the same way (replay with
`Idempotent-Replayed: true`, a different body under the same key is a 409 from the service).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hogo.services import idempotency
from hogo.services.auth import Principal

#: A client's key for a retried POST: the same key records once (see `hogo.services.idempotency`).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="同じキーの再送は二重に記録しません / retries with the same key record once",
    ),
]


def fingerprint(kind: str, body: BaseModel, **extra: object) -> str:
    """What a key is bound to: the operation, the request body and anything else that shapes it."""
    doc = {"kind": kind, "body": body.model_dump(mode="json"), **extra}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def once_per_key(
    session: Session, principal: Principal, key: str | None, bound_to: str, act: Callable[[], BaseModel]
) -> Response:
    """Run `act` once per key: a replay returns the stored answer, a different body is a 409."""
    if key is not None:
        stored = idempotency.replay(session, principal.key, key, bound_to)
        if stored is not None:
            return Response(
                stored.body,
                stored.status_code,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
    body = act().model_dump_json()
    if key is not None:
        body = idempotency.remember(session, principal.key, key, bound_to, 201, body).body
    return Response(body, 201, media_type="application/json")
