"""Incidents and the personal-information inventory (管理台帳).

Revision ID: 0200_incidents
Revises: 0100_readiness
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0200_incidents"
down_revision = "0100_readiness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_datasets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("incident_type", sa.String(32), nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("aware_at", UTCDateTime, nullable=False),
        sa.Column("occurred_at", UTCDateTime),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("current_step", sa.Integer),
        sa.Column("reportable", sa.Boolean, nullable=False),
        sa.Column("preliminary_due", sa.Date),
        sa.Column("final_due", sa.Date),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "incident_subjects",
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("subject_id", sa.String(128), primary_key=True),
    )
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("summary_ja", sa.Text, nullable=False),
        sa.Column("summary_en", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_incident_timeline_incident", "incident_timeline", ["incident_id", "id"])
    op.create_table(
        "incident_playbooks",
        sa.Column("incident_type", sa.String(32), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_incident_timeline_incident", table_name="incident_timeline")
    for table in (
        "incident_playbooks",
        "incident_timeline",
        "incident_subjects",
        "incidents",
        "inventory_datasets",
    ):
        op.drop_table(table)
