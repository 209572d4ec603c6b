"""The ledger's integrity: head and size for every reader, full verification for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hogo.api.problems import responses
from hogo.api.schemas import LedgerStatusOut
from hogo.auth.roles import Permission
from hogo.http.deps import Forbidden, Reader, SessionDep
from hogo.services import ledger

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
    entries, head_hash = ledger.head(session)
    return LedgerStatusOut(entries=entries, head_hash=head_hash, verified=False, ok=None)
