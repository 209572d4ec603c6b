"""The ledger's ref index leaves consent events out; erasure entries get an index of their own.

Each consent event's entry names its person by a random pseudonym, so indexing its ref wrote one
random page of the index per event appended: about half an append's time at a million persons
(`benchmarks/ledger_v2.py`). A person's consent entries are found through their rows, or once
erased through the erasure entries that list them (`services.ledger.entries_for`), which the
second, small index finds without reading the ledger.

Revision ID: 1000_ledger_perf
Revises: 0980_related_info
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1000_ledger_perf"
down_revision = "0980_related_info"
branch_labels = None
depends_on = None

_NOT_CONSENT = sa.text("kind <> 'consent_event'")
_ERASURE = sa.text("kind = 'erasure'")


def upgrade() -> None:
    op.drop_index("ix_ledger_entries_ref", table_name="ledger_entries")
    op.create_index(
        "ix_ledger_entries_ref",
        "ledger_entries",
        ["ref"],
        sqlite_where=_NOT_CONSENT,
        postgresql_where=_NOT_CONSENT,
    )
    op.create_index(
        "ix_ledger_entries_erasure",
        "ledger_entries",
        ["seq"],
        sqlite_where=_ERASURE,
        postgresql_where=_ERASURE,
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_erasure", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_ref", table_name="ledger_entries")
    op.create_index("ix_ledger_entries_ref", "ledger_entries", ["ref"])
