"""個人関連情報 segment exports (法31条) and the provider's confirmation records.

Revision ID: 0980_related_info
Revises: 0960_profile_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0980_related_info"
down_revision = "0970_capture_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_exports",
        sa.Column("export_id", sa.String(64), primary_key=True),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("identifier_kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("directory", sa.Text, nullable=False),
        sa.Column("output_file", sa.String(64), nullable=False),
        sa.Column("ledger_seq", sa.Integer),
        sa.Column("manifest", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("runner", sa.String(200)),
    )
    op.create_index("ix_segment_exports_recipient_id", "segment_exports", ["recipient_id"])
    op.create_index("ix_segment_exports_status", "segment_exports", ["status"])
    op.create_index("ix_segment_exports_started_at", "segment_exports", ["started_at"])
    op.create_table(
        "related_info_confirmations",
        sa.Column("export_id", sa.String(64), sa.ForeignKey("segment_exports.export_id"), primary_key=True),
        sa.Column("identifier_token", sa.String(64), primary_key=True),
        sa.Column("identifier_kind", sa.String(16), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("recipient_name", sa.String(256), nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("consent_obtained_at", UTCDateTime, nullable=False),
        sa.Column("method", sa.String(200), nullable=False),
        sa.Column("foreign_info_given", sa.Boolean),
        sa.Column("result", sa.String(64), nullable=False),
        sa.Column("confirmed_at", UTCDateTime, nullable=False),
        sa.Column("record_form", sa.String(16), nullable=False),
        sa.Column("retention_until", sa.Date, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    for column in ("identifier_token", "recipient_id", "confirmed_at", "retention_until", "ledger_seq"):
        op.create_index(f"ix_related_info_confirmations_{column}", "related_info_confirmations", [column])


def downgrade() -> None:
    op.drop_table("related_info_confirmations")
    op.drop_table("segment_exports")
