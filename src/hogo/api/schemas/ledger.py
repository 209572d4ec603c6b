"""API schemas of the verifiable log: signed tree heads and inclusion proofs (docs/ledger.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from hogo.domain.transparency import HEAD_FORMAT, PROOF_FORMAT


class TreeHeadOut(BaseModel):
    """A signed tree head: Ed25519 over the canonical JSON of the other fields (docs/ledger.md)."""

    format: Literal["hogo-tree-head/1"] = HEAD_FORMAT
    tree_size: int = Field(description="台帳の記録数(木の葉の数)/ entries in the tree")
    root_hash: str = Field(description="RFC 9162 の木の根(16進)/ Merkle tree root, hex")
    timestamp: str
    key_id: str = Field(description="署名鍵の公開鍵の SHA-256 / SHA-256 of the signer's public key")
    signature: str = Field(description="Ed25519 署名(base64)")


class InclusionProofOut(BaseModel):
    """An entry, its RFC 9162 inclusion path and the signed head it leads to."""

    format: Literal["hogo-ledger-proof/1"] = PROOF_FORMAT
    entry: dict[str, Any] = Field(
        description="台帳の記録(personal_data 権限がなければ seq と hash のみ)/ the entry (seq and hash only "
        "without the personal-data permission)"
    )
    leaf_index: int
    tree_size: int
    inclusion_path: list[str]
    head: TreeHeadOut
