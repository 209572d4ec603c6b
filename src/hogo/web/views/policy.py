"""Purposes of use and terms versions, each revision's diff, and who lacks consent for additions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.domain.policy import Organization, Purpose
from hogo.http.deps import DbDep, SessionDep
from hogo.services import ledger
from hogo.services.coverage import terms_revisions
from hogo.services.policy import require_policy
from hogo.web.render import render
from hogo.web.session import Viewer
from hogo.web.views.dashboard import overview_cache
from hogo.web.views.gap import GapRow, gap_rows

router = APIRouter()


@dataclass(frozen=True)
class PurposeRow:
    purpose: Purpose
    recipient_names: tuple[str, ...]
    category_titles: tuple[str, ...]


@dataclass(frozen=True)
class RevisionRow:
    version: str
    effective_from: date
    purposes: tuple[str, ...]
    added: tuple[GapRow, ...]  # the purposes this version added, each with its gap figure
    removed: tuple[str, ...]
    first: bool


@dataclass(frozen=True)
class PolicyPage:
    organization: Organization
    purposes: tuple[PurposeRow, ...]
    revisions: tuple[RevisionRow, ...]
    #: Purpose ids to titles, for the revisions' lists (people read titles, not ids).
    titles: dict[str, str]


@router.get("/policy", include_in_schema=False)
def policy_page(request: Request, session: SessionDep, db: DbDep, user: Viewer) -> Response:
    policy = require_policy(session)
    data = overview_cache(request).get(db, policy, ledger.head(session).seq)
    rows = tuple(
        PurposeRow(
            p,
            tuple(r.name for rid in p.recipients if (r := policy.recipient(rid)) is not None),
            tuple(c.title or c.id for cid in p.data_categories if (c := policy.category(cid)) is not None),
        )
        for p in policy.purposes
    )
    revisions = tuple(
        RevisionRow(
            r.version,
            r.effective_from,
            r.purposes,
            gap_rows(policy, r, data.lacking, data.at),
            r.removed,
            i == 0,
        )
        for i, r in enumerate(terms_revisions(policy))
    )
    return render(
        request,
        "policy.html",
        PolicyPage(policy.organization, rows, revisions, {p.id: p.title for p in policy.purposes}),
        user,
    )
