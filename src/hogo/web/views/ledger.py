"""Ledger integrity: size and head for everyone; full verification for those allowed to run it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.ledger import Verification
from hogo.http.deps import SessionDep
from hogo.services import ledger
from hogo.web.render import render
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
