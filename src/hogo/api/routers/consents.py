"""Consent events: capture (idempotent, honouring Sec-GPC), withdraw, list, check, receipt."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from hogo.api.idempotent import IdempotencyKey, fingerprint, once_per_key, recorded_answer
from hogo.api.problems import responses
from hogo.api.schemas import (
    ConsentCaptureIn,
    ConsentCaptureOut,
    ConsentEventListOut,
    ConsentEventOut,
    DecisionOut,
    Instant,
    ReceiptOut,
    WithdrawalIn,
)
from hogo.auth.roles import Permission
from hogo.domain.clock import JST
from hogo.domain.consent import ConsentAction
from hogo.domain.ids import Identifier, RecordId
from hogo.domain.receipts import build_receipt
from hogo.errors import NotFound
from hogo.http.deps import (
    DbDep,
    QueuedRecorder,
    Reader,
    Recorder,
    SessionDep,
    SettingsDep,
    await_commit,
    policy_cache,
    run_db,
)
from hogo.services import capture as capture_svc
from hogo.services import consent as consent_svc
from hogo.services import ledger, ledger_tree
from hogo.services.auth import Principal
from hogo.services.capture import Captured, CaptureDetails, CaptureRequest, Choice, Once, capture
from hogo.services.histories import history
from hogo.services.policy import require_policy
from hogo.services.subjects import get_subject

router = APIRouter(prefix="/consents", tags=["consents"])

GpcHeader = Annotated[
    str | None,
    Header(
        alias="Sec-GPC",
        max_length=8,
        description="Global Privacy Control: 1 で第三者提供・広告への停止を記録",
    ),
]
_NAMESPACE = uuid.UUID("5f0c1d2e-8a57-4e0b-9a7c-3b8e0f6d4c21")


def _event_ids(principal: Principal, key: str | None) -> Callable[[int], str]:
    if key is None:
        return lambda _i: str(uuid.uuid4())
    return lambda i: str(uuid.uuid5(_NAMESPACE, f"{principal.key}\x1f{key}\x1f{i}"))


#: Capture and withdrawal answer alike: the events recorded (201), or 404/409.
_RECORDS_EVENTS: dict[str, Any] = {
    "response_model": ConsentCaptureOut,
    "status_code": 201,
    "responses": responses(404, 409),
}


def _captured_out(personal: bool, done: Captured) -> str:
    return ConsentCaptureOut(
        events=[ConsentEventOut.of(e, personal) for e in done.events],
        recorded=done.result.recorded,
        already_present=done.result.already_present,
        gpc_objections=list(done.gpc_purposes),
    ).model_dump_json()


@router.post("", operation_id="captureConsent", **_RECORDS_EVENTS)
async def capture_consent(
    request: Request,
    body: ConsentCaptureIn,
    db: DbDep,
    principal: QueuedRecorder,
    idempotency_key: IdempotencyKey = None,
    sec_gpc: GpcHeader = None,
) -> Response:
    """本人の同意・拒否・撤回・停止の求めを記録します(Sec-GPC: 1 は第三者提供・広告への停止の求め)。"""
    gpc = (sec_gpc or "").strip() == "1"
    details = CaptureDetails(
        **body.model_dump(exclude={"choices", "collected_at"}),
        collected_at=body.collected_at or datetime.now(JST),
    )
    once = (
        Once(principal.key, idempotency_key, fingerprint("capture", body, gpc=gpc))
        if idempotency_key is not None
        else None
    )
    # Checked against the cached policy in a read transaction, then recorded with other requests'
    # captures in one write transaction (services.group_commit); answered once that has committed.
    capture_request = CaptureRequest(
        details,
        [Choice(c.purpose_id, c.action) for c in body.choices],
        gpc,
        _event_ids(principal, idempotency_key),
        once,
        partial(_captured_out, principal.can(Permission.personal_data)),
    )
    pending = await run_db(
        request,
        partial(
            capture_svc.submit,
            db,
            request.app.state.capture_queue,
            capture_request,
            policies=policy_cache(request),
        ),
    )
    answer = await await_commit(request, pending)
    return recorded_answer(answer.body, replayed=answer.replayed)


@router.post("/withdrawals", operation_id="withdrawConsent", **_RECORDS_EVENTS)
def withdraw_consent(
    request: Request,
    body: WithdrawalIn,
    session: SessionDep,
    principal: Recorder,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """同意の撤回を記録します(撤回時点以降、同意に基づく利用・提供はできません)。"""
    policies = policy_cache(request)
    details = CaptureDetails(
        subject_id=body.subject_id,
        collected_at=body.collected_at or datetime.now(JST),
        method=body.method,
    )
    personal = principal.can(Permission.personal_data)

    def act() -> ConsentCaptureOut:
        done = capture(
            session, details, [Choice(body.purpose_id, ConsentAction.withdraw)], False,
            _event_ids(principal, idempotency_key), policies=policies,
        )  # fmt: skip
        return ConsentCaptureOut(
            events=[ConsentEventOut.of(e, personal) for e in done.events],
            recorded=done.result.recorded,
            already_present=done.result.already_present,
            gpc_objections=[],
        )

    return once_per_key(session, principal, idempotency_key, fingerprint("withdraw", body, gpc=False), act)


@router.get(
    "", operation_id="listConsentEvents", response_model=ConsentEventListOut, responses=responses(404)
)
def list_consent_events(
    session: SessionDep,
    principal: Reader,
    subject_id: Annotated[RecordId, Query()],
    purpose_id: Annotated[Identifier | None, Query()] = None,
) -> ConsentEventListOut:
    """本人の同意事象(取得日時順)/ a person's consent events in time order."""
    events = [
        e for e in history(session, subject_id).events if purpose_id is None or e.purpose_id == purpose_id
    ]
    return ConsentEventListOut(
        items=[ConsentEventOut.of(e, principal.can(Permission.personal_data)) for e in events]
    )


