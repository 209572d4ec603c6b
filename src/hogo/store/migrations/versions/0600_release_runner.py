"""Releases: which process runs a release, so one left `running` by a stopped process is found.

Revision ID: 0600_release_runner
Revises: 0500_releases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0600_release_runner"
down_revision = "0500_releases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("runner", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("runner")
