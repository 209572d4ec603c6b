"""Provision records (法29条) and the persons they cover.

Revision ID: 0400_provisions
Revises: 0300_auth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0400_provisions"
down_revision = "0300_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provisions",
        sa.Column("provision_id", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("purpose_id", sa.String(64), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("provided_at", UTCDateTime, nullable=False),
        sa.Column("persons", sa.Integer, nullable=False),
        sa.Column("persons_sha256", sa.String(64), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("retention_until", sa.Date, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_provisions_recipient_id", "provisions", ["recipient_id"])
    op.create_table(
        "provision_subjects",
        sa.Column("provision_id", sa.String(64), sa.ForeignKey("provisions.provision_id"), primary_key=True),
        sa.Column("subject_id", sa.String(128), primary_key=True),
        sa.Column("basis", sa.String(32), nullable=False),
    )
    op.create_index("ix_provision_subjects_subject_id", "provision_subjects", ["subject_id"])


def downgrade() -> None:
    op.drop_table("provision_subjects")
    op.drop_table("provisions")
