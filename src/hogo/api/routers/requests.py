"""Rights requests (本人からの請求, 法32条〜35条): the board, file, show, and each step of a case.

Reading needs `read`. Filing needs `record_consent` (the member site files on the person's
behalf with its token); the officer's steps — identity, decision, carrying out, answer,
extension — and the answer document, which holds the person's data, need `personal_data`.
Every write runs once per Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from hogo.api.idempotent import IdempotencyKey, fingerprint, once_per_key
from hogo.api.problems import responses
from hogo.api.schemas import Instant
from hogo.api.schemas.rights import (
    AnswerIn,
    CarryOutIn,
    DecisionIn,
    ExtendIn,
    RequestBoardOut,
    RequestFileIn,
    RequestOut,
    VerifyIn,
)
from hogo.auth.roles import Permission
from hogo.domain.clock import JST
from hogo.domain.ids import RecordId
from hogo.http.deps import Reader, Recorder, SessionDep, mail_sender, privacy_center_url, require
from hogo.reports.rights.render import MEDIA_TYPES, render_bytes
from hogo.services import rights_requests as svc
from hogo.services.auth import Principal

router = APIRouter(prefix="/requests", tags=["requests"])

Officer = Annotated[Principal, Depends(require(Permission.personal_data))]
RequestPath = Annotated[
    str, Path(min_length=1, max_length=32, description="受付番号 / request id (RR-2026-0001)")
]
_WRITE: dict[str, Any] = {"response_model": RequestOut, "status_code": 201}


def _now() -> datetime:
    return datetime.now(JST)


def _out(session: SessionDep, principal: Principal, request_id: str) -> RequestOut:
    view = svc.get(session, request_id)
    return RequestOut.of(
        view, _now(), principal.can(Permission.personal_data), svc.steps(session, request_id)
    )


@router.get("", operation_id="listRightsRequests", response_model=RequestBoardOut, responses=responses())
def list_requests(
    session: SessionDep,
    principal: Reader,
    at: Annotated[Instant | None, Query(description="この時点で表示(省略時は現在)")] = None,
    include_answered: Annotated[bool, Query(description="回答済みの請求も含める")] = False,
    subject_id: Annotated[
        RecordId | None,
        Query(description="この本人の請求だけ(回答済みを含め新しい順)/ only this person's, newest first"),
    ] = None,
) -> RequestBoardOut:
    """請求の一覧: 期限超過を先に、期限の近い順 / the board, overdue first.

    subject_id を指定すると、その本人の請求をすべて(回答済みを含め)新しい順に返します。
    会員サイトが本人に請求の状況を示すための呼び出しです / a member site shows a person theirs."""
    now = at or _now()
    personal = principal.can(Permission.personal_data)
    if subject_id is not None:
        views = svc.requests_of(session, subject_id)
    else:
        views = [line.view for line in svc.board(session, now, include_answered=include_answered)]
    return RequestBoardOut(at=now, items=[RequestOut.of(view, now, personal) for view in views])


@router.post("", operation_id="fileRightsRequest", **_WRITE, responses=responses(404, 409))
def file_request(
    body: RequestFileIn, session: SessionDep, principal: Recorder, idempotency_key: IdempotencyKey = None
) -> Response:
    """請求を受け付けます(期限はポリシーの rights_request_days 後)/ file a request."""

    def act() -> RequestOut:
        view = svc.file_request(
            session, body.subject_id, body.kind, body.details, body.verification, body.channel,
            received_at=body.received_at,
        )  # fmt: skip
        return _out(session, principal, view.request_id)

    return once_per_key(session, principal, idempotency_key, fingerprint("file_request", body), act)


@router.get(
    "/{request_id}", operation_id="getRightsRequest", response_model=RequestOut, responses=responses(404)
)
def get_request(request_id: RequestPath, session: SessionDep, principal: Reader) -> RequestOut:
    """請求の内容・段階・期限と各段階の記録(台帳の記録番号つき)/ one request with its steps.

    本人の記載と訂正後の値は personal_data 権限のある役割にのみ返します(withheld に項目名)。"""
    return _out(session, principal, request_id)


class _Step:
    """An officer's step on one case: the case, the officer, the session, and the
    Idempotency-Key under which the step runs once (bound to the step, the case and the body)."""

    def __init__(
        self,
        request_id: RequestPath,
        session: SessionDep,
        principal: Officer,
        idempotency_key: IdempotencyKey = None,
    ) -> None:
        self.request_id, self.session, self.principal = request_id, session, principal
        self.key = idempotency_key

    def once(self, kind: str, body: BaseModel, act: Callable[[], RequestOut]) -> Response:
        bound_to = fingerprint(kind, body, request_id=self.request_id)
        return once_per_key(self.session, self.principal, self.key, bound_to, act)

    def run(self, kind: str, body: BaseModel, change: Callable[[], object]) -> Response:
        """Make the change, then answer with the case as it now stands."""

        def act() -> RequestOut:
            change()
            return _out(self.session, self.principal, self.request_id)

        return self.once(kind, body, act)


Step = Annotated[_Step, Depends()]


@router.post(
    "/{request_id}/verification", operation_id="verifyRightsRequest", **_WRITE, responses=responses(404, 409)
)
def verify(body: VerifyIn, step: Step) -> Response:
    """本人確認の方法を記録します(法33条・37条、通則編3-8)。"""
    change = partial(svc.verify, step.session, step.request_id, body.level, at=body.at)
    return step.run("verify_request", body, change)


@router.post(
    "/{request_id}/decision", operation_id="decideRightsRequest", **_WRITE, responses=responses(404, 409)
)
def decide_request(body: DecisionIn, step: Step) -> Response:
    """請求どおり行う・一部を行わない・行わないを決定します(行わない場合は根拠の条文、法36条)。"""
    change = partial(svc.decide_request, step.session, step.request_id, body.decision(), at=body.at)
    return step.run("decide_request", body, change)


@router.post(
    "/{request_id}/carry-out", operation_id="carryOutRightsRequest", **_WRITE, responses=responses(404, 409)
)
def carry_out(body: CarryOutIn, step: Step) -> Response:
    """決定した内容を実施します(停止の求めの記録、訂正、消去、開示・通知の内容の作成)。
    法35条の請求では、本人のデータを提供した提供先の一覧を result.recipients に返します。"""
    change = partial(svc.carry_out, step.session, step.request_id, at=body.at, partial=body.partial())
    return step.run("carry_out_request", body, change)


@router.post(
    "/{request_id}/answer", operation_id="answerRightsRequest", **_WRITE, responses=responses(404, 409)
)
def answer(request: Request, body: AnswerIn, step: Step) -> Response:
    """本人に回答したことを記録します(法32条3項・33条3項・34条3項・35条7項)。

    本人の登録メールアドレスがあれば、回答の準備ができた旨とプライバシーセンターへの案内を
    メールで送ります(回答の内容はメールに含めません)。結果は answer_mail に返します。"""
    session, request_id = step.session, step.request_id

    def act() -> RequestOut:
        svc.answer(session, request_id, at=body.at)
        mailed = svc.notify_answered(session, request_id, mail_sender(request), privacy_center_url(request))
        return _out(session, step.principal, request_id).model_copy(update={"answer_mail": mailed})

    return step.once("answer_request", body, act)


@router.post(
    "/{request_id}/extension", operation_id="extendRightsRequest", **_WRITE, responses=responses(404, 409)
)
def extend(body: ExtendIn, step: Step) -> Response:
    """期限を延長します(理由が必要、短縮はできません)。"""
    change = partial(svc.extend, step.session, step.request_id, body.until, body.reason)
    return step.run("extend_request", body, change)


_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "回答書 / the answer"}
}


@router.get(
    "/{request_id}/answer",
    operation_id="getRightsRequestAnswer",
    response_class=Response,
    responses={**_FILE, **responses(404, 409)},
)
def answer_document(
    request_id: RequestPath,
    session: SessionDep,
    _: Officer,
    format: Annotated[Literal["html", "pdf", "json"], Query(description="html / pdf / json")] = "html",
) -> Response:
    """回答書(結果、行わない場合の理由と条文、開示の内容)。

    本人のデータを含むため personal_data 権限が必要です / needs `personal_data`."""
    document = svc.answer_of(session, request_id)
    data = render_bytes(format, document.notice, document.content, document.organization)
    filename = f"{request_id}-answer.{format}"
    return Response(
        data,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
