"""Table models of the foundation. Domain models live in hogo.domain; these only persist them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hogo.store.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class StoredDocument:
    """Columns of a row that keeps a domain model as its canonical JSON (the domain validates it
    again on load, so a new optional field needs no migration); the row's other columns are for
    lookups."""

    document: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class LedgeredStep:
    """Columns of a step in a case's history (an incident's timeline, a rights request's steps):
    its number in the order written, when, what in both languages, the canonical JSON of its
    payload, and the ledger entry it mirrors."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    summary_ja: Mapped[str] = mapped_column(Text, nullable=False)
    summary_en: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False)


#: The statuses of a run (`RunColumns.status`).
RUNNING, DONE, FAILED = "running", "done", "failed"


class RunColumns:
    """Columns of a run in the background (a release, a profile job, a segment export): its
    status, `running` when accepted, `done` in the same transaction as its ledger entry or `failed`
    with an error text that names no personal data; when it started and finished; its folder; its
    `manifest.json` once done; and the "host:pid" of the process running it, to find runs a
    stopped process left `running`."""

    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    directory: Mapped[str] = mapped_column(Text, nullable=False)
    manifest: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    runner: Mapped[str | None] = mapped_column(String(200), nullable=True)


class PolicyRevisionRow(Base):
    __tablename__ = "policy_revisions"

    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON of the Policy
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


class SubjectRow(Base):
    __tablename__ = "subjects"

    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    identity_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Contact channels, used for notices to persons (規則10条); never sent to the ledger.
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: The person's latest subject_added/subject_updated entry, whose payload seals this row.
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


class ConsentEventRow(Base):
    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_subject_purpose", "subject_id", "purpose_id", "collected_at"),)

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.subject_id"), nullable=False)
    purpose_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    terms_version: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    evidence: Mapped[str | None] = mapped_column(String(512))
    guardian_name: Mapped[str | None] = mapped_column(String(256))
    guardian_relation: Mapped[str | None] = mapped_column(String(64))
    foreign_transfer_info_given: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


class LegalExceptionRow(Base):
    __tablename__ = "legal_exceptions"

    exception_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.subject_id"), nullable=False, index=True)
    purpose_id: Mapped[str] = mapped_column(String(64), nullable=False)
    recipient_id: Mapped[str | None] = mapped_column(String(64))
    ground: Mapped[str] = mapped_column(String(32), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)


#: Entries of this kind are not in the ref index: each names a person by a random pseudonym, so
#: indexing it wrote a random page of the index per event appended (about half an append's time
#: at a million persons). A person's consent entries are found through their rows
#: (`consent_events.ledger_seq`) or, once erased, through the erasure entries
#: (`services.ledger.entries_for`).
UNINDEXED_REF_KIND = "consent_event"


class LedgerEntryRow(Base):
    """Append-only. `seq` is assigned by the ledger service, never by the database."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index(
            "ix_ledger_entries_ref",
            "ref",
            sqlite_where=text(f"kind <> '{UNINDEXED_REF_KIND}'"),
            postgresql_where=text(f"kind <> '{UNINDEXED_REF_KIND}'"),
        ),
        Index(
            "ix_ledger_entries_erasure",
            "seq",
            sqlite_where=text("kind = 'erasure'"),
            postgresql_where=text("kind = 'erasure'"),
        ),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    ref: Mapped[str] = mapped_column(String(256), nullable=False)
    recorded_at: Mapped[str] = mapped_column(String(40), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class LedgerHeadRow(Base):
    """The last appended entry, kept apart so a truncated tail is detected."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class LedgerTallyRow(Base):
    """Per bound table: row count and digest sum, written in the same transaction as its rows.

    The row named ``@checked`` holds the head (seq, hash) up to which the rows were last checked
    one by one, so the check before a release only needs the rows bound after it.
    """

    __tablename__ = "ledger_tallies"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)


class PersonKeyRow(Base):
    """A person's pseudonym and keys (crypto-shredding, `hogo.domain.shredding`); deleted on erasure.

    ``digest_key`` keys the HMAC digests of the person's bound rows (verification reads it, so it
    is not wrapped); ``wrapped_key`` is the AES-256 data key that seals the person's values in the
    ledger, wrapped (AES-256-GCM) by the master key named by ``master_key_id``.
    """

    __tablename__ = "person_keys"

    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    digest_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    master_key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
