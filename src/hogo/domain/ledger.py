"""The hash chain behind the tamper-evident ledger.

Each entry's hash covers its sequence number, kind, subject of the entry, time, payload and the
previous entry's hash, over a canonical JSON encoding (sorted keys, no spaces, UTF-8). Changing,
deleting, inserting or reordering any entry therefore breaks the chain at that entry, and a
truncated tail is caught against the separately stored head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import astuple, dataclass
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64


class EntryKind(StrEnum):
    policy_applied = "policy_applied"
    subject_added = "subject_added"
    subject_updated = "subject_updated"
    consent_event = "consent_event"
    legal_exception = "legal_exception"
    provision = "provision"
    processing = "processing"
    incident = "incident"
    inventory = "inventory"
    readiness = "readiness"
    backup = "backup"
    #: A user or API token created, (de)activated or revoked: who may see personal data.
    access = "access"
    #: Personal data received from a third party (法30条 record, recipient side).
    provision_received = "provision_received"
    #: A re-consent campaign's frozen target list (count and digest, never the persons).
    campaign = "campaign"
    #: The switch from entry format v1 to v2 (payload: the v1 head and size it commits to).
    ledger_v2 = "ledger_v2"
    #: A person erased (法35条): the entries whose rows were deleted, never whose they were.
    erasure = "erasure"
    #: A step of a rights request (法32条〜35条): ids, codes and digests, the person by ref only.
    rights_request = "rights_request"
    #: 個人関連情報 provided after the recipient's consent was confirmed (法31条): counts and digests.
    related_info_provision = "related_info_provision"
    #: 法31条3項 confirmation records past their retention deleted: per export, counts and digests.
    related_info_purge = "related_info_purge"


#: Made once: `json.dumps` with any non-default option builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
).encode


def canonical(value: Any) -> bytes:
    """One byte string per value, whatever the key order or platform."""
    return _CANONICAL(value).encode("utf-8")


def canonical_sha256(value: Any) -> str:
    """The SHA-256 (hex) of the value's canonical bytes: the digest an entry cites for a document
    it does not carry (an answer's notice, a readiness assessment, a profile's features)."""
    return hashlib.sha256(canonical(value)).hexdigest()


SEPARATOR = "\x1f"  # ASCII unit separator; refused inside kind, ref and recorded_at


def entry_hash(prev_hash: str, seq: int, kind: str, ref: str, recorded_at: str, payload_json: str) -> str:
    head = f"{prev_hash}{SEPARATOR}{seq}{SEPARATOR}{kind}{SEPARATOR}{ref}{SEPARATOR}{recorded_at}{SEPARATOR}"
    return hashlib.sha256((head + payload_json).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """An entry as stored; `payload_json` is the canonical encoding, kept verbatim."""

    seq: int
    kind: str
    ref: str
    recorded_at: str
    payload_json: str
    prev_hash: str
    hash: str

    def __iter__(self) -> Iterator[Any]:
        return iter(astuple(self))

    def payload(self) -> Mapping[str, Any]:
        result: Mapping[str, Any] = json.loads(self.payload_json)
        return result


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(
    rows: Iterable[Sequence[Any]], expected_head: str | None = None, *, after: tuple[int, str] = (0, GENESIS)
) -> Verification:
    """Walk the chain in storage order; report the first entry that does not fit.

    Rows are (seq, kind, ref, recorded_at, payload_json, prev_hash, hash) tuples or LedgerRow;
    plain tuples keep verification at hundreds of thousands of entries a second. ``after`` is
    the (seq, hash) the rows continue from: a part of the chain is walked on its own from the
    entry before it (`services.ledger` verifies two parts at once), the whole from genesis.
    """
    expected_seq, prev = after[0] + 1, after[1]
    count = 0
    sha256 = hashlib.sha256
    sep = SEPARATOR
    for seq, kind, ref, recorded_at, payload_json, prev_hash, digest in rows:
        if seq != expected_seq:
            what = "missing or deleted entry" if seq > expected_seq else "entry out of order"
            return Verification(False, count, prev, expected_seq, f"{what}: found seq {seq}")
        if prev_hash != prev:
            return Verification(False, count, prev, seq, "previous-hash link broken")
        head = f"{prev}{sep}{seq}{sep}{kind}{sep}{ref}{sep}{recorded_at}{sep}{payload_json}"
        if sha256(head.encode("utf-8")).hexdigest() != digest:
            return Verification(False, count, prev, seq, "entry content modified")
        prev = digest
        expected_seq += 1
        count += 1
    if expected_head is not None and expected_head != prev:
        return Verification(
            False,
            count,
            prev,
            expected_seq,
            "chain and its recorded head disagree (entries removed from the end?)",
        )
    return Verification(True, count, prev)
