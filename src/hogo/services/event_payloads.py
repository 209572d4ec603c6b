"""Ledger payloads and row digests of consent events, a batch at a time: bulk imports and
`consent.record_events` (every other writer of consent events) encode here.

Why: the import encoded each event with `event_digest` and `canonical(event_payload(…))`, two
`json.dumps` and a pydantic dump per row (about 8 µs). The encoding is fixed text around values
that the id patterns and codes keep free of anything JSON escapes, so here it is one format string
per row; only free text that needs escaping (a quote, a backslash, a control character) goes
through `json.dumps`. The result is byte for byte what the single-event path writes (`Encoded`;
tests/store/test_event_payloads.py compares both on generated events), so a bulk-imported event
and a captured one are bound and verified alike.

If the payload of a consent event changes (`services.consent.event_payload`), change
`_payloads` with it: that test fails until both agree.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import TypeAdapter

from hogo.domain import shredding as sh
from hogo.domain.binding import CONSENT_EVENTS, KeyedDigest, keyed_hex
from hogo.files.event_columns import EventColumns

_UNSAFE = re.compile(r'["\\\x00-\x1f]')
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


@dataclass(frozen=True, slots=True)
class Encoded:
    """Per event: its ledger ref and payload (canonical JSON), its row's digest, and
    `collected_at` in UTC as the store keeps it (``YYYY-MM-DD HH:MM:SS.ffffff``, naive). An
    event of a person without keys (not registered) has an empty ref, payload and digest."""

    refs: list[str]
    payloads: list[str]
    digests: list[str]
    stored_at: list[str]


def encode(events: EventColumns, keys: Mapping[str, sh.PersonKeys]) -> Encoded:
    """The batch's refs, payloads and row digests: `person_ref`, `event_payload(e, digest, keys)`
    (its sealed values under a fresh nonce) and `event_digest(e, digest_key)`."""
    shown, utc, stored_at = _instants(events.collected_at)
    texts = {
        name: _json_texts(getattr(events, name))
        for name in ("terms_version", "evidence", "guardian_name", "guardian_relation")
    }
    flags = ["true" if f else "false" for f in events.foreign_transfer_info_given]
    persons = [keys.get(s) for s in events.subject_id]
    repeated = _repeated(events.subject_id)
    digests = _digests(events.subject_id, persons, _row_texts(events, utc, texts, flags), repeated)
    payloads = _payloads(events, shown, texts, flags, digests, persons, repeated)
    refs = [sh.person_ref(k.pseudonym) if k else "" for k in persons]
    return Encoded(refs, payloads, digests, stored_at)


def _repeated(subject_ids: list[str]) -> frozenset[str]:
    """The persons with more than one event in the batch: only their cipher and digest key are
    prepared once and kept for the batch.

    Why not keep every person's: a batch of consent events usually names each person once, and
    holding 10,000 AES-GCM contexts (and 20,000 prepared hash states) at once cost about 2 µs an
    event more than making each, using it and dropping it."""
    counts = Counter(subject_ids)
    if len(counts) == len(subject_ids):
        return frozenset()
    return frozenset(s for s, n in counts.items() if n > 1)


def _digests(
    subject_ids: list[str], persons: list[sh.PersonKeys | None], rows: list[str], repeated: frozenset[str]
) -> list[str]:
    """Each row's digest under its person's digest key (HMAC-SHA256); none without keys."""
    prepared: dict[str, Callable[[bytes], str]] = {}
    keyed = keyed_hex
    digests: list[str] = []
    append = digests.append
    for s, k, row in zip(subject_ids, persons, rows, strict=True):
        if k is None:
            append("")
        elif s in repeated:
            digest = prepared.get(s)
            if digest is None:
                digest = prepared[s] = KeyedDigest(k.digest_key).hex
            append(digest(row.encode("utf-8")))
        else:
            append(keyed(k.digest_key, row.encode("utf-8")))
    return digests


def stored_text(value: datetime) -> str:
    """An aware instant as the store keeps it: naive UTC text with microseconds (what SQLAlchemy
    writes to SQLite; PostgreSQL parses it into the same timestamp)."""
    return _stored(value.astimezone(UTC).isoformat(timespec="microseconds"))


def _stored(utc: str) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` from the UTC ISO text ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``."""
    return f"{utc[:10]} {utc[11:26]}"


def _row_texts(e: EventColumns, utc: list[str], texts: dict[str, list[str]], flags: list[str]) -> list[str]:
    """What `domain.binding.row_digest(CONSENT_EVENTS, …)` digests: the row's canonical JSON."""
    head = json.dumps(CONSENT_EVENTS.name)
    return [
        f'[{head},["{i}","{s}","{p}","{a}",{t},"{m}","{c}",{ev},{gn},{gr},{f}]]'
        for i, s, p, a, t, m, c, ev, gn, gr, f in zip(
            e.event_id,
            e.subject_id,
            e.purpose_id,
            e.action,
            texts["terms_version"],
            e.method,
            utc,
            texts["evidence"],
            texts["guardian_name"],
            texts["guardian_relation"],
            flags,
            strict=True,
        )
    ]


