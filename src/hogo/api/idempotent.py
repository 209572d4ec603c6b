"""POSTs that record something run once per Idempotency-Key: a retry gets the stored answer.

Why one place: every recording endpoint must treat a retried request the same way (replay with
`Idempotent-Replayed: true`, a different body under the same key is a 409 from the service).
A capture recorded through a group commit (`POST /api/v1/consents`) looks its key up and stores
its answer in the batch's transaction (`services.capture.record_prepared`) and answers with
`recorded_answer`, as `once_per_key` does.
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
            return recorded_answer(stored.body, replayed=True, status_code=stored.status_code)
    body = act().model_dump_json()
    if key is not None:
        body = idempotency.remember(session, principal.key, key, bound_to, 201, body).body
    return recorded_answer(body)


def recorded_answer(body: str, *, replayed: bool = False, status_code: int = 201) -> Response:
    """The answer of a recording POST: the JSON body, marked when it is a stored one replayed."""
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(body, status_code, media_type="application/json", headers=headers)
