"""The profile runs table: each recorded run of a profile job (`hogo profile run`, `POST
/api/v1/profiles`).

A row is written in the same transaction as the run's ledger entry (`processing`, ref
`profile:ID`), so a recorded run and its row cannot disagree; a run that fails leaves neither. The
manifest is the run's `manifest.json`; `output_sha256` is the SHA-256 of the output file as it is
now (erasure rewrites the file without the erased person's rows and updates it, see
`hogo.services.profiles`). No person and no score is stored here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from hogo.store.tables import Base
from hogo.store.types import UTCDateTime


class ProfileRunRow(Base):
    __tablename__ = "profile_runs"

    profile_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    #: The run time the decisions were made at.
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    directory: Mapped[str] = mapped_column(Text, nullable=False)
    #: The output file's name in the folder (profiles.parquet or profiles.csv).
    output_file: Mapped[str] = mapped_column(String(64), nullable=False)
    #: SHA-256 of the output file now (updated when erasure removes rows).
    output_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    profiled: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Rows removed since the run by erasure (counts only).
    rows_erased: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    manifest: Mapped[str] = mapped_column(Text, nullable=False)  # manifest.json as recorded


def add_run(
    session: Session,
    *,
    profile_id: str,
    purpose: str,
    run_at: datetime,
    directory: str,
    output_file: str,
    manifest: dict[str, Any],
) -> None:
    """Record a run in the caller's transaction (the one appending its ledger entry)."""
    session.add(
        ProfileRunRow(
            profile_id=profile_id,
            purpose=purpose,
            run_at=run_at,
            recorded_at=datetime.now(UTC),
            directory=directory,
            output_file=output_file,
            output_sha256=manifest["files"][output_file],
            profiled=int(manifest["counts"]["profiled"]),
            rows_erased=0,
            ledger_seq=int(manifest["ledger_seq"]),
            manifest=json.dumps(manifest, ensure_ascii=False, default=str),
        )
    )
    session.flush()
