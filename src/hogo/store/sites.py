"""Member sites (registered origins and signing keys), used token ids, the consent notice's
rate windows, and re-consent campaigns.

A site's HS256 secret is stored sealed (AES-256-GCM under a key derived from HOGO_SECRET_KEY):
hogo must read it back to verify a signature, so a hash will not do, but a copy of the database
alone does not let anyone mint tokens. EdDSA public keys are stored as given (PEM).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base
from hogo.store.types import UTCDateTime


class SiteRow(Base):
    __tablename__ = "sites"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    privacy_center_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SiteOriginRow(Base):
    __tablename__ = "site_origins"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), primary_key=True)
    origin: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class SiteKeyRow(Base):
    __tablename__ = "site_keys"

    #: The JWT header's `kid`.
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), nullable=False, index=True)
    algorithm: Mapped[str] = mapped_column(String(16), nullable=False)
    #: HS256: the secret sealed with hogo's key; EdDSA: the public key (PEM).
    material: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: Set when the key is rotated out: tokens signed with it are accepted until then.
    retires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsedTokenRow(Base):
    """A token id (`jti`) already used, kept until the token would have expired anyway."""

    __tablename__ = "used_tokens"

    #: SHA-256 of "site_id, audience, jti": a token id is unique per issuer and use.
    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class RateWindowRow(Base):
    """Calls counted for one budget in one minute (`services.rate_limits`): a fixed window,
    shared by every server process. Rows older than the current minute are deleted as new
    minutes begin."""

    __tablename__ = "rate_windows"

    #: The budget's name and what it counts, keyed (HMAC) so that no person's id is stored.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Minutes since the Unix epoch (UTC).
    minute: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)


class CampaignRow(Base):
    __tablename__ = "campaigns"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.site_id"))
    #: JSON list of purpose ids the campaign asks about.
    purposes: Mapped[str] = mapped_column(Text, nullable=False)
    selected_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    target_digest: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    ledger_seq: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignTargetRow(Base):
    __tablename__ = "campaign_targets"
    __table_args__ = (Index("ix_campaign_targets_subject", "subject_id"),)

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.subject_id"), primary_key=True)
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
