"""Ledger v2: rows bound to entries, running tallies, and the switch entry that commits to v1.

Existing rows get bound by their entries (a person to the latest subject entry for their ref, a
person list to its record's entry); each bound table's tally (row count, digest sum) is computed
once; and, when the ledger holds entries, one `ledger_v2` entry is appended whose payload holds
the v1 head hash and size and the tallies. Entries before it stay v1 and are verified as v1.

Revision ID: 0900_ledger_v2
Revises: 0810_login_known_clients
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from hogo.domain import binding as b
from hogo.domain.ledger import canonical, entry_hash
from hogo.store.types import UTCDateTime

revision = "0900_ledger_v2"
down_revision = "0810_login_known_clients"
branch_labels = None
depends_on = None

_NEW_SEQ = ("subjects", "provision_subjects", "received_provision_subjects")
_HAD_SEQ = ("policy_revisions", "consent_events", "legal_exceptions", "provisions", "received_provisions")

#: The bound tables' columns as this revision knows them (typed, so values read back as written).
_TYPES: dict[str, Any] = {
    "birth_date": sa.Date,
    "identity_verified": sa.Boolean,
    "foreign_transfer_info_given": sa.Boolean,
    "collected_at": UTCDateTime,
    "recorded_at": UTCDateTime,
    "valid_until": UTCDateTime,
    "applied_at": UTCDateTime,
    "provided_at": UTCDateTime,
    "received_at": UTCDateTime,
    "retention_until": sa.Date,
    "revision": sa.Integer,
    "persons": sa.Integer,
}


def _table(t: b.BoundTable) -> sa.TableClause:
    return sa.table(t.name, *[sa.column(c, _TYPES.get(c, sa.Text)) for c in (*t.columns, "ledger_seq")])


def upgrade() -> None:
    # The default (0, no entry) stays: a row inserted behind hogo's back without one is unbound.
    for name in _NEW_SEQ:
        op.add_column(name, sa.Column("ledger_seq", sa.Integer, nullable=False, server_default="0"))
    for name in (*_NEW_SEQ, *_HAD_SEQ):
        op.create_index(f"ix_{name}_ledger_seq", name, ["ledger_seq"])
    tallies = op.create_table(
        "ledger_tallies",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    conn = op.get_bind()
    _bind_existing(conn)
    _switch(conn, tallies)


def _bind_existing(conn: sa.Connection) -> None:
    entries = sa.table("ledger_entries", sa.column("seq"), sa.column("kind"), sa.column("ref"))
    subjects = sa.table("subjects", sa.column("subject_id", sa.String), sa.column("ledger_seq"))
    latest = (
        sa.select(sa.func.max(entries.c.seq))
        .where(entries.c.ref == sa.literal("subject:", sa.String) + subjects.c.subject_id)
        .where(entries.c.kind.in_(["subject_added", "subject_updated"]))
        .scalar_subquery()
    )
    conn.execute(sa.update(subjects).values(ledger_seq=sa.func.coalesce(latest, 0)))
    for people, records, key in (
        ("provision_subjects", "provisions", "provision_id"),
        ("received_provision_subjects", "received_provisions", "received_id"),
    ):
        p = sa.table(people, sa.column(key), sa.column("ledger_seq"))
        r = sa.table(records, sa.column(key), sa.column("ledger_seq"))
        seq = sa.select(r.c.ledger_seq).where(r.c[key] == p.c[key]).scalar_subquery()
        conn.execute(sa.update(p).values(ledger_seq=seq))


def _switch(conn: sa.Connection, tallies: sa.Table) -> None:
    """Tally every bound table; with a v1 chain, append the `ledger_v2` entry committing to it."""
    found: dict[str, b.Tally] = {}
    for t in b.BOUND:
        table = _table(t)
        total, rows = 0, 0
        for row in conn.execute(sa.select(*[table.c[c] for c in t.columns])):
            total += int(b.row_digest(t, list(row)), 16)
            rows += 1
        found[t.name] = b.Tally(rows, f"{total % b.MODULUS:064x}")
    head = conn.execute(sa.text("SELECT seq, hash FROM ledger_head WHERE id = 1")).first()
    records = [{"name": n, "rows": v.rows, "digest": v.digest} for n, v in found.items() if v.rows]
    if head is not None:
        v1_size, v1_head = int(head[0]), str(head[1])
        seq = v1_size + 1
        payload = canonical(
            {"v1_head": v1_head, "v1_size": v1_size, "tallies": {n: v.as_payload() for n, v in found.items()}}
        ).decode("utf-8")
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        digest = entry_hash(v1_head, seq, "ledger_v2", "ledger:v2", at, payload)
        conn.execute(
            sa.text(
                "INSERT INTO ledger_entries (seq, kind, ref, recorded_at, payload, prev_hash, hash) "
                "VALUES (:seq, 'ledger_v2', 'ledger:v2', :at, :payload, :prev, :hash)"
            ),
            {"seq": seq, "at": at, "payload": payload, "prev": v1_head, "hash": digest},
        )
        conn.execute(
            sa.text("UPDATE ledger_head SET seq = :seq, hash = :hash WHERE id = 1"),
            {"seq": seq, "hash": digest},
        )
        records += [
            {"name": "@v2", "rows": seq, "digest": v1_head},
            {"name": "@checked", "rows": seq, "digest": digest},
        ]
    if records:
        conn.execute(sa.insert(tallies), records)


def downgrade() -> None:
    # The ledger_v2 entry stays: the ledger is append-only, and v1 code reads it as any entry.
    op.drop_table("ledger_tallies")
    for name in (*_NEW_SEQ, *_HAD_SEQ):
        op.drop_index(f"ix_{name}_ledger_seq", name)
    for name in _NEW_SEQ:
        op.execute(f"ALTER TABLE {name} DROP COLUMN ledger_seq")
