"""The members behind a gap figure: who accepted terms that do not cover a purpose added later.

The dashboard and the terms page count them; this page lists them (paged, searchable by id
prefix) and exports them as CSV for a mail campaign. The figure and its list are read as of the
same time (`at`, carried in the link), so the list has exactly as many persons as the figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response, StreamingResponse

from hogo.auth.roles import Permission
from hogo.domain.clock import JST, parse_instant
from hogo.domain.policy import Policy
from hogo.errors import InputError
from hogo.files.people_csv import people_csv_stream
from hogo.http.deps import DbDep, Forbidden, SessionDep
from hogo.services.coverage import TermsRevision, lacking_contacts, lacking_ids, subjects_by_id
from hogo.services.policy import require_policy
from hogo.web.render import render
from hogo.web.session import Viewer
from hogo.web.views.subjects import PAGE_SIZE, SubjectsPage

router = APIRouter()
PURPOSE_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
AtQuery = Annotated[str, Query(max_length=40)]


@dataclass(frozen=True)
class GapPage:
    purpose_id: str
    title: str
    at: datetime
    total: int  # persons matching the search (all of the gap when there is no search)
    members: SubjectsPage
    can_export: bool

    @property
    def export_link(self) -> str:
        return f"/gap/{self.purpose_id}/members.csv?{urlencode(self.members.params)}"


@dataclass(frozen=True)
class GapRow:
    """One gap figure as the dashboard and the terms page show it, with the link to its members."""

    purpose_id: str
    title: str
    added_in: str
    members: int
    link: str


def gap_rows(
    policy: Policy, revision: TermsRevision, lacking: Mapping[str, int], at: datetime
) -> tuple[GapRow, ...]:
    """The figures for the purposes `revision` added, counted at `at` (`lacking`: per purpose)."""
    return tuple(
        GapRow(
            pid,
            p.title if (p := policy.purpose(pid)) else pid,
            revision.version,
            lacking.get(pid, 0),
            SubjectsPage("", (), True, path=f"/gap/{pid}", params=(("at", at.isoformat()),)).link(1),
        )
        for pid in revision.added
    )


def _at(text: str) -> datetime:
    if not text:
        return datetime.now(JST)
    try:
        return parse_instant(text)
    except ValueError:
        raise InputError("日時の形式が正しくありません(at)。", "at: not a valid date-time.") from None


@router.get("/gap/{purpose_id}", include_in_schema=False)
def gap_page(
    request: Request,
    session: SessionDep,
    user: Viewer,
    purpose_id: str = PURPOSE_ID,
    at: AtQuery = "",
    q: Annotated[str, Query(max_length=128)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    policy = require_policy(session)
    when = _at(at)
    start = (page_no - 1) * PAGE_SIZE
    shown: list[str] = []
    total = 0
    # One pass over the gap: count it and keep one page (and one more to know another follows).
    for total, subject_id in enumerate(lacking_ids(session, policy, purpose_id, when, q), start=1):
        if start < total <= start + PAGE_SIZE + 1:
            shown.append(subject_id)
    members = SubjectsPage(
        q,
        tuple(subjects_by_id(session, shown[:PAGE_SIZE])),
        True,
        personal=user.can(Permission.personal_data),
        page=page_no,
        more=len(shown) > PAGE_SIZE,
        path=f"/gap/{purpose_id}",
        params=(("at", when.isoformat()),),
    )
    purpose = policy.purpose(purpose_id)
    title = purpose.title if purpose else purpose_id
    page = GapPage(purpose_id, title, when, total, members, members.personal)
    return render(request, "gap.html", page, user)


@router.get("/gap/{purpose_id}/members.csv", include_in_schema=False)
def gap_members_csv(
    session: SessionDep, db: DbDep, user: Viewer, purpose_id: str = PURPOSE_ID, at: AtQuery = ""
) -> Response:
    if not user.can(Permission.personal_data):
        raise Forbidden()
    policy = require_policy(session)
    return StreamingResponse(
        people_csv_stream(
            ("subject_id", "email", "phone"), lacking_contacts(db, policy, purpose_id, _at(at))
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gap-{purpose_id}-members.csv"'},
    )
