"""Tables for provision records (法29条) and the persons each record covers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base
from hogo.store.types import UTCDateTime


class SealedPersonsColumns:
    """What a record of persons given (法29条) and one of persons received (法30条) both keep: the
    persons' number and digest, the record as canonical JSON (what the ledger seals), how long it
    is kept, and the ledger entry that seals it."""

    persons: Mapped[int] = mapped_column(Integer, nullable=False)
    persons_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    record: Mapped[str] = mapped_column(Text, nullable=False)
    retention_until: Mapped[date] = mapped_column(Date, nullable=False)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


class ProvisionRow(SealedPersonsColumns, Base):
    __tablename__ = "provisions"

    provision_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), nullable=False)
    purpose_id: Mapped[str] = mapped_column(String(64), nullable=False)
    recipient_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    provided_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ProvisionSubjectRow(Base):
    __tablename__ = "provision_subjects"

    provision_id: Mapped[str] = mapped_column(ForeignKey("provisions.provision_id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    basis: Mapped[str] = mapped_column(String(32), nullable=False)
    #: The record's ledger entry (the list is sealed there as a count and digest sum).
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
