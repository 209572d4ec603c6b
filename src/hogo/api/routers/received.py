"""Records of data received from third parties (法30条, 第三者提供を受ける際の確認・記録).

Recording needs `record_consent` (operators, privacy officers, admins — never the read-only
auditor); reading needs `read`. The persons are given as subject ids and stored beside the record;
answers carry only their number and digest, never the ids. Retries with the same Idempotency-Key
record once, as for consents.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response

from hogo.api.idempotent import IdempotencyKey, fingerprint, once_per_key
from hogo.api.problems import responses
from hogo.api.schemas.received import ReceivedId, ReceivedIn, ReceivedListOut, ReceivedOut
from hogo.auth.roles import Permission
from hogo.domain.clock import JST
from hogo.http.deps import Reader, Recorder, SessionDep
from hogo.services import received as service
from hogo.services.auth import Principal

router = APIRouter(prefix="/provisions/received", tags=["provisions"])

ReceivedPath = Annotated[ReceivedId, Path(description="受領ID / receipt id")]
_NAMESPACE = uuid.UUID("0b9d3c6e-2f41-4a8e-b7d5-6c1e9a04f37b")


def _received_id(body: ReceivedIn, principal: Principal, key: str | None) -> str:
    """The id asked for; else one derived from the key (a retry reuses it), else a fresh one."""
    if body.received_id:
        return body.received_id
    if key is not None:
        return uuid.uuid5(_NAMESPACE, f"{principal.key}\x1f{key}").hex
    return uuid.uuid4().hex


@router.post(
    "",
    operation_id="recordReceivedProvision",
    response_model=ReceivedOut,
    status_code=201,
    responses=responses(409),
)
def record_received(
    body: ReceivedIn, session: SessionDep, principal: Recorder, idempotency_key: IdempotencyKey = None
) -> Response:
    """第三者から個人データの提供を受けたことを、法30条1項の確認事項とともに記録します。

    提供者(氏名又は名称・住所、法人は代表者)と取得の経緯を確認し、オプトアウトによる提供は
    個人情報保護委員会による届出の公表の確認が必要です。確認に欠けがあれば項目名を示して何も
    記録しません。本人IDの誤りは位置(`subject_ids[3]`)で示します。
    """

    def act() -> ReceivedOut:
        persons = service.persons_from_ids(body.subject_ids)
        record = service.record_received(
            session,
            received_id=_received_id(body, principal, idempotency_key),
            provider=body.provider.domain(),
            acquisition=body.acquisition,
            received_at=body.received_at or datetime.now(JST),
            data_items=body.data_items,
            persons=persons,
            basis=body.basis,
            ppc_publication_confirmed=body.ppc_publication_confirmed,
            form=body.record_form,
            persons_field="subject_ids",
        )
        return ReceivedOut.of(record, principal.can(Permission.personal_data))

    bound_to = fingerprint("provision_received", body)
    return once_per_key(session, principal, idempotency_key, bound_to, act)


@router.get("", operation_id="listReceivedProvisions", response_model=ReceivedListOut, responses=responses())
def list_received(session: SessionDep, principal: Reader) -> ReceivedListOut:
    """第三者から提供を受けた記録の一覧(新しい順、本人は人数とダイジェストのみ)/ receipt records."""
    personal = principal.can(Permission.personal_data)
    return ReceivedListOut(items=[ReceivedOut.of(r, personal) for r in service.list_received(session)])


@router.get(
    "/{received_id}",
    operation_id="getReceivedProvision",
    response_model=ReceivedOut,
    responses=responses(404),
)
def get_received(received_id: ReceivedPath, session: SessionDep, principal: Reader) -> ReceivedOut:
    """受領の記録1件(本人は人数とダイジェストのみ)/ one receipt record."""
    return ReceivedOut.of(service.get_received(session, received_id), principal.can(Permission.personal_data))
