"""Tables of the verifiable log: the Merkle tree's stored nodes and the signed tree heads.

Both are derived from `ledger_entries` and checkable against it (`services.ledger_tree`): the
nodes are an index that makes proofs fast, the heads are what was promised to auditors.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base


class LedgerTreeNodeRow(Base):
    """The hash of one perfect subtree: leaves [idx * 2**level, (idx + 1) * 2**level).

    Only levels from `services.ledger_tree.BLOCK_LEVEL` up are stored (1/8 of all nodes); smaller
    subtrees are recomputed from the entries' hashes when a proof needs them.
    """

    __tablename__ = "ledger_tree_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LedgerTreeHeadRow(Base):
    """A signed tree head as issued (one per tree size: a size's root never changes)."""

    __tablename__ = "ledger_tree_heads"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    timestamp: Mapped[str] = mapped_column(String(40), nullable=False)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    signature: Mapped[str] = mapped_column(String(128), nullable=False)
    #: The signer's public key (PEM), so old heads stay checkable after the key is rotated.
    public_key: Mapped[str] = mapped_column(Text, nullable=False)
