"""The releases table: each run of `hogo release run` (or `POST /api/v1/releases`) and its outcome.

A row is written `running` when a release is accepted, and becomes `done` in the same transaction
as the release's ledger entry (so a finished release and its record cannot disagree) or `failed`
with an error text that names no personal data. The manifest is the release's `manifest.json`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from hogo.store.tables import DONE, Base, RunColumns


class ReleaseRow(RunColumns, Base):
    __tablename__ = "releases"

    release_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), nullable=False)
    purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    recipient: Mapped[str] = mapped_column(String(64), nullable=False)


def mark_done(
    session: Session,
    *,
    release_id: str,
    mode: str,
    purpose: str,
    recipient: str,
    directory: str,
    manifest: dict[str, Any],
) -> None:
    """Record a finished release in the caller's transaction (the row is created if absent)."""
    now = datetime.now(UTC)
    row = session.get(ReleaseRow, release_id)
    if row is None:
        row = ReleaseRow(release_id=release_id, started_at=now)
        session.add(row)
    row.mode, row.purpose, row.recipient = mode, purpose, recipient
    row.status, row.finished_at, row.directory, row.error = DONE, now, directory, None
    row.manifest = json.dumps(manifest, ensure_ascii=False, default=str)
    session.flush()
