"""Tables for records of data received from third parties (法30条) and the persons they cover."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.provisions import SealedPersonsColumns
from hogo.store.tables import Base
from hogo.store.types import UTCDateTime


class ReceivedProvisionRow(SealedPersonsColumns, Base):
    __tablename__ = "received_provisions"

    received_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_name: Mapped[str] = mapped_column(String(256), nullable=False)
    basis: Mapped[str] = mapped_column(String(16), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class ReceivedProvisionSubjectRow(Base):
    __tablename__ = "received_provision_subjects"

    received_id: Mapped[str] = mapped_column(ForeignKey("received_provisions.received_id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    #: The record's ledger entry (the list is sealed there as a count and digest sum).
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
