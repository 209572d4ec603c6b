"""Ledger integrity: size and head for everyone; full verification for those allowed to run it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from hogo.api.deps import SessionDep
from hogo.auth.roles import Permission
from hogo.domain.ledger import GENESIS, Verification
from hogo.services import ledger
from hogo.store.tables import LedgerHeadRow
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
        head = session.scalar(select(LedgerHeadRow).where(LedgerHeadRow.id == 1))
        page = LedgerPage(head.seq if head else 0, head.hash if head else GENESIS, None)
    return render(request, "ledger.html", page, user)
