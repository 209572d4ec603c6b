"""Tables for the readiness inventory and the assessments that make the score's history.

Assets and backup jobs are stored as the canonical JSON of their domain model, with the fields
used for lookups in columns: the domain validates every document again when it is loaded, so a
new optional field needs no migration.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base, StoredDocument
from hogo.store.types import UTCDateTime


class ReadinessAssetRow(StoredDocument, Base):
    __tablename__ = "readiness_assets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)


class ReadinessBackupJobRow(StoredDocument, Base):
    __tablename__ = "readiness_backup_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), nullable=False)


class ReadinessAnswerRow(Base):
    __tablename__ = "readiness_answers"

    question_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    answer: Mapped[str] = mapped_column(String(32), nullable=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ReadinessAssessmentRow(Base):
    __tablename__ = "readiness_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    assessed_on: Mapped[date] = mapped_column(Date, nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    grade: Mapped[str] = mapped_column(String(2), nullable=False)
    passed: Mapped[int] = mapped_column(Integer, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, nullable=False)
    failed_critical: Mapped[int] = mapped_column(Integer, nullable=False)
    findings: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON of the findings
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False)
