"""The privacy center's ways in: the person's sessions and the one-time codes sent by e-mail.

Both hold only digests of what the person's browser or mailbox holds (the session id, the code,
the code's challenge id), never the values, and both end soon: a session lives minutes, a code
ten. Rows name the subject, so erasing a person removes them (`services.privacy_access.forget`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base
from hogo.store.types import UTCDateTime


class PersonSessionRow(Base):
    """A person's privacy-center session (its own cookie, apart from the officer console's)."""

    __tablename__ = "privacy_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.subject_id"), nullable=False, index=True)
    #: How the person was identified (法33条/通則編 3-8): `signed_link` or `email_code`.
    verification: Mapped[str] = mapped_column(String(16), nullable=False)
    #: The member site that sent the person (signed links), or "" (codes, links minted over the API).
    site_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class EmailCodeRow(Base):
    """A one-time code sent to the person's registered e-mail address."""

    __tablename__ = "privacy_email_codes"

    #: SHA-256 of the challenge id the browser keeps in the code form.
    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.subject_id"), nullable=False, index=True)
    #: HMAC-SHA256 of the code under a key derived from HOGO_SECRET_KEY (a bare hash of six digits
    #: would be reversed by trying them all).
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    #: HMAC of the normalised address: codes sent to one address are counted for the rate limit.
    address_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
