"""Re-consent campaigns: create one (targets frozen, count and digest in the ledger), read its
conversion. Creating needs the personal-data permission: it fixes a list of persons."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from hogo.api.problems import responses
from hogo.api.schemas import Instant
from hogo.auth.roles import Permission
from hogo.domain.ids import Identifier
from hogo.http.deps import Reader, SessionDep, require
from hogo.services import campaigns
from hogo.services.auth import Principal

router = APIRouter(prefix="/campaigns", tags=["campaigns"])
Officer = Annotated[Principal, Depends(require(Permission.personal_data))]
CampaignId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class CampaignIn(BaseModel):
    campaign_id: Identifier
    title: str = Field(min_length=1, max_length=200)
    purposes: list[Identifier] = Field(min_length=1, max_length=50)
    at: Instant | None = Field(default=None, description="対象者を選ぶ時点(省略時は現在)")
    site_id: Identifier | None = None


class ConversionPointOut(BaseModel):
    at: datetime
    granted: int
    declined: int
    dismissed: int
    seen: int
    not_seen: int


@dataclass(frozen=True)
class CampaignDetailOut(campaigns.CampaignView):
    """The service's view as it is (no field copied here), with its conversion over time."""

    conversion: list[ConversionPointOut]


@router.post(
    "",
    operation_id="createCampaign",
    response_model=campaigns.CampaignView,
    status_code=201,
    responses=responses(404, 409),
)
def create_campaign(body: CampaignIn, session: SessionDep, _: Officer) -> campaigns.CampaignView:
    """対象者を確定してキャンペーンを作成します(件数とSHA-256を台帳に記録)。"""
    spec = campaigns.CampaignSpec(
        body.campaign_id,
        body.title,
        tuple(body.purposes),
        body.at or datetime.now().astimezone(),
        body.site_id,
    )
    return campaigns.create(session, spec)


@router.get(
    "", operation_id="listCampaigns", response_model=list[campaigns.CampaignView], responses=responses()
)
def list_campaigns(session: SessionDep, _: Reader) -> list[campaigns.CampaignView]:
    """キャンペーンの一覧。"""
    return campaigns.list_campaigns(session)


@router.get(
    "/{campaign_id}", operation_id="getCampaign", response_model=CampaignDetailOut, responses=responses(404)
)
def get_campaign(campaign_id: CampaignId, session: SessionDep, _: Reader) -> CampaignDetailOut:
    """キャンペーンと回答の推移(未回答は同意として数えません)。"""
    view = campaigns.get(session, campaign_id)
    points = [ConversionPointOut(at=p.at, **p.counts) for p in campaigns.conversion(session, campaign_id)]
    return CampaignDetailOut(**asdict(view), conversion=points)
