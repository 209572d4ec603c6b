"""Finding a person, and one person's consent timeline with the decision for every purpose.

Birth dates (and the age worked out from one) are shown only to roles with the personal-data
permission; other roles see whether one is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.clock import JST, age_on
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentEvent, Subject
from hogo.domain.decision import Decision
from hogo.http.deps import SessionDep, policy_cache
from hogo.services import consent as consent_svc
from hogo.services.coverage import search_subjects
from hogo.web.render import render
from hogo.web.session import Viewer

router = APIRouter()


PAGE_SIZE = 50


@dataclass(frozen=True)
class SubjectsPage:
    query: str
    results: tuple[Subject, ...]
    searched: bool
    personal: bool = False
    page: int = 1  # 1-based; each page shows up to PAGE_SIZE persons
    more: bool = False  # another page follows (the results were cut at PAGE_SIZE)

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.results) - 1

    @property
    def page_size(self) -> int:
        return PAGE_SIZE

    path: str = "/subjects"
    params: tuple[tuple[str, str], ...] = ()  # kept on every page link (e.g. the gap's time)

    def link(self, page_no: int) -> str:
        return f"{self.path}?{urlencode([*self.params, ('q', self.query), ('page', str(page_no))])}"


@dataclass(frozen=True)
class TimelineRow:
    event: ConsentEvent
    purpose_title: str
    bundled: bool


@dataclass(frozen=True)
class DecisionRow:
    purpose_id: str
    purpose_title: str
    decision: Decision


@dataclass(frozen=True)
class SubjectPage:
    subject: Subject
    age: int | None
    at: datetime
    timeline: tuple[TimelineRow, ...]
    decisions: tuple[DecisionRow, ...]
    recorded_event: str | None
    personal: bool = False


@router.get("/subjects", include_in_schema=False)
def subjects_page(
    request: Request,
    session: SessionDep,
    user: Viewer,
    q: Annotated[str, Query(max_length=128)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    # One more than a page is read to know whether the results were cut.
    found = search_subjects(session, q, PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE) if q.strip() else []
    page = SubjectsPage(
        q,
        tuple(found[:PAGE_SIZE]),
        bool(q.strip()),
        personal=user.can(Permission.personal_data),
        page=page_no,
        more=len(found) > PAGE_SIZE,
    )
    if request.headers.get("hx-request") == "true":
        return render(request, "_subject_rows.html", page, user)
    return render(request, "subjects.html", page, user)


@router.get("/subjects/{subject_id}", include_in_schema=False)
def subject_page(
    request: Request,
    subject_id: str,
    session: SessionDep,
    user: Viewer,
    recorded: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    now = datetime.now(JST)
    answer = consent_svc.timeline(session, subject_id, now, policies=policy_cache(request))
    policy, history = answer.policy, answer.history

    def title(pid: str) -> str:
        p = policy.purpose(pid)
        return p.title if p else pid

    timeline = tuple(
        TimelineRow(e, title(e.purpose_id), e.purpose_id == ALL_PURPOSES_IN_TERMS)
        for e in sorted(history.events, key=lambda e: e.order_key(), reverse=True)
    )
    decisions = tuple(
        DecisionRow(p.id, p.title, d) for p, d in zip(policy.purposes, answer.decisions, strict=True)
    )
    s = history.subject
    personal = user.can(Permission.personal_data)
    age = age_on(s.birth_date, now.date()) if s.birth_date and personal else None
    page = SubjectPage(s, age, now, timeline, decisions, recorded, personal)
    return render(request, "subject.html", page, user)
