"""Rows bound to ledger entries: which tables, their canonical form, digests and running tallies.

Why: decisions read tables (consent events, exceptions, persons, records), not the ledger. A row
edited behind hogo's back while the chain stays intact would change a decision unseen. So each
such row carries the sequence number of its entry, and the entry's payload holds the digest of
the row's canonical form (``"row"``; a record's person list as ``"persons_rows"``: count and an
order-independent sum of its rows' digests). Verification recomputes the digests from the rows.

A running tally per table (row count and the sum of row digests mod 2**256) is kept beside the
chain and updated in the same transaction as every write; sums are order-independent, so adding
or removing one row changes the tally by that row's digest alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from hogo.domain.ledger import EntryKind

MODULUS = 1 << 256
ZERO = "0" * 64


@dataclass(frozen=True, slots=True)
class BoundTable:
    """One bound table: its columns in canonical order, key, entry kinds and parent (person lists)."""

    name: str
    key: str
    columns: tuple[str, ...]
    kinds: frozenset[EntryKind]
    #: A person list: its rows share the ledger entry of the record named by ``parent``.
    parent: str | None = None
    #: The key names a person (本人): never shown in a finding.
    personal_key: bool = False


_CONSENT_COLUMNS = (
    "event_id", "subject_id", "purpose_id", "action", "terms_version", "method", "collected_at",
    "evidence", "guardian_name", "guardian_relation", "foreign_transfer_info_given",
)  # fmt: skip
_PROVISION_COLUMNS = (
    "provision_id", "mode", "purpose_id", "recipient_id", "provided_at", "persons", "persons_sha256",
    "record", "retention_until",
)  # fmt: skip
_RECEIVED_COLUMNS = (
    "received_id", "provider_name", "basis", "received_at", "persons", "persons_sha256", "record",
    "retention_until",
)  # fmt: skip

SUBJECTS = BoundTable(
    "subjects",
    "subject_id",
    ("subject_id", "birth_date", "identity_verified", "email", "phone"),
    frozenset({EntryKind.subject_added, EntryKind.subject_updated}),
    personal_key=True,
)
CONSENT_EVENTS = BoundTable(
    "consent_events", "event_id", _CONSENT_COLUMNS, frozenset({EntryKind.consent_event})
)
LEGAL_EXCEPTIONS = BoundTable(
    "legal_exceptions",
    "exception_id",
    (
        "exception_id",
        "subject_id",
        "purpose_id",
        "recipient_id",
        "ground",
        "recorded_at",
        "valid_until",
        "note",
    ),
    frozenset({EntryKind.legal_exception}),
)
POLICY_REVISIONS = BoundTable(
    "policy_revisions",
    "revision",
    ("revision", "applied_at", "sha256", "document"),
    frozenset({EntryKind.policy_applied}),
)
PROVISIONS = BoundTable("provisions", "provision_id", _PROVISION_COLUMNS, frozenset({EntryKind.provision}))
PROVISION_SUBJECTS = BoundTable(
    "provision_subjects",
    "provision_id",
    ("provision_id", "subject_id", "basis"),
    frozenset({EntryKind.provision}),
    parent="provisions",
)
RECEIVED = BoundTable(
    "received_provisions", "received_id", _RECEIVED_COLUMNS, frozenset({EntryKind.provision_received})
)
RECEIVED_SUBJECTS = BoundTable(
    "received_provision_subjects",
    "received_id",
    ("received_id", "subject_id"),
    frozenset({EntryKind.provision_received}),
    parent="received_provisions",
)

#: Every bound table, records before their person lists.
BOUND: tuple[BoundTable, ...] = (
    POLICY_REVISIONS,
    SUBJECTS,
    CONSENT_EVENTS,
    LEGAL_EXCEPTIONS,
    PROVISIONS,
    PROVISION_SUBJECTS,
    RECEIVED,
    RECEIVED_SUBJECTS,
)
BY_NAME: dict[str, BoundTable] = {t.name: t for t in BOUND}
#: Entry kinds whose entries each bind one row of a (non-list) table.
BOUND_KINDS: frozenset[str] = frozenset(k.value for t in BOUND for k in t.kinds)

#: Payload keys: the row's digest, and a person list's count and digest sum.
ROW = "row"
PERSONS_ROWS = "persons_rows"


def plain(value: Any) -> Any:
    """A column value as JSON sees it, the same before a write and after a read on either database."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a bound row")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


