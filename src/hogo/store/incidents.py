"""Tables for incidents: the incident (its facts, assessment and tasks as one document), the
affected persons, the timeline, and the playbooks an officer applied over the defaults.

The incident document is re-validated by the domain on every load, so it can gain optional
fields without a migration; the columns beside it serve the board (step, deadlines) and lookups.
Affected persons get their own table because an incident may cover hundreds of thousands.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base, LedgeredStep, StoredDocument
from hogo.store.types import UTCDateTime


class IncidentRow(StoredDocument, Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    incident_type: Mapped[str] = mapped_column(String(32), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: 1–6 while open, None once every task is done or not applicable.
    current_step: Mapped[int | None] = mapped_column(Integer)
    reportable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    preliminary_due: Mapped[date | None] = mapped_column(Date)
    final_due: Mapped[date | None] = mapped_column(Date)


class IncidentSubjectRow(Base):
    __tablename__ = "incident_subjects"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True)


class IncidentTimelineRow(LedgeredStep, Base):
    __tablename__ = "incident_timeline"
    __table_args__ = (Index("ix_incident_timeline_incident", "incident_id", "id"),)

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)


class IncidentPlaybookRow(StoredDocument, Base):
    __tablename__ = "incident_playbooks"

    incident_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False)