def _payloads(
    e: EventColumns,
    shown: list[str],
    texts: dict[str, list[str]],
    flags: list[str],
    digests: list[str],
    persons: list[sh.PersonKeys | None],
    repeated: frozenset[str],
) -> list[str]:
    """`canonical(event_payload(event, digest, keys))`: the event's fields in clear, the person by
    pseudonym, `sh.EVENT_FIELDS` sealed under the person's data key, and the row digest, keys
    sorted. One AES-GCM per event; a cipher per person (kept for the batch only when the person
    has more events in it, `_repeated`); the batch's random nonces drawn at once (one system call
    instead of one per event)."""
    ciphers: dict[str, AESGCM] = {}
    seal = sh.seal_text
    nonces = sh.new_nonces(len(persons))
    payloads: list[str] = []
    append = payloads.append
    for k, a, c, i, ev, f, gn, gr, m, p, d, s, t, n in zip(
        persons,
        e.action,
        shown,
        e.event_id,
        texts["evidence"],
        flags,
        texts["guardian_name"],
        texts["guardian_relation"],
        e.method,
        e.purpose_id,
        digests,
        e.subject_id,
        texts["terms_version"],
        nonces,
        strict=True,
    ):
        if k is None:
            append("")
            continue
        cipher = ciphers.get(s)
        if cipher is None:
            assert k.data_key is not None, "sealing needs the person's data key"
            cipher = AESGCM(k.data_key)
            if s in repeated:
                ciphers[s] = cipher
        append(
            f'{{"action":"{a}","collected_at":"{c}","event_id":"{i}",'
            f'"foreign_transfer_info_given":{f},"method":"{m}","person":"{k.pseudonym}","purpose_id":"{p}",'
            f'"row":"{d}","sealed":"{seal(cipher, k.pseudonym, _sealed_text(ev, gn, gr, s), n)}",'
            f'"terms_version":{t}}}'
        )
    return payloads


def _sealed_text(evidence: str, guardian_name: str, guardian_relation: str, subject_id: str) -> str:
    """The canonical JSON `sh.seal` writes of `sh.EVENT_FIELDS` (values already JSON, keys sorted)."""
    return (
        f'{{"evidence":{evidence},"guardian_name":{guardian_name},'
        f'"guardian_relation":{guardian_relation},"subject_id":"{subject_id}"}}'
    )


def _json_texts(values: list[Any]) -> list[str]:
    """Optional text as JSON (`null` for None), escaped only where JSON escapes anything."""
    if values.count(None) == len(values):
        return ["null"] * len(values)
    unsafe = _UNSAFE.search
    return [
        "null" if v is None else json.dumps(v, ensure_ascii=False) if unsafe(v) else f'"{v}"' for v in values
    ]


def _instants(values: list[datetime]) -> tuple[list[str], list[str], list[str]]:
    """Each instant as the payload shows it (pydantic's JSON form, in its own offset), in UTC
    with microseconds (the row digest's form) and as the store keeps it (`_stored`); once per
    distinct object (a file's repeated times are one object, `event_columns`)."""
    seen: dict[int, tuple[str, str, str]] = {}
    shown: list[str] = []
    utc: list[str] = []
    stored: list[str] = []
    for value in values:
        forms = seen.get(id(value))
        if forms is None:
            forms = seen[id(value)] = _forms(value)
        shown.append(forms[0])
        utc.append(forms[1])
        stored.append(forms[2])
    return shown, utc, stored


def _forms(value: datetime) -> tuple[str, str, str]:
    """(payload form, UTC form, stored form) of an instant; one `isoformat` when it is in UTC
    already (as captured and API events are)."""
    offset = value.utcoffset()
    if offset is not None and not offset:
        text = value.isoformat()  # ends in +00:00; microseconds only when there are any
        utc = text if value.microsecond else f"{text[:-6]}.000000+00:00"
        return f"{text[:-6]}Z", utc, _stored(utc)
    utc = value.astimezone(UTC).isoformat(timespec="microseconds")
    return _json_instant(value), utc, _stored(utc)


def _json_instant(value: datetime) -> str:
    """pydantic's JSON form of an aware datetime: ISO 8601, `Z` for UTC. Offsets with seconds
    (which it cuts to minutes) are left to pydantic itself."""
    offset = value.utcoffset()
    if offset is None or offset.seconds % 60 or offset.microseconds:
        return str(_DATETIME.dump_python(value, mode="json"))
    text = value.isoformat()
    return text[:-6] + "Z" if not offset else text
