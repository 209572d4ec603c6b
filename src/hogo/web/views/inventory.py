"""The personal-information inventory (個人情報管理台帳): every dataset, what it holds and where."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.domain.inventory import Dataset
from hogo.http.deps import SessionDep
from hogo.services import inventory as service
from hogo.services.policy import current_policy
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()


@dataclass(frozen=True)
class DatasetLine:
    dataset: Dataset
    location: str
    categories: tuple[str, ...]  # titles from the policy
    encryption: str


@dataclass(frozen=True)
class InventoryPage:
    lines: tuple[DatasetLine, ...]


def category_titles(session: SessionDep) -> dict[str, str]:
    policy = current_policy(session)
    return {c.id: c.title or c.id for c in policy.data_categories} if policy is not None else {}


def line_of(d: Dataset, titles: dict[str, str], lang: str) -> DatasetLine:
    return DatasetLine(
        dataset=d,
        location=f"{d.location_kind.text(lang)} {d.location}".strip(),
        categories=tuple(titles.get(c, c) for c in d.data_categories),
        encryption=d.encryption.text(lang),
    )


@router.get("/inventory", include_in_schema=False)
def inventory_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    lang = language(request)
    titles = category_titles(session)
    lines = tuple(line_of(d, titles, lang) for d in service.load_inventory(session).datasets)
    return render(request, "inventory.html", InventoryPage(lines), user)
