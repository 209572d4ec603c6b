"""Profile runs: each recorded run of a profile job, written with its ledger entry.

Revision ID: 0960_profile_runs
Revises: 0950_privacy_center
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0960_profile_runs"
down_revision = "0950_privacy_center"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_runs",
        sa.Column("profile_id", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("directory", sa.Text, nullable=False),
        sa.Column("output_file", sa.String(64), nullable=False),
        sa.Column("output_sha256", sa.String(64)),
        sa.Column("profiled", sa.Integer),
        sa.Column("rows_erased", sa.Integer, nullable=False),
        sa.Column("ledger_seq", sa.Integer),
        sa.Column("manifest", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("runner", sa.String(200)),
    )
    op.create_index("ix_profile_runs_purpose", "profile_runs", ["purpose"])
    op.create_index("ix_profile_runs_status", "profile_runs", ["status"])
    op.create_index("ix_profile_runs_started_at", "profile_runs", ["started_at"])


def downgrade() -> None:
    op.drop_table("profile_runs")
