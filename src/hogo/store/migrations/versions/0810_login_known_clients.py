"""Client addresses each account has logged in from, so log-in throttling can tell the owner.

Revision ID: 0810_login_known_clients
Revises: 0700_received_provisions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0810_login_known_clients"
down_revision = "0700_received_provisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_known_clients",
        sa.Column("account_hash", sa.String(64), primary_key=True),
        sa.Column("client_hash", sa.String(64), primary_key=True),
        sa.Column("last_login_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("auth_known_clients")
