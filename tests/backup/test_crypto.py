"""Chunked AES-GCM: round trips of any size, and every kind of tampering is refused."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.backup import crypto
from hogo.errors import InputError

KEY = crypto.parse_key(crypto.generate_key())


def _encrypt(data: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    crypto.encrypt_stream(key, io.BytesIO(data), out)
    return out.getvalue()


def _decrypt(data: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    crypto.decrypt_stream(key, io.BytesIO(data), out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "CHUNK", 64)  # many chunks from small inputs


@settings(max_examples=60)
@given(st.binary(max_size=400))
def test_round_trip(data: bytes) -> None:
    sealed = _encrypt(data)
    assert len(data) < 16 or data not in sealed  # ciphertext does not carry the plaintext
    assert _decrypt(sealed) == data


@settings(max_examples=60)
@given(st.binary(min_size=1, max_size=300), st.data())
def test_any_changed_byte_is_refused(data: bytes, draw: st.DataObject) -> None:
    sealed = bytearray(_encrypt(data))
    i = draw.draw(st.integers(min_value=0, max_value=len(sealed) - 1))
    sealed[i] ^= draw.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(crypto.DecryptionError):
        _decrypt(bytes(sealed))


def test_truncation_reordering_and_appending_are_refused() -> None:
    data = bytes(range(256)) * 2  # 8 chunks of 64
    sealed = _encrypt(data)
    header = len(crypto.MAGIC) + 7
    record = 4 + 64 + 16
    chunks = [sealed[header + k * record : header + (k + 1) * record] for k in range(8)]
    assert b"".join(chunks) == sealed[header:]
    with pytest.raises(crypto.DecryptionError):
        _decrypt(sealed[: header + 3 * record])  # whole chunks dropped from the end
    with pytest.raises(crypto.DecryptionError):
        _decrypt(sealed[:header] + chunks[1] + chunks[0] + b"".join(chunks[2:]))
    with pytest.raises(crypto.DecryptionError):
        _decrypt(sealed + chunks[-1])
    with pytest.raises(crypto.DecryptionError):
        _decrypt(sealed, crypto.parse_key(crypto.generate_key()))


def test_keys() -> None:
    text = crypto.generate_key()
    assert len(crypto.parse_key(text)) == 32
    assert crypto.key_id(crypto.parse_key(text)) != crypto.key_id(KEY)
    for bad in ("", "short", "!" * 44):
        with pytest.raises(InputError):
            crypto.parse_key(bad)
