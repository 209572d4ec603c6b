"""The verifiable log: Merkle tree nodes over the ledger entries and the signed tree heads.

The tree of an existing ledger is not built here: it is a derived index, extended from its last
stored leaf by whoever next needs it (`services.ledger_tree.catch_up`, in short transactions of its
own), so the upgrade stays instant on a large store.

Revision ID: 0910_ledger_tree
Revises: 0810_login_known_clients
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0910_ledger_tree"
down_revision = "0900_ledger_v2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_tree_nodes",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "ledger_tree_heads",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.String(40), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_tree_heads")
    op.drop_table("ledger_tree_nodes")
