"""Releases: each data release run, its status and manifest.

Revision ID: 0500_releases
Revises: 0400_provisions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0500_releases"
down_revision = "0400_provisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("release_id", sa.String(200), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("directory", sa.Text, nullable=False),
        sa.Column("manifest", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_releases_status", "releases", ["status"])
    op.create_index("ix_releases_started_at", "releases", ["started_at"])


def downgrade() -> None:
    op.drop_table("releases")
