"""Tables for records of data received from third parties (法30条) and the persons they cover."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base
from hogo.store.types import UTCDateTime


class ReceivedProvisionRow(Base):
    __tablename__ = "received_provisions"

    received_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_name: Mapped[str] = mapped_column(String(256), nullable=False)
    basis: Mapped[str] = mapped_column(String(16), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    persons: Mapped[int] = mapped_column(Integer, nullable=False)
    persons_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # The ReceivedProvisionRecord as canonical JSON (what the ledger seals).
    record: Mapped[str] = mapped_column(Text, nullable=False)
    retention_until: Mapped[date] = mapped_column(Date, nullable=False)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


class ReceivedProvisionSubjectRow(Base):
    __tablename__ = "received_provision_subjects"

    received_id: Mapped[str] = mapped_column(ForeignKey("received_provisions.received_id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    #: The record's ledger entry (the list is sealed there as a count and digest sum).
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
