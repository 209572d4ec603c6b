"""Tables for rights requests (本人からの請求, 法32条〜35条): the case (its state and deadline as
columns for the board, the domain value as one document), its steps, and suppression entries.

A case names its person by `subject_id` only while the person exists: erasure clears it along
with the person's own words. The steps mirror the ledger entries (ids, codes, digests). A
suppression entry holds keyed HMAC tokens of a stopped or erased person's identifiers, never the
identifiers, so an import that would bring the person back is reported instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base, LedgeredStep, StoredDocument
from hogo.store.types import UTCDateTime


class RightsRequestRow(StoredDocument, Base):
    __tablename__ = "rights_requests"
    __table_args__ = (Index("ix_rights_requests_open", "state", "deadline"),)

    request_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    #: None once the person is erased (the case stays, as the answer's proof, without them).
    subject_id: Mapped[str | None] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: The deadline in force (extensions included), for the board's order.
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the answer discloses (a disclosure's content, the purposes notified), JSON; personal.
    content: Mapped[str | None] = mapped_column(Text)


class RightsRequestStepRow(LedgeredStep, Base):
    __tablename__ = "rights_request_steps"
    __table_args__ = (Index("ix_rights_request_steps_request", "request_id", "id"),)

    request_id: Mapped[str] = mapped_column(ForeignKey("rights_requests.request_id"), nullable=False)
    step: Mapped[str] = mapped_column(String(32), nullable=False)


class SuppressionRow(Base):
    __tablename__ = "suppressions"

    #: hex HMAC-SHA256 under the token key (matching.tokens), of kind ‖ normalised value.
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: subject_id, email or phone: which identifier the token is of (never the identifier).
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    request_id: Mapped[str] = mapped_column(ForeignKey("rights_requests.request_id"), nullable=False)
    #: The token key's fingerprint: entries made under a retired key no longer match.
    key_fingerprint: Mapped[str] = mapped_column(String(16), nullable=False)
    #: True after erasure: registering the person again is refused, not only consenting again.
    erased: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
