"""Member sites with origins and signing keys, used token ids, re-consent campaigns.

Revision ID: 0920_sites_campaigns
Revises: 0810_login_known_clients
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0920_sites_campaigns"
down_revision = "0910_ledger_tree"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("privacy_center_url", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("disabled_at", UTCDateTime),
    )
    op.create_table(
        "site_origins",
        sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.site_id"), primary_key=True),
        sa.Column("origin", sa.String(255), primary_key=True),
    )
    op.create_index("ix_site_origins_origin", "site_origins", ["origin"])
    op.create_table(
        "site_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.site_id"), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("material", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("retires_at", UTCDateTime),
    )
    op.create_index("ix_site_keys_site_id", "site_keys", ["site_id"])
    op.create_table(
        "used_tokens",
        sa.Column("jti_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_used_tokens_expires_at", "used_tokens", ["expires_at"])
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.site_id")),
        sa.Column("purposes", sa.Text, nullable=False),
        sa.Column("selected_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("frozen_at", UTCDateTime),
        sa.Column("target_count", sa.Integer, nullable=False),
        sa.Column("target_digest", sa.String(64), nullable=False),
        sa.Column("ledger_seq", sa.Integer),
        sa.Column("ended_at", UTCDateTime),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.campaign_id"), primary_key=True),
        sa.Column("subject_id", sa.String(128), sa.ForeignKey("subjects.subject_id"), primary_key=True),
        sa.Column("first_seen_at", UTCDateTime),
        sa.Column("dismissed_at", UTCDateTime),
    )
    op.create_index("ix_campaign_targets_subject", "campaign_targets", ["subject_id"])


def downgrade() -> None:
    op.drop_table("campaign_targets")
    op.drop_table("campaigns")
    op.drop_table("used_tokens")
    op.drop_table("site_keys")
    op.drop_table("site_origins")
    op.drop_table("sites")
