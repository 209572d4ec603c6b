"""Crypto-shredding: the ledger forgets a person when the person's keys are destroyed.

Why: the ledger is append-only, so an erasure (法35条) cannot delete what an entry says. From
ledger v3 (migration ``0930_person_keys``) an entry about a person never holds the person's
values in clear: the ref and payload name the person by a random *pseudonym*, the personal
values (subject id, birth date, evidence, guardian, notes) are sealed with AES-256-GCM under
the person's *data key*, and the digests that bind the person's rows are HMAC-SHA256 under the
person's *digest key*. The chain hashes this stored form. Both keys live outside the chain
(``person_keys``); the data key is wrapped (AES-256-GCM) by a master key. Erasure
deletes them: the entries still verify and still say that an entry of that kind existed at that
time, but no longer whose, and no guess can be confirmed against a digest.

Verification needs neither the master key nor the data key: the chain hashes the stored form,
and the row digests are recomputed with the digest key (kept unwrapped beside the rows it binds,
and deleted with them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hogo.domain.incidents.flow import TimelineKind
from hogo.domain.ledger import EntryKind
from hogo.domain.received import Provider

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
#: Payload keys of a pseudonymised entry: the person's pseudonym and the sealed values.
PERSON: Final = "person"
SEALED: Final = "sealed"
#: What readers show for a sealed value whose key was destroyed.
ERASED_JA: Final = "消去済み"
ERASED_EN: Final = "erased"
ERASED: Final = f"{ERASED_JA} / {ERASED_EN}"

#: The personal values of each kind of entry about a person (everything else stays in clear).
SUBJECT_FIELDS: Final = ("subject_id", "birth_date")
EVENT_FIELDS: Final = ("subject_id", "evidence", "guardian_name", "guardian_relation")
EXCEPTION_FIELDS: Final = ("subject_id", "note")


class SealError(ValueError):
    """A key that does not open what it should (wrong master key, damaged wrap or ciphertext)."""


#: How a ledger ref names a person: by pseudonym (v3), or by id (entries written before v3).
PERSON_REF: Final = "person:"
LEGACY_REF: Final = "subject:"


def person_ref(pseudonym: str) -> str:
    """The ledger ref of every v3 entry about a person."""
    return f"{PERSON_REF}{pseudonym}"


def legacy_ref(subject_id: str) -> str:
    """The ref of entries about a person written before ledger v3 (it names the person)."""
    return f"{LEGACY_REF}{subject_id}"


def new_pseudonym() -> str:
    return os.urandom(16).hex()


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def master_key_id(master: bytes) -> str:
    """Names a master key without revealing it (the first 16 hex digits of a SHA-256)."""
    return hashlib.sha256(b"hogo-master-key\x00" + master).hexdigest()[:16]


def wrap(master: AESGCM, data_key: bytes, pseudonym: str) -> bytes:
    """The data key sealed by the master key (AES-256-GCM, bound to the person's pseudonym so a
    wrapped key moved to another person's row does not open)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + master.encrypt(nonce, data_key, _WRAP + pseudonym.encode("ascii"))


def unwrap(master: AESGCM, wrapped: bytes, pseudonym: str) -> bytes:
    return unwrap_many(master, [(wrapped, pseudonym)])[0]


def unwrap_many(master: AESGCM, wrapped: Sequence[tuple[bytes, str]]) -> list[bytes]:
    """`unwrap` of (wrapped key, pseudonym) pairs, in order: a batch's persons in one loop (a
    batch of consent events unwraps one key per person, 10,000 at a time)."""
    decrypt = master.decrypt
    n = NONCE_BYTES
    try:
        return [decrypt(w[:n], w[n:], _WRAP + p.encode("ascii")) for w, p in wrapped]
    except InvalidTag:
        raise SealError("the person key does not unwrap under this master key") from None


_WRAP = b"hogo-person-key\x00"


class PersonKeys(NamedTuple):
    """A person's pseudonym and keys; ``data_key`` is None where only digests are needed.

    Why a named tuple: a batch looks up one per person (10,000 in a batch of consent events), and
    a frozen dataclass spent about 1 µs making each, as much as unwrapping its key."""

    pseudonym: str
    digest_key: bytes
    data_key: bytes | None = None


def seal(data_key: bytes, pseudonym: str, values: Mapping[str, Any]) -> str:
    """AES-256-GCM over the values' canonical JSON, bound to the pseudonym; base64 text."""
    text = json.dumps(dict(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return seal_text(AESGCM(data_key), pseudonym, text)


def seal_text(cipher: AESGCM, pseudonym: str, text: str, nonce: bytes | None = None) -> str:
    """`seal` of values already written as their canonical JSON ``text`` (batches of events),
    under a fresh random ``nonce`` (`new_nonces` draws a batch's at once)."""
    if nonce is None:
        nonce = os.urandom(NONCE_BYTES)
    elif len(nonce) != NONCE_BYTES:
        raise ValueError("an AES-GCM nonce is 96 bits")
    sealed = nonce + cipher.encrypt(nonce, text.encode("utf-8"), pseudonym.encode("ascii"))
    return binascii.b2a_base64(sealed, newline=False).decode("ascii")  # what base64.b64encode does


def new_nonces(n: int) -> list[bytes]:
    """``n`` fresh random nonces for `seal_text`, from one read of the system's random source
    (each is used once: a batch seals each value under its own)."""
    pool = os.urandom(NONCE_BYTES * n)
    return [pool[i : i + NONCE_BYTES] for i in range(0, NONCE_BYTES * n, NONCE_BYTES)]


def open_sealed(data_key: bytes, pseudonym: str, sealed: str) -> dict[str, Any]:
    raw = base64.b64decode(sealed)
    try:
        text = AESGCM(data_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], pseudonym.encode("ascii"))
    except InvalidTag:
        raise SealError("sealed values do not open with this key") from None
    values: dict[str, Any] = json.loads(text)
    return values


def pseudonymise(payload: Mapping[str, Any], fields: tuple[str, ...], keys: PersonKeys) -> dict[str, Any]:
    """The payload with ``fields`` moved into one sealed value and the person named by pseudonym."""
    assert keys.data_key is not None, "sealing needs the person's data key"
    result = {k: v for k, v in payload.items() if k not in fields}
    result[PERSON] = keys.pseudonym
    result[SEALED] = seal(keys.data_key, keys.pseudonym, {k: payload.get(k) for k in fields})
    return result


#: A person's values in an entry that a reader without the personal-data permission does not see:
#: every sealed value but the subject id (which every reader sees).
PERSONAL_VALUES: Final = tuple(
    f for f in dict.fromkeys((*SUBJECT_FIELDS, *EVENT_FIELDS, *EXCEPTION_FIELDS)) if f != "subject_id"
)
#: The key that lists what `withhold` left out, as the API's answers name it.
WITHHELD: Final = "withheld"


def _nulled(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """`values` with each of `names` it has null, and `withheld` naming those that had a value."""
    result = dict(values)
    hidden = sorted(n for n in set(names) if values.get(n) is not None)
    result.update({n: None for n in names if n in result})
    if hidden:
        result[WITHHELD] = hidden
    return result


def withhold(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's payload as `reveal` gives it, for a reader without the personal-data permission
    (the API's answers withhold the same): a person's values, an individual provider's name and
    address and any representative of a 法30条 record (`Provider.person_fields`), and the file
    name of an incident's evidence (it may name a person) are null and named under `withheld`."""
    names: tuple[str, ...] = PERSONAL_VALUES
    if kind == EntryKind.incident and payload.get("timeline") == TimelineKind.evidence:
        names = (*names, "name")
    result = _nulled(payload, names)
    provider = payload.get("provider")
    if kind == EntryKind.provision_received and isinstance(provider, Mapping):
        result["provider"] = _nulled(provider, Provider.model_validate(provider).person_fields)
    return result


def reveal(payload: Mapping[str, Any], data_key: bytes | None) -> dict[str, Any]:
    """A payload as a reader sees it: sealed values opened with the person's data key, or shown
    as erased when the key is gone. Payloads without sealed values are returned as they are."""
    result = dict(payload)
    sealed = result.pop(SEALED, None)
    if sealed is None:
        return result
    if data_key is None:
        result["personal_values"] = ERASED
        return result
    result.update(open_sealed(data_key, str(payload[PERSON]), str(sealed)))
    return result
