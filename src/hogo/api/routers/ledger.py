"""The ledger's integrity: head and size for every reader, full verification for auditors, and the
verifiable log: signed tree heads and inclusion proofs (docs/ledger.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from hogo.api.problems import responses
from hogo.api.schemas import LedgerStatusOut
from hogo.api.schemas.ledger import InclusionProofOut, TreeHeadOut
from hogo.auth.roles import Permission
from hogo.errors import NotFound
from hogo.http.deps import DbDep, Forbidden, Reader, SessionDep, SettingsDep, require
from hogo.services import ledger, ledger_tree
from hogo.services.auth import Principal

Verifier = Annotated[Principal, Depends(require(Permission.verify_ledger))]

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


@router.get("/head", operation_id="getLedgerTreeHead", response_model=TreeHeadOut, responses=responses(404))
def latest_tree_head(session: SessionDep, _: Reader) -> TreeHeadOut:
    """最新の署名付きツリーヘッド(監査人が保管し、後で整合性を確かめる)/ the latest signed tree head."""
    sth = ledger_tree.latest_head(session)
    if sth is None:
        raise NotFound("署名付きツリーヘッドがまだありません", "no signed tree head has been issued yet")
    return TreeHeadOut.model_validate(sth.to_json())


@router.post("/heads", operation_id="issueLedgerTreeHead", response_model=TreeHeadOut, responses=responses())
def issue_tree_head(session: SessionDep, settings: SettingsDep, _: Verifier) -> TreeHeadOut:
    """台帳の現在の大きさのツリーヘッドに署名します(監査人・管理者)/ sign a head for the current size.

    同じ大きさのヘッドが既にあればそれを返します / returns the existing head for an unchanged size.
    """
    key = ledger_tree.require_key(settings.ledger_signing_key_file)
    return TreeHeadOut.model_validate(ledger_tree.sign_current(session, key).to_json())


@router.get(
    "/entries/{seq}/proof",
    operation_id="getLedgerInclusionProof",
    response_model=InclusionProofOut,
    responses=responses(404),
)
def inclusion_proof(
    seq: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DbDep, settings: SettingsDep, principal: Reader
) -> InclusionProofOut:
    """記録の包含証明(RFC 9162)と署名付きツリーヘッド / an entry's inclusion proof and signed head.

    記録の内容(payload 等)は personal_data 権限のある役割にのみ返します / the entry's fields only with
    the personal-data permission (otherwise its seq and hash).
    """
    full = principal.can(Permission.personal_data)
    proof = ledger_tree.receipt_proof(db, seq, settings.ledger_signing_key_file, full=full)
    if proof is None:
        raise NotFound(
            "この記録を含む署名付きツリーヘッドがなく、署名鍵も設定されていません",
            "no signed head holds this entry and no signing key is configured",
        )
    return InclusionProofOut.model_validate(proof)
