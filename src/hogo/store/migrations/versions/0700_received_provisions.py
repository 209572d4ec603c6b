"""Records of personal data received from third parties (法30条) and the persons they cover.

Revision ID: 0700_received_provisions
Revises: 0600_release_runner
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0700_received_provisions"
down_revision = "0600_release_runner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_provisions",
        sa.Column("received_id", sa.String(64), primary_key=True),
        sa.Column("provider_name", sa.String(256), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("persons", sa.Integer, nullable=False),
        sa.Column("persons_sha256", sa.String(64), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("retention_until", sa.Date, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_received_provisions_received_at", "received_provisions", ["received_at"])
    op.create_table(
        "received_provision_subjects",
        sa.Column(
            "received_id",
            sa.String(64),
            sa.ForeignKey("received_provisions.received_id"),
            primary_key=True,
        ),
        sa.Column("subject_id", sa.String(128), primary_key=True),
    )
    op.create_index(
        "ix_received_provision_subjects_subject_id", "received_provision_subjects", ["subject_id"]
    )


def downgrade() -> None:
    op.drop_table("received_provision_subjects")
    op.drop_table("received_provisions")
