"""The profile runs table: each run of a profile job (`hogo profile run`, `POST /api/v1/profiles`).

A row is written `running` when a job is accepted and becomes `done` in the same transaction as
the run's ledger entry (`processing`, ref `profile:ID`), so a recorded run and its row cannot
disagree, or `failed` with an error text that names no personal data. The manifest is the run's
`manifest.json`; `output_sha256` is the SHA-256 of the output file as it is now (erasure
rewrites the file without the erased person's rows and updates it, `hogo.services.profiles`).
No person and no score is stored here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from hogo.store.tables import DONE, Base, RunColumns
from hogo.store.types import UTCDateTime


class ProfileRunRow(RunColumns, Base):
    __tablename__ = "profile_runs"

    profile_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    #: The run time the decisions are made at.
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: The output file's name in the folder (profiles.parquet or profiles.csv).
    output_file: Mapped[str] = mapped_column(String(64), nullable=False)
    #: SHA-256 of the output file now (updated when erasure removes rows); set when done.
    output_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    profiled: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Rows removed since the run by erasure (counts only).
    rows_erased: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


def mark_done(session: Session, profile_id: str, output_file: str, manifest: dict[str, Any]) -> None:
    """Record a finished run in the caller's transaction (the one appending its ledger entry)."""
    row = session.get(ProfileRunRow, profile_id)
    assert row is not None, "a run is accepted (its running row written) before it is recorded"
    row.status, row.finished_at, row.error = DONE, datetime.now(UTC), None
    row.output_sha256 = manifest["files"][output_file]
    row.profiled = int(manifest["counts"]["profiled"])
    row.ledger_seq = int(manifest["ledger_seq"])
    row.manifest = json.dumps(manifest, ensure_ascii=False, default=str)
    session.flush()
