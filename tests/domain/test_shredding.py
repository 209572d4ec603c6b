"""Crypto-shredding primitives (`hogo.domain.shredding`): sealed values open only with their
person's key and pseudonym; keyed row digests cannot be recomputed without the key."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from hogo.domain import shredding as sh
from hogo.domain.binding import CONSENT_EVENTS, SUBJECTS, personal, row_digest

_values = st.dictionaries(
    st.sampled_from(sh.EVENT_FIELDS),
    st.one_of(st.none(), st.text(max_size=40), st.integers(), st.booleans()),
    min_size=1,
)


def _keys() -> sh.PersonKeys:
    return sh.PersonKeys(sh.new_pseudonym(), sh.new_key(), sh.new_key())


@given(_values)
def test_sealed_values_open_with_the_key_and_only_with_it(values: dict[str, Any]) -> None:
    keys = _keys()
    assert keys.data_key is not None
    sealed = sh.seal(keys.data_key, keys.pseudonym, values)
    assert sh.open_sealed(keys.data_key, keys.pseudonym, sealed) == values
    with pytest.raises(sh.SealError):
        sh.open_sealed(sh.new_key(), keys.pseudonym, sealed)
    with pytest.raises(sh.SealError):  # bound to the pseudonym: moved to another person, it fails
        sh.open_sealed(keys.data_key, sh.new_pseudonym(), sealed)


@given(_values, st.integers(min_value=0))
def test_any_changed_bit_of_a_sealed_value_is_refused(values: dict[str, Any], where: int) -> None:
    keys = _keys()
    assert keys.data_key is not None
    raw = bytearray(base64.b64decode(sh.seal(keys.data_key, keys.pseudonym, values)))
    bit = where % (len(raw) * 8)
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(sh.SealError):
        sh.open_sealed(keys.data_key, keys.pseudonym, base64.b64encode(bytes(raw)).decode())


def test_pseudonymise_then_reveal_and_erased() -> None:
    keys = _keys()
    # "M-1": a "-" never stands in the base64 of a sealed value, so its absence is no luck of the nonce
    payload = {"subject_id": "M-1", "purpose_id": "ads", "evidence": "form by 山田", "guardian_name": None}
    stored = sh.pseudonymise(payload, sh.EVENT_FIELDS, keys)
    assert stored["person"] == keys.pseudonym and stored["purpose_id"] == "ads"
    assert "subject_id" not in stored and "M-1" not in str(stored) and "山田" not in str(stored)
    assert sh.reveal(stored, keys.data_key) == {
        **payload,
        "guardian_relation": None,
        "person": keys.pseudonym,
    }
    erased = sh.reveal(stored, None)
    assert erased == {"purpose_id": "ads", "person": keys.pseudonym, "personal_values": sh.ERASED}
    assert sh.reveal({"revision": 1}, None) == {"revision": 1}  # nothing sealed: as it is


def test_a_wrapped_data_key_opens_only_under_its_master_key_and_person() -> None:
    master, keys = AESGCM(sh.new_key()), _keys()
    assert keys.data_key is not None
    wrapped = sh.wrap(master, keys.data_key, keys.pseudonym)
    assert sh.unwrap(master, wrapped, keys.pseudonym) == keys.data_key
    with pytest.raises(sh.SealError):
        sh.unwrap(AESGCM(sh.new_key()), wrapped, keys.pseudonym)
    with pytest.raises(sh.SealError):
        sh.unwrap(master, wrapped, sh.new_pseudonym())


def test_a_batch_of_wrapped_keys_unwraps_as_each_one_does() -> None:
    """`unwrap_many` (a batch's persons) gives what `unwrap` gives for each, in order, and refuses
    the batch when any key is moved to another person."""
    master, persons = AESGCM(sh.new_key()), [_keys() for _ in range(5)]
    pairs = [(sh.wrap(master, k.data_key or b"", k.pseudonym), k.pseudonym) for k in persons]
    assert sh.unwrap_many(master, pairs) == [k.data_key for k in persons]
    assert sh.unwrap_many(master, []) == []
    moved = [*pairs[:4], (pairs[4][0], persons[0].pseudonym)]
    with pytest.raises(sh.SealError):
        sh.unwrap_many(master, moved)


@given(st.text(min_size=1, max_size=20), st.booleans())
def test_keyed_row_digests_depend_on_the_key(subject_id: str, verified: bool) -> None:
    row = {"subject_id": subject_id, "birth_date": None, "identity_verified": verified, "email": None,
           "phone": None}  # fmt: skip
    key = sh.new_key()
    keyed = row_digest(SUBJECTS, row, key)
    assert keyed == row_digest(SUBJECTS, row, key) and len(keyed) == 64
    assert keyed != row_digest(SUBJECTS, row) and keyed != row_digest(SUBJECTS, row, sh.new_key())


def test_the_tables_that_name_a_person_are_keyed() -> None:
    assert personal(SUBJECTS) and personal(CONSENT_EVENTS)
    assert sh.master_key_id(b"k" * 32) != sh.master_key_id(b"j" * 32)
    assert sh.person_ref("ab") == "person:ab" and sh.legacy_ref("M1") == "subject:M1"
