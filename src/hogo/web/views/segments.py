"""個人関連情報 segment exports (法31条): the list of exports and the confirmation records.

Each export shows which article it falls under, the recipient, the identifier kind, how many
identifiers went and how many were left out by the confirmation result (the reason's title and
article). The confirmation records (法31条3項) — consent times and methods as the recipient stated
them, per identifier by keyed token — are shown only to roles allowed personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.display import pick, title_pair
from hogo.domain.related_info import CONFIRMED, RESULTS
from hogo.http.deps import SessionDep
from hogo.services import segments as service
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()


@dataclass(frozen=True)
class ExportRow:
    export_id: str
    recipient_id: str
    kind_label: str
    status: str
    status_label: str
    at: datetime
    exported: int | None
    excluded: tuple[str, ...]
    ledger_seq: int | None


@dataclass(frozen=True)
class RecordRow:
    confirmed_at: datetime
    recipient_name: str
    export_id: str
    token: str
    items: str
    consent_obtained_at: datetime
    method: str
    confirmed: bool
    result: str
    retention_until: date


@dataclass(frozen=True)
class SegmentsPage:
    exports: tuple[ExportRow, ...]
    #: None when the role may not see personal data (the records are not read at all).
    records: tuple[RecordRow, ...] | None


def _reason(code: str, lang: str) -> str:
    found = RESULTS.get(code)
    if found is None:
        return code
    return f"{found.en if lang == 'en' else found.ja}({found.article})"


def _export(info: service.ExportInfo, lang: str) -> ExportRow:
    excluded = info.manifest.get("excluded_by_reason") or {}
    return ExportRow(
        export_id=info.export_id,
        recipient_id=info.recipient_id,
        kind_label=pick(title_pair("IdentifierKind", info.identifier_kind), lang),
        status=info.status,
        status_label=pick(title_pair("ReleaseStatus", info.status), lang),
        at=info.at,
        exported=info.counts.get("exported"),
        excluded=tuple(f"{_reason(code, lang)}: {n:,}" for code, n in excluded.items()),
        ledger_seq=info.ledger_seq,
    )


def _record(r: service.ConfirmationRecord, lang: str) -> RecordRow:
    return RecordRow(
        confirmed_at=r.confirmed_at,
        recipient_name=r.recipient_name,
        export_id=r.export_id,
        token=r.identifier_token[:16],
        items="、".join(r.items),
        consent_obtained_at=r.consent_obtained_at,
        method=r.method,
        confirmed=r.result == CONFIRMED.code,
        result=_reason(r.result, lang),
        retention_until=r.retention_until,
    )


@router.get("/segments", include_in_schema=False)
def segments_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    lang = language(request)
    exports = tuple(_export(i, lang) for i in service.list_exports(session))
    records = None
    if user.can(Permission.personal_data):
        records = tuple(_record(r, lang) for r in service.confirmation_records(session, limit=200))
    return render(request, "segments.html", SegmentsPage(exports, records), user)
