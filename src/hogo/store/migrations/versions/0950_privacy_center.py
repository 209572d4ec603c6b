"""The privacy center: the person's sessions and one-time e-mail codes.

Revision ID: 0950_privacy_center
Revises: 0920_sites_campaigns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0950_privacy_center"
down_revision = "0940_rights_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("subject_id", sa.String(128), sa.ForeignKey("subjects.subject_id"), nullable=False),
        sa.Column("verification", sa.String(16), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_privacy_sessions_subject_id", "privacy_sessions", ["subject_id"])
    op.create_index("ix_privacy_sessions_expires_at", "privacy_sessions", ["expires_at"])
    op.create_table(
        "privacy_email_codes",
        sa.Column("challenge_hash", sa.String(64), primary_key=True),
        sa.Column("subject_id", sa.String(128), sa.ForeignKey("subjects.subject_id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", UTCDateTime),
    )
    op.create_index("ix_privacy_email_codes_subject_id", "privacy_email_codes", ["subject_id"])
    op.create_index("ix_privacy_email_codes_address_hash", "privacy_email_codes", ["address_hash"])


def downgrade() -> None:
    op.drop_table("privacy_email_codes")
    op.drop_table("privacy_sessions")
