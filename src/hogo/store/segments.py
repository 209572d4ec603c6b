"""Tables of 個人関連情報 segment exports (法31条) and the confirmation records they keep.

`segment_exports`: each export, `running` when accepted, `done` in the same transaction as its
ledger entry (`related_info_provision`, ref `segment:ID`) and its confirmation records, or
`failed` with a text that names no data. `related_info_confirmations`: the provider's record of
each confirmation (法31条3項, applying 法30条3項・4項): when, for which recipient, which items, the
consent's time and method as the recipient stated them and the result, each kept until
`retention_until` (3 years; 1 year where a contract stands in) and then deleted by a purge
(`hogo.services.segment_purge`). Identifiers are stored as keyed tokens only (HMAC under the token
key), never in clear.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base, RunColumns
from hogo.store.types import UTCDateTime


class SegmentExportRow(RunColumns, Base):
    __tablename__ = "segment_exports"

    export_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    identifier_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: The provision time the confirmations are judged at.
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    output_file: Mapped[str] = mapped_column(String(64), nullable=False)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RelatedInfoConfirmationRow(Base):
    __tablename__ = "related_info_confirmations"

    export_id: Mapped[str] = mapped_column(ForeignKey("segment_exports.export_id"), primary_key=True)
    #: HMAC-SHA256 of the identifier under the token key (kind mixed in), never the identifier.
    identifier_token: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    identifier_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    recipient_name: Mapped[str] = mapped_column(String(256), nullable=False)
    #: The items provided (JSON list of names).
    items: Mapped[str] = mapped_column(Text, nullable=False)
    consent_obtained_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    method: Mapped[str] = mapped_column(String(200), nullable=False)
    foreign_info_given: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: `RELATED_INFO_CONFIRMED` or the reason code the confirmation failed on (`hogo.domain.reasons`).
    result: Mapped[str] = mapped_column(String(64), nullable=False)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    record_form: Mapped[str] = mapped_column(String(16), nullable=False)
    retention_until: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
