"""Drafting an incident's documents and its notification list, each hashed into the timeline.

The service renders to bytes and records what it produced (kind, format, SHA-256) in the
incident's timeline and the ledger; the interface decides where the bytes go. The notification
list is exactly the affected set, with each person's contact channel from the subjects table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.incidents import flow
from hogo.domain.policy import Organization
from hogo.files.csv_headers import HeaderStyle
from hogo.reports.incidents.context import CategoryLine, DocumentKind, IncidentRecord, build_context
from hogo.reports.incidents.render import (
    Recipient,
    is_html,
    notification_csv,
    render_json,
    render_pdf,
    render_text,
)
from hogo.services import incidents
from hogo.services.policy import current_policy
from hogo.store.tables import SubjectRow

FORMATS = ("html", "pdf", "json")
_CHUNK = 900  # stays under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    kind: str
    format: str
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def incident_record(session: Session, incident_id: str) -> IncidentRecord:
    row, state = incidents.state_of(session, incident_id)
    policy = current_policy(session)
    organization = policy.organization if policy is not None else Organization(name="【事業者名】")
    titles = {c.id: c.title or c.id for c in policy.data_categories} if policy is not None else {}
    return IncidentRecord(
        incident_id=row.id,
        organization=organization,
        incident_type=state.incident_type,
        aware_at=state.aware_at,
        occurred_at=state.occurred_at,
        description=row.description,
        categories=tuple(
            CategoryLine(c.id, titles.get(c.id, c.id), c.appi_class) for c in state.facts.data_categories
        ),
        facts=state.facts,
        assessment=state.assessment,
        details=state.details,
        tasks=state.tasks,
    )


def recipients(session: Session, incident_id: str) -> list[Recipient]:
    """Every affected person, with a contact where the subjects table has one."""
    ids = incidents.affected_subjects(session, incident_id)
    contacts: dict[str, tuple[str | None, str | None]] = {}
    for i in range(0, len(ids), _CHUNK):
        part = ids[i : i + _CHUNK]
        stmt = select(SubjectRow.subject_id, SubjectRow.email, SubjectRow.phone).where(
            SubjectRow.subject_id.in_(part)
        )
        for subject_id, email, phone in session.execute(stmt):
            contacts[subject_id] = (email, phone)
    return [Recipient(s, *contacts.get(s, (None, None))) for s in ids]


def _render(record: IncidentRecord, kind: DocumentKind, fmt: str, today: date) -> RenderedDocument:
    ctx = build_context(record, kind, today)
    base = f"{record.incident_id}_{kind.value}"
    if fmt == "json":
        data = json.dumps(render_json(ctx), ensure_ascii=False, indent=2).encode("utf-8")
        return RenderedDocument(kind.value, fmt, f"{base}.json", data)
    if fmt == "pdf" and is_html(kind):
        return RenderedDocument(kind.value, fmt, f"{base}.pdf", render_pdf(ctx))
    suffix = "html" if is_html(kind) else "txt"
    return RenderedDocument(
        kind.value, "html" if is_html(kind) else "text", f"{base}.{suffix}", render_text(ctx).encode()
    )


def draft(
    session: Session,
    incident_id: str,
    kinds: Sequence[DocumentKind],
    formats: Sequence[str],
    today: date,
    *,
    notification_list: bool = False,
    encoding: str = "utf-8-sig",
    headers: HeaderStyle = HeaderStyle.ja,
) -> list[RenderedDocument]:
    """Render the documents (the e-mail body as text whatever the format) and, only when asked,
    the notification list as CSV: it holds persons' contacts, so nobody gets it as a side effect."""
    record = incident_record(session, incident_id)
    produced: dict[str, RenderedDocument] = {}
    for kind in kinds:
        for fmt in formats:
            doc = _render(record, kind, fmt, today)
            produced.setdefault(doc.filename, doc)
    result = list(produced.values())
    if notification_list:
        data = notification_csv(recipients(session, incident_id), encoding, headers)
        result.append(
            RenderedDocument("notification_list", "csv", f"{incident_id}_notification_list.csv", data)
        )
    for doc in result:
        incidents.record(
            session,
            incident_id,
            flow.TimelineKind.document,
            f"文書を作成: {doc.filename}",
            f"Document drafted: {doc.filename}",
            {"document": doc.kind, "format": doc.format, "file": doc.filename, "sha256": doc.sha256},
        )
    return result
