"""Readiness: device and backup inventory, questionnaire answers, assessments (score history).

Revision ID: 0100_readiness
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0100_readiness"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_assets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "readiness_backup_jobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "readiness_answers",
        sa.Column("question_id", sa.String(100), primary_key=True),
        sa.Column("answer", sa.String(32), nullable=False),
        sa.Column("answered_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "readiness_assessments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("assessed_at", UTCDateTime, nullable=False),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("passed", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("failed_critical", sa.Integer, nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_readiness_assessments_assessed_at", "readiness_assessments", ["assessed_at"])


def downgrade() -> None:
    op.drop_index("ix_readiness_assessments_assessed_at", table_name="readiness_assessments")
    op.drop_table("readiness_assessments")
    op.drop_table("readiness_answers")
    op.drop_table("readiness_backup_jobs")
    op.drop_table("readiness_assets")
