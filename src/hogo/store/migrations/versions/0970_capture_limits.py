"""Rate windows: the consent notice's per-site and per-person budgets, counted in the store so
that they hold across server processes.

Revision ID: 0970_capture_limits
Revises: 0960_profile_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0970_capture_limits"
down_revision = "0960_profile_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("minute", sa.Integer, primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
    )
    op.create_index("ix_rate_windows_minute", "rate_windows", ["minute"])


def downgrade() -> None:
    op.drop_table("rate_windows")
