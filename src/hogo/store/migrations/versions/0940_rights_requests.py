"""Rights requests (本人からの請求, 法32条〜35条): cases, their steps, suppression entries.

Revision ID: 0940_rights_requests
Revises: 0920_sites_campaigns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0940_rights_requests"
down_revision = "0930_person_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("request_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(128)),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("deadline", UTCDateTime, nullable=False),
        sa.Column("answered_at", UTCDateTime),
        sa.Column("content", sa.Text),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_rights_requests_subject_id", "rights_requests", ["subject_id"])
    op.create_index("ix_rights_requests_open", "rights_requests", ["state", "deadline"])
    op.create_table(
        "rights_request_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), sa.ForeignKey("rights_requests.request_id"), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("summary_ja", sa.Text, nullable=False),
        sa.Column("summary_en", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_rights_request_steps_request", "rights_request_steps", ["request_id", "id"])
    op.create_table(
        "suppressions",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(32), sa.ForeignKey("rights_requests.request_id"), nullable=False),
        sa.Column("key_fingerprint", sa.String(16), nullable=False),
        sa.Column("erased", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    op.drop_index("ix_rights_request_steps_request", table_name="rights_request_steps")
    op.drop_table("rights_request_steps")
    op.drop_index("ix_rights_requests_open", table_name="rights_requests")
    op.drop_index("ix_rights_requests_subject_id", table_name="rights_requests")
    op.drop_table("rights_requests")