_SIMPLE = frozenset({str, int, bool, type(None)})
#: `json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`, made once:
#: `json.dumps` with any non-default option builds a new encoder on every call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def row_digest(table: BoundTable, values: Mapping[str, Any] | Iterable[Any], key: bytes | None = None) -> str:
    """The digest of the table name and the row's columns in canonical order (hex): SHA-256, or
    with ``key`` (the person's digest key, a row that names a person) HMAC-SHA256, so that once
    the key is destroyed no guessed row can be confirmed against the digest in the ledger."""
    text = row_text(table, values).encode("utf-8")
    if key is not None:
        return KeyedDigest(key).hex(text)
    return hashlib.sha256(text).hexdigest()


def row_text(table: BoundTable, values: Mapping[str, Any] | Iterable[Any]) -> str:
    """The row's canonical form, which its digest covers: ``["table", [values]]`` as compact JSON,
    each value as `plain` gives it."""
    simple = _SIMPLE
    row = [values[c] for c in table.columns] if isinstance(values, Mapping) else values
    return _encode([table.name, [v if type(v) in simple else plain(v) for v in row]])


_BLOCK = 64  # SHA-256's block size
_INNER = bytes(x ^ 0x36 for x in range(256))
_OUTER = bytes(x ^ 0x5C for x in range(256))


class KeyedDigest:
    """HMAC-SHA256 under one key (RFC 2104), the key's two padded blocks hashed once.

    Why not `hmac.digest`: with OpenSSL 3 every one-shot call looks the digest up again
    (``EVP_MD_fetch``), about 3 µs, three times the hashing itself; a row digest is made per row
    written and per row verified. Here each digest is two copies of prepared SHA-256 states and
    two updates. Equal to `hmac.digest(key, data, "sha256")` for every key and message
    (tests/domain/test_keyed_digest.py).
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER))
        self._outer = hashlib.sha256(key.translate(_OUTER))

    def hex(self, data: bytes) -> str:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def keyed_hex(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under ``key`` (hex) in one go, equal to `KeyedDigest`'s and to
    `hmac.digest(key, data, "sha256").hex()` (tests/domain/test_keyed_digest.py).

    Why beside `KeyedDigest`: preparing its two states pays off only when a key digests several
    rows in a row. The full verify meets each person's rows far apart, and an append seals a
    batch of mostly different persons: there two hashes of the padded key joined to the data
    cost about a third less than preparing the states for one use.
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_INNER) + data).digest()
    return hashlib.sha256(key.translate(_OUTER) + inner).hexdigest()


def personal(table: BoundTable) -> bool:
    """Rows of this table name a person: from ledger v3 their digests are keyed per person."""
    return "subject_id" in table.columns


def add(total: str, digest: str) -> str:
    """``total + digest`` mod 2**256, both as 64 hex digits."""
    return f"{(int(total, 16) + int(digest, 16)) % MODULUS:064x}"


def subtract(total: str, digest: str) -> str:
    """``total - digest`` mod 2**256 (a row leaves the table)."""
    return f"{(int(total, 16) - int(digest, 16)) % MODULUS:064x}"


def digest_sum(digests: Iterable[str]) -> str:
    """The order-independent sum of many digests."""
    return f"{sum(int(d, 16) for d in digests) % MODULUS:064x}"


@dataclass(frozen=True, slots=True)
class Tally:
    """A table's row count and digest sum."""

    rows: int = 0
    digest: str = ZERO

    def plus(self, other: Tally) -> Tally:
        return Tally(self.rows + other.rows, add(self.digest, other.digest))

    def as_payload(self) -> dict[str, Any]:
        return {"rows": self.rows, "digest": self.digest}


def tally_of(digests: Iterable[str]) -> Tally:
    items = list(digests)
    return Tally(len(items), digest_sum(items))


@dataclass(frozen=True, slots=True)
class Finding:
    """The first disagreement between a table and the ledger; never names a person."""

    table: str
    key: str | None
    seq: int | None
    problem_ja: str
    problem_en: str

    def text(self) -> str:
        where = f"{self.table}" + (f" [{self.key}]" if self.key is not None else "")
        at = f" (台帳 #{self.seq} / entry #{self.seq})" if self.seq is not None else ""
        return f"{where}{at}: {self.problem_ja} / {self.problem_en}"


def shown_key(table: BoundTable, key: Any) -> str | None:
    """The key a finding may show: none for a person's own id (personal data)."""
    return None if table.personal_key else str(key)
