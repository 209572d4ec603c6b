"""Persons (本人): register, find, read, and their consent timeline with current decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from hogo.api.problems import responses
from hogo.api.schemas import (
    ConsentEventOut,
    DecisionOut,
    Instant,
    SubjectIn,
    SubjectListOut,
    SubjectOut,
    SubjectWriteOut,
    TimelineOut,
)
from hogo.auth.roles import Permission
from hogo.domain.clock import JST
from hogo.domain.consent import Subject, SubjectPatch
from hogo.domain.ids import RecordId
from hogo.http.deps import Reader, Recorder, SessionDep, policy_cache
from hogo.services import consent as consent_svc
from hogo.services.auth import Principal
from hogo.services.coverage import search_subjects
from hogo.services.subjects import get_subject, patch_subjects

router = APIRouter(prefix="/subjects", tags=["subjects"])

SubjectPath = Annotated[RecordId, Path(description="本人ID / subject id")]


def _out(s: Subject, principal: Principal) -> SubjectOut:
    """Birth dates only for callers allowed personal values; others see whether there is one."""
    return SubjectOut.of(s, principal.can(Permission.personal_data))


@router.get("", operation_id="listSubjects", response_model=SubjectListOut, responses=responses())
def list_subjects(
    session: SessionDep,
    principal: Reader,
    q: Annotated[str, Query(max_length=128, description="本人IDの前方一致 / id prefix")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SubjectListOut:
    """本人を検索します(ID の前方一致)/ find persons by id prefix."""
    found = search_subjects(session, q, limit, offset)
    return SubjectListOut(items=[_out(s, principal) for s in found], limit=limit, offset=offset)


@router.put(
    "",
    operation_id="putSubject",
    response_model=SubjectWriteOut,
    responses={201: {"model": SubjectWriteOut, "description": "登録しました / created"}, **responses()},
)
def put_subject(
    body: SubjectIn, session: SessionDep, principal: Recorder, response: Response
) -> SubjectWriteOut:
    """本人を登録・更新します。送った項目だけを変更し、省略した項目は登録済みの値のままです
    (null を送ると消去)。同じ内容なら何もしません。

    Register or update a person: only the fields sent are changed, omitted ones keep their
    stored value (send null to clear); the same content writes nothing.
    """
    patch = SubjectPatch.model_validate(body.model_dump(exclude_unset=True))
    changes = patch_subjects(session, [patch])
    if changes.added:
        response.status_code = 201
    stored = get_subject(session, body.subject_id)
    return SubjectWriteOut(subject=_out(stored, principal), created=bool(changes.added))


@router.get("/{subject_id}", operation_id="getSubject", response_model=SubjectOut, responses=responses(404))
def get_subject_route(subject_id: SubjectPath, session: SessionDep, principal: Reader) -> SubjectOut:
    """本人の登録内容(生年月日は personal_data 権限のある役割のみ)/ one person."""
    return _out(get_subject(session, subject_id), principal)


@router.get(
    "/{subject_id}/timeline",
    operation_id="getSubjectTimeline",
    response_model=TimelineOut,
    responses=responses(404),
)
def get_timeline(
    request: Request,
    subject_id: SubjectPath,
    session: SessionDep,
    principal: Reader,
    at: Annotated[Instant | None, Query(description="判定時点(省略時は現在、2000–2099年)")] = None,
) -> TimelineOut:
    """同意の経過と、利用目的ごとの判定(根拠条文つき)/ consent timeline and decisions."""
    when = at or datetime.now(JST)
    answer = consent_svc.timeline(session, subject_id, when, policies=policy_cache(request))
    history = answer.history
    return TimelineOut(
        subject=_out(history.subject, principal),
        events=[ConsentEventOut.of(e, principal.can(Permission.personal_data)) for e in history.events],
        decisions=[DecisionOut.of(d) for d in answer.decisions],
    )
