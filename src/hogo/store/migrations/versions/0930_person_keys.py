"""Per-person keys for crypto-shredding; entries from here on are ledger v3.

Revision ID: 0930_person_keys
Revises: 0920_sites_campaigns

Entries already in the chain cannot be rewritten (the chain hashes each payload as stored), so
they keep their plain values and their rows keep unkeyed digests. The ``@v3`` tally row records
the head at the switch: rows bound to entries after it are digested with their person's key.
Persons get their keys on their first write after the upgrade (or by `hogo subject
master-key rotate`), so the migration needs no master key. See docs/ledger.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hogo.store.types import UTCDateTime

revision = "0930_person_keys"
down_revision = "0920_sites_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_keys",
        sa.Column("subject_id", sa.String(128), primary_key=True),
        sa.Column("pseudonym", sa.String(32), nullable=False, unique=True),
        sa.Column("digest_key", sa.LargeBinary, nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    conn = op.get_bind()
    head = conn.execute(sa.text("SELECT seq, hash FROM ledger_head WHERE id = 1")).first()
    seq, digest = (int(head[0]), str(head[1])) if head is not None else (0, "0" * 64)
    conn.execute(
        sa.text("INSERT INTO ledger_tallies (name, rows, digest) VALUES ('@v3', :seq, :digest)"),
        {"seq": seq, "digest": digest},
    )


def downgrade() -> None:
    op.execute("DELETE FROM ledger_tallies WHERE name = '@v3'")
    op.drop_table("person_keys")
