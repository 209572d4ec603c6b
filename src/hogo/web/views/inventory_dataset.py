"""One dataset of the 管理台帳 and its version history, as the ledger holds it (oldest first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from hogo.http.deps import SessionDep
from hogo.services import inventory as service
from hogo.services.inventory import DatasetVersion
from hogo.web.render import language, render
from hogo.web.session import Viewer
from hogo.web.views.inventory import DatasetLine, category_titles, line_of

router = APIRouter()


@dataclass(frozen=True)
class VersionLine:
    version: DatasetVersion
    changed: tuple[str, ...]  # fields that differ from the previous saved version


@dataclass(frozen=True)
class DatasetPage:
    line: DatasetLine
    versions: tuple[VersionLine, ...]


def _changes(versions: list[DatasetVersion]) -> tuple[VersionLine, ...]:
    lines: list[VersionLine] = []
    previous: dict[str, object] | None = None
    for v in versions:
        if v.dataset is None:
            lines.append(VersionLine(v, ()))
            continue
        current = v.dataset.model_dump(mode="json")
        changed = () if previous is None else tuple(k for k in current if current[k] != previous.get(k))
        lines.append(VersionLine(v, changed))
        previous = current
    return tuple(reversed(lines))


@router.get("/inventory/{dataset_id}", include_in_schema=False)
def dataset_page(
    request: Request,
    dataset_id: Annotated[str, Path(min_length=1, max_length=64)],
    session: SessionDep,
    user: Viewer,
) -> Response:
    dataset, versions = service.history(session, dataset_id)
    line = line_of(dataset, category_titles(session), language(request))
    return render(request, "inventory_dataset.html", DatasetPage(line, _changes(versions)), user)
