"""Links into the privacy center, minted for the business's member site (docs/privacy-center.md).

A member site that can sign its own tokens (`hogo site add`) sends the person straight to
`/privacy/enter?token=…`; one that would rather not hold a key asks here, with an API token
that may record consent (the link lets the person change their consent). The link is a
single-use ticket for that person that expires in 15 minutes; a retry with the same
`Idempotency-Key` gets the same link back instead of a second one.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from hogo.api.idempotent import IdempotencyKey, fingerprint, once_per_key
from hogo.api.problems import responses
from hogo.api.schemas import Out
from hogo.domain.ids import RecordId
from hogo.http.deps import Recorder, SessionDep, SettingsDep
from hogo.services import privacy_access

router = APIRouter(prefix="/privacy-center", tags=["privacy-center"])


class PrivacyLinkIn(BaseModel):
    subject_id: RecordId = Field(description="本人ID / the person's subject id")


class PrivacyLinkOut(Out):
    url: str = Field(description="本人に渡すURL(一度だけ使用可)/ the URL to give the person (single use)")
    token: str = Field(description="URL に含まれるトークン / the token in the URL")
    expires_at: datetime


@router.post(
    "/links",
    operation_id="mintPrivacyCenterLink",
    response_model=PrivacyLinkOut,
    status_code=201,
    responses=responses(404, 409),
)
def mint_link(
    request: Request,
    body: PrivacyLinkIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Recorder,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """本人をプライバシーセンターに案内する一回限りのリンク(15分間有効)を発行します。"""

    def act() -> PrivacyLinkOut:
        link = privacy_access.mint_link(session, body.subject_id, secret_key=settings.secret_key)
        url = str(request.url_for("privacy_enter_form")) + "?" + urlencode({"token": link.token})
        return PrivacyLinkOut.build(link, url=url)

    return once_per_key(session, principal, idempotency_key, fingerprint("privacy_link", body), act)
