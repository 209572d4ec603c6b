"""The ledger's integrity: head and size for every reader, full verification for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from hogo.api.deps import Forbidden, Reader, SessionDep
from hogo.api.problems import responses
from hogo.api.schemas import LedgerStatusOut
from hogo.auth.roles import Permission
from hogo.domain.ledger import GENESIS
from hogo.services import ledger
from hogo.store.tables import LedgerHeadRow

router = APIRouter(prefix="/ledger", tags=["ledger"])


@router.get("/status", operation_id="getLedgerStatus", response_model=LedgerStatusOut, responses=responses())
def ledger_status(
    session: SessionDep,
    principal: Reader,
    verify: Annotated[
        bool, Query(description="全件の連鎖を検証する(監査人・管理者)/ verify the whole chain")
    ] = False,
) -> LedgerStatusOut:
    """台帳の件数と先頭ハッシュ、求めがあれば全件検証の結果 / ledger head and verification."""
    if verify:
        if not principal.can(Permission.verify_ledger):
            raise Forbidden()
        v = ledger.verify_ledger(session)
        return LedgerStatusOut(
            entries=v.entries, head_hash=v.head, verified=True, ok=v.ok, first_bad_seq=v.first_bad_seq
        )
    head = session.scalar(select(LedgerHeadRow).where(LedgerHeadRow.id == 1))
    return LedgerStatusOut(
        entries=head.seq if head else 0, head_hash=head.hash if head else GENESIS, verified=False, ok=None
    )
