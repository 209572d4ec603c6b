"""Foundation: policy revisions, subjects, consent events, legal exceptions, ledger.

Revision ID: 0001_foundation
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_revisions",
        sa.Column("revision", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("applied_at", UTCDateTime, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "subjects",
        sa.Column("subject_id", sa.String(128), primary_key=True),
        sa.Column("birth_date", sa.Date),
        sa.Column("identity_verified", sa.Boolean, nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(32)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "consent_events",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("subject_id", sa.String(128), sa.ForeignKey("subjects.subject_id"), nullable=False),
        sa.Column("purpose_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("terms_version", sa.String(64)),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("collected_at", UTCDateTime, nullable=False),
        sa.Column("evidence", sa.String(512)),
        sa.Column("guardian_name", sa.String(256)),
        sa.Column("guardian_relation", sa.String(64)),
        sa.Column("foreign_transfer_info_given", sa.Boolean, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_consent_events_subject_purpose", "consent_events", ["subject_id", "purpose_id", "collected_at"]
    )
    op.create_table(
        "legal_exceptions",
        sa.Column("exception_id", sa.String(128), primary_key=True),
        sa.Column("subject_id", sa.String(128), sa.ForeignKey("subjects.subject_id"), nullable=False),
        sa.Column("purpose_id", sa.String(64), nullable=False),
        sa.Column("recipient_id", sa.String(64)),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("valid_until", UTCDateTime),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_legal_exceptions_subject_id", "legal_exceptions", ["subject_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(256), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_ledger_entries_ref", "ledger_entries", ["ref"])
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for name in ("ledger_head", "ledger_entries", "legal_exceptions", "consent_events", "subjects"):
        op.drop_table(name)
    op.drop_table("policy_revisions")
