"""Incidents (漏えい等事案): the board, open, show, record facts, tasks done, timeline, documents.

Reading needs `read`; changing an incident needs `record_consent` (operators, privacy officers,
admins — never the read-only auditor). Drafting a document is a POST: each draft is hashed into
the incident's timeline and the ledger, so what was handed out stays provable. The notification
list holds persons' contact details and needs `personal_data`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from hogo.api.problems import responses
from hogo.api.schemas import Instant
from hogo.api.schemas.incidents import (
    BoardRowOut,
    DocumentListOut,
    DocumentOut,
    FactsIn,
    IncidentBoardOut,
    IncidentOpenIn,
    IncidentOut,
    IncidentTimelineOut,
    TaskDoneIn,
    TimelineEntryOut,
)
from hogo.auth.roles import Permission
from hogo.domain.clock import JST
from hogo.files.csv_headers import HeaderStyle
from hogo.http.deps import Reader, Recorder, SessionDep, require
from hogo.reports.incidents.context import DRAFT_NAMES, DocumentKind
from hogo.reports.incidents.render import is_html
from hogo.services import incident_documents, incidents
from hogo.services.auth import Principal

router = APIRouter(prefix="/incidents", tags=["incidents"])

PersonalDataReader = Annotated[Principal, Depends(require(Permission.personal_data))]
IncidentPath = Annotated[str, Path(min_length=1, max_length=32, description="事案番号 / incident id")]
TaskPath = Annotated[str, Path(min_length=1, max_length=128, description="作業 id / task id")]
NOTIFICATION_LIST = "notification_list"

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}


def _now() -> datetime:
    return datetime.now(JST)


def _detail(session: SessionDep, incident_id: str) -> IncidentOut:
    view, row = incidents.status(session, incident_id, _now())
    return IncidentOut.of(view, row)


def _download(filename: str, fmt: str, data: bytes, sha256: str) -> Response:
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-SHA256": sha256,
            "Cache-Control": "no-store",
        },
    )


@router.get("", operation_id="listIncidents", response_model=IncidentBoardOut, responses=responses())
def list_incidents(
    session: SessionDep,
    _: Reader,
    at: Annotated[Instant | None, Query(description="この時点で表示(省略時は現在、2000–2099年)")] = None,
    include_closed: Annotated[bool, Query(description="完了した事案も含める")] = False,
) -> IncidentBoardOut:
    """事案ボード: ステップ、期限超過の作業、速報・確報の期限までの日数 / the incident board."""
    now = at or _now()
    rows = incidents.board(session, now, include_closed=include_closed)
    return IncidentBoardOut(at=now, items=[BoardRowOut.build(r) for r in rows])


@router.post(
    "", operation_id="openIncident", response_model=IncidentOut, status_code=201, responses=responses()
)
def open_incident(body: IncidentOpenIn, session: SessionDep, _: Recorder) -> IncidentOut:
    """事案を登録し、報告要否(規則7条)・期限(規則8条)・対応手順を直ちに示します。"""
    view = incidents.open_new(
        session,
        body.type,
        body.aware_at or _now(),
        body.description,
        occurred_at=body.occurred_at,
        dataset_ids=body.datasets,
        subject_ids=body.subjects,
        facts=body.facts,
    )
    return _detail(session, view.id)


@router.get(
    "/{incident_id}", operation_id="getIncident", response_model=IncidentOut, responses=responses(404)
)
def get_incident(incident_id: IncidentPath, session: SessionDep, _: Reader) -> IncidentOut:
    """報告要否と理由(根拠条文)、速報・確報の期限、現在のステップ、作業と期限超過 / one incident."""
    return _detail(session, incident_id)


@router.post(
    "/{incident_id}/facts",
    operation_id="recordIncidentFacts",
    response_model=IncidentOut,
    responses=responses(404),
)
def record_facts(incident_id: IncidentPath, body: FactsIn, session: SessionDep, _: Recorder) -> IncidentOut:
    """判明した事実を記録し、報告要否・期限・作業を再判定します(null は記録した事実の取消し)。"""
    incidents.record_facts(session, incident_id, body)
    return _detail(session, incident_id)


@router.post(
    "/{incident_id}/tasks/{task_id}/done",
    operation_id="completeIncidentTask",
    response_model=IncidentOut,
    responses=responses(404),
)
def complete_task(
    incident_id: IncidentPath,
    task_id: TaskPath,
    session: SessionDep,
    _: Recorder,
    body: TaskDoneIn | None = None,
) -> IncidentOut:
    """作業の完了を記録します / mark a task done."""
    done = body or TaskDoneIn()
    incidents.complete_task(session, incident_id, task_id, done.at or _now(), done.note)
    return _detail(session, incident_id)


@router.get(
    "/{incident_id}/timeline",
    operation_id="getIncidentTimeline",
    response_model=IncidentTimelineOut,
    responses=responses(404),
)
def get_timeline(incident_id: IncidentPath, session: SessionDep, principal: Reader) -> IncidentTimelineOut:
    """事案の時系列(事実・判定・作業・文書・証拠、台帳の記録番号つき)/ the timeline.

    証拠のファイル名は本人を特定しうるため、personal_data 権限のある役割にのみ返します。
    """
    personal = principal.can(Permission.personal_data)
    entries = incidents.timeline(session, incident_id, personal=personal)
    return IncidentTimelineOut(items=[TimelineEntryOut.build(e) for e in entries])


def document_list(incident_id: str) -> list[DocumentOut]:
    """The documents an incident can have drafted, and where to ask for each."""
    base = f"/api/v1/incidents/{incident_id}"
    items = [
        DocumentOut(
            kind=k.value,
            title_ja=DRAFT_NAMES[k][0],
            title_en=DRAFT_NAMES[k][1],
            formats=list(incident_documents.FORMATS) if is_html(k) else ["text", "json"],
            href=f"{base}/documents/{k.value}",
            personal_data=False,
        )
        for k in DocumentKind
    ]
    items.append(
        DocumentOut(
            kind=NOTIFICATION_LIST,
            title_ja="通知先リスト(本人と連絡手段)",
            title_en="notification list (persons and their channel)",
            formats=["csv"],
            href=f"{base}/notification-list",
            personal_data=True,
        )
    )
    return items


@router.get(
    "/{incident_id}/documents",
    operation_id="listIncidentDocuments",
    response_model=DocumentListOut,
    responses=responses(404),
)
def list_documents(incident_id: IncidentPath, session: SessionDep, _: Reader) -> DocumentListOut:
    """作成できる文書(報告書・通知文・公表文・付与機関への報告書・通知先リスト)/ documents."""
    incidents.get(session, incident_id)
    return DocumentListOut(items=document_list(incident_id))


_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "文書 / the document"}
}


@router.post(
    "/{incident_id}/documents/{kind}",
    operation_id="draftIncidentDocument",
    response_class=Response,
    responses={**_FILE, **responses(404)},
)
def draft_document(
    incident_id: IncidentPath,
    kind: DocumentKind,
    session: SessionDep,
    _: Recorder,
    format: Annotated[Literal["html", "pdf", "json"], Query(description="html / pdf / json")] = "html",
) -> Response:
    """文書の下書きを作成してダウンロードします(メール本文は text)。SHA-256 を時系列と台帳に記録。"""
    docs = incident_documents.draft(
        session, incident_id, [kind], [format], _now().date(), notification_list=False
    )
    doc = docs[0]
    return _download(doc.filename, doc.format, doc.data, doc.sha256)


@router.post(
    "/{incident_id}/notification-list",
    operation_id="downloadNotificationList",
    response_class=Response,
    responses={**_FILE, **responses(404)},
)
def notification_list(
    incident_id: IncidentPath,
    session: SessionDep,
    _: PersonalDataReader,
    encoding: Annotated[Literal["utf-8-sig", "cp932"], Query(description="CSVの文字コード")] = "utf-8-sig",
    headers: Annotated[
        HeaderStyle, Query(description="見出し: ja(日本語、既定)/ machine(列名) / CSV headers")
    ] = HeaderStyle.ja,
) -> Response:
    """通知先リスト(CSV: 本人ID・連絡手段・連絡先)。本人の連絡先を含むため personal_data 権限が必要です。"""
    docs = incident_documents.draft(
        session,
        incident_id,
        [],
        [],
        _now().date(),
        notification_list=True,
        encoding=encoding,
        headers=headers,
    )
    doc = docs[0]
    return _download(doc.filename, doc.format, doc.data, doc.sha256)