@router.get("/check", operation_id="checkConsent", response_model=DecisionOut, responses=responses(404))
async def check_consent(
    request: Request,
    session: SessionDep,
    _: Reader,
    subject_id: Annotated[RecordId, Query()],
    purpose_id: Annotated[Identifier, Query()],
    recipient_id: Annotated[Identifier | None, Query()] = None,
    at: Annotated[Instant | None, Query(description="判定時点(省略時は現在、2000–2099年)")] = None,
) -> DecisionOut:
    """この本人のデータをこの目的で利用・提供してよいか(根拠条文つき)/ may we, and why."""
    when = at or datetime.now(JST)
    decision = await run_db(
        request, partial(consent_svc.check, policies=policy_cache(request)),
        session, subject_id, purpose_id, when, recipient_id,
    )  # fmt: skip
    return DecisionOut.of(decision)


@router.get(
    "/{event_id}/receipt",
    operation_id="getConsentReceipt",
    response_model=ReceiptOut,
    responses=responses(404),
)
def get_receipt(
    event_id: Annotated[RecordId, Path()],
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    principal: Reader,
) -> ReceiptOut:
    """同意の記録証(ISO/IEC TS 27560、台帳ハッシュ付き)/ consent receipt with the ledger hash.

    法定代理人等の氏名・続柄と証跡は personal_data 権限のある役割にのみ返し、他の役割には
    null と有無(`guardian_present`、`evidence_present`)を返します。署名鍵が設定されていれば
    `ledger.proof` に記録の包含証明と署名付きツリーヘッドを含めます(docs/ledger.md)。
    """
    policy = require_policy(session)
    event, seq = consent_svc.get_event(session, event_id)
    subject = get_subject(session, event.subject_id)
    entry = ledger.entry(session, seq)
    if entry is None:
        raise NotFound("台帳に記録がありません。", "the ledger entry is missing.")
    personal = principal.can(Permission.personal_data)
    proof = ledger_tree.receipt_proof(db, seq, settings.ledger_signing_key_file, full=personal)
    return ReceiptOut.model_validate(
        build_receipt(policy, subject, event, seq, entry.hash, personal=personal, proof=proof)
    )
