"""Who am I (for clients checking their token), health, and the GPC support declaration."""

from __future__ import annotations

from fastapi import APIRouter

from hogo.api.problems import responses
from hogo.api.schemas import GpcOut, MeOut
from hogo.auth.roles import ROLE_PERMISSIONS
from hogo.http.deps import CurrentPrincipal, SessionDep, SettingsDep
from hogo.services import database

router = APIRouter(tags=["meta"])
public = APIRouter(tags=["meta"])


@router.get("/me", operation_id="getCurrentCaller", response_model=MeOut, responses=responses())
def me(principal: CurrentPrincipal) -> MeOut:
    """このトークンの名前と役割 / the caller's name and role."""
    return MeOut(
        kind="token" if principal.kind == "token" else "user",
        name=principal.name,
        role=principal.role.value,
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[principal.role]),
    )


@public.get("/healthz", operation_id="getHealth", include_in_schema=False)
def health(session: SessionDep) -> dict[str, str]:
    database.ping(session)
    return {"status": "ok"}


@public.get(
    "/.well-known/gpc.json",
    operation_id="getGpcSupport",
    response_model=GpcOut,
    responses={500: responses(authenticated=False)[500]},
)
def gpc(settings: SettingsDep) -> GpcOut:
    """Global Privacy Control への対応宣言 / this site honours GPC."""
    return GpcOut(gpc=True, lastUpdate=settings.gpc_last_update)
