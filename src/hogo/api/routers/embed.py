"""The consent notice component's API: what to ask a member now, and their choices.

Called from a member site's pages (CORS for registered origins, see `hogo.http.embed_cors`),
never with cookies: the member site's short-lived token, then hogo's ticket, in `Authorization`.
Notices are limited per member site and per person (`HOGO_EMBED_RATE_PER_SITE`, `…_PER_PERSON`
a minute, counted in the store across server processes: `services.rate_limits`); the choices and
the dismissal each need a ticket that only a counted notice issues.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from hogo.api.problems import responses
from hogo.domain.consent import ConsentAction
from hogo.domain.ids import Identifier
from hogo.domain.notice import Language, Notice, user_agent_family
from hogo.http.deps import (
    SessionDep,
    SettingsDep,
    await_commit,
    get_db,
    get_settings,
    origin_verified,
    policy_cache,
    run_db,
)
from hogo.services import notice as notice_svc
from hogo.services.sites import TokenRefused

router = APIRouter(prefix="/embed", tags=["embed"])

#: Optional in the schema so that a call without it is refused as unauthenticated (401), not as
#: malformed (422): the same answer as a forged or replayed token.
BearerHeader = Annotated[
    str | None, Header(alias="Authorization", max_length=4096, description="Bearer <token>")
]
OriginHeader = Annotated[str, Header(alias="Origin", max_length=255, description="ページのオリジン")]
GpcHeader = Annotated[str | None, Header(alias="Sec-GPC", max_length=8)]
UserAgentHeader = Annotated[str, Header(alias="User-Agent", max_length=1024)]


class NoticeIn(BaseModel):
    #: The page's `navigator.globalPrivacyControl` (the Sec-GPC header counts too).
    gpc: bool = False


class NoticeOut(BaseModel):
    site_id: str
    notices: dict[Language, Notice] = Field(
        description="同じ通知の日本語版と英語版 / the notice in ja and en"
    )
    privacy_center_url: str
    ticket: str = Field(description="選択の送信に使う一回限りのチケット(Authorization: Bearer)")
    expires_at: datetime


class ChoiceIn(BaseModel):
    purpose_id: Identifier
    action: Literal["grant", "deny"]


class ChoicesIn(BaseModel):
    choices: list[ChoiceIn] = Field(min_length=1, max_length=64)
    #: The language the notice was shown in when the person chose (its digest is the evidence).
    language: Language = "ja"


class DismissedIn(BaseModel):
    """Nothing but the ticket (in Authorization) is needed."""


class ChoicesOut(BaseModel):
    recorded: int
    already_present: int
    event_ids: list[str]


def _bearer(value: str | None) -> str:
    scheme, _, token = (value or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRefused()
    return token.strip()


@router.post(
    "/notice",
    operation_id="embedNotice",
    response_model=NoticeOut,
    responses=responses(401, 403, 422, 429, authenticated=False),
)
async def notice(
    request: Request,
    body: NoticeIn,
    origin: OriginHeader,
    authorization: BearerHeader = None,
    user_agent: UserAgentHeader = "",
    sec_gpc: GpcHeader = None,
) -> NoticeOut:
    """この本人に今たずねるべき利用目的の通知(会員サイトのトークンで本人を確認し、一度だけ使用)。"""
    # Read here rather than as dependencies: each one FastAPI solves cost more per call than the
    # look-up itself (issue 15); the schema is the same (they take no parameters).
    db, settings = get_db(request), get_settings(request)
    page = notice_svc.PageContext(
        origin=origin,
        user_agent_family=user_agent_family(user_agent),
        gpc=body.gpc or sec_gpc == "1",
    )
    # Worked out in a read transaction; only spending the token, a campaign's "seen" and the
    # rate budgets take the write lock, with other requests' notices in one transaction
    # (services.notice.show_queued); answered once that has committed.
    pending = await run_db(
        request,
        partial(
            notice_svc.show_queued,
            db,
            request.app.state.notice_queue,
            _bearer(authorization),
            page,
            secret_key=settings.secret_key,
            policies=policy_cache(request),
        ),
    )
    origin_verified(request, origin)  # plan checked it against the token's site
    asked = await await_commit(request, pending)
    return NoticeOut(
        site_id=asked.site_id,
        notices=asked.notices,
        privacy_center_url=asked.privacy_center_url,
        ticket=asked.ticket,
        expires_at=asked.expires_at,
    )


@router.post(
    "/choices",
    operation_id="embedChoices",
    response_model=ChoicesOut,
    status_code=201,
    responses=responses(401, 403, 409, 422, 429, authenticated=False),
)
async def choices(
    request: Request,
    body: ChoicesIn,
    origin: OriginHeader,
    authorization: BearerHeader = None,
) -> ChoicesOut:
    """通知で本人が選んだ同意・拒否を、通知の証跡(版・SHA-256・オリジン・言語・GPC)とともに記録します。"""
    db, settings = get_db(request), get_settings(request)  # as in `notice`
    # Checked in a read transaction, then recorded with other requests' choices in one write
    # transaction (services.group_commit); answered once that has committed.
    pending = await run_db(
        request,
        partial(
            notice_svc.submit,
            db,
            request.app.state.choices_queue,
            _bearer(authorization),
            origin,
            [(c.purpose_id, ConsentAction(c.action)) for c in body.choices],
            body.language,
            secret_key=settings.secret_key,
            policies=policy_cache(request),
        ),
    )
    origin_verified(request, origin)  # prepare checked it against the ticket's site
    done = await await_commit(request, pending)
    return ChoicesOut(
        recorded=done.result.recorded,
        already_present=done.result.already_present,
        event_ids=[e.event_id for e in done.events],
    )


@router.post(
    "/dismissed",
    operation_id="embedDismissed",
    status_code=204,
    responses=responses(401, 403, 422, authenticated=False),
)
def dismissed(
    request: Request,
    body: DismissedIn,
    session: SessionDep,
    settings: SettingsDep,
    origin: OriginHeader,
    authorization: BearerHeader = None,
) -> None:
    """本人が選ばずに通知を閉じた(「後で」)ことを記録します(キャンペーンの「表示後に閉じた」)。同意にはなりません。"""
    notice_svc.dismiss(session, _bearer(authorization), origin, secret_key=settings.secret_key)
    origin_verified(request, origin)
