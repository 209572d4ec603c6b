"""Ledger integrity: size and head for everyone; full verification for those allowed to run it.

`/ledger/{seq}` opens one entry (links such as 「台帳 #12」 on other pages lead there): what it
records, when, its hash and whether that hash matches the entry's content and predecessor link.
The recorded content itself is shown to roles that verify the ledger, a person's values in it only
to those with the personal-data permission (as the API answers them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.display import pick, title_pair
from hogo.domain.ledger import Verification, entry_hash
from hogo.errors import NotFound
from hogo.http.deps import SessionDep
from hogo.services import ledger, person_keys
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()


@dataclass(frozen=True)
class LedgerPage:
    entries: int
    head_hash: str
    verification: Verification | None


@router.get("/ledger", include_in_schema=False)
def ledger_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    if user.can(Permission.verify_ledger):
        v = ledger.verify_ledger(session)
        page = LedgerPage(v.entries, v.head, v)
    else:
        entries, head_hash = ledger.head(session)
        page = LedgerPage(entries, head_hash, None)
    return render(request, "ledger.html", page, user)


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class LedgerEntryPage:
    seq: int
    kind: str
    kind_label: str
    ref: str
    recorded_at: datetime | None
    prev_hash: str
    hash: str
    intact: bool  # the stored hash matches this entry's content and its link to the previous one
    payload: str | None  # pretty JSON, only for roles that verify the ledger
    entries: int


@router.get("/ledger/{seq}", include_in_schema=False)
def ledger_entry_page(
    request: Request, session: SessionDep, user: Viewer, seq: int = Path(ge=1, le=2**62)
) -> Response:
    row = ledger.entry(session, seq)
    if row is None:
        raise NotFound(f"台帳の記録 #{seq} はありません。", f"ledger entry #{seq} not found.")
    lang = language(request)
    expected = entry_hash(row.prev_hash, row.seq, row.kind, row.ref, row.recorded_at, row.payload_json)
    # The recorded content is for those who verify the ledger; a person's values (birth date,
    # guardian, evidence, an individual provider …) only with the personal-data permission too.
    personal = user.can(Permission.personal_data)
    payload = (
        json.dumps(
            person_keys.reveal(session, row, personal=personal), ensure_ascii=False, indent=2, sort_keys=True
        )
        if user.can(Permission.verify_ledger)
        else None
    )
    page = LedgerEntryPage(
        seq=row.seq,
        kind=row.kind,
        kind_label=pick(title_pair("EntryKind", row.kind), lang),
        ref=row.ref,
        recorded_at=_instant(row.recorded_at),
        prev_hash=row.prev_hash,
        hash=row.hash,
        intact=expected == row.hash,
        payload=payload,
        entries=ledger.head(session).seq,
    )
    return render(request, "ledger_entry.html", page, user)
