"""Keyed tokens: the reference HMAC, key loading, and that the key never shows."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from hogo.errors import InputError
from hogo.matching.tokens import ENV_VAR, TokenKey, generate_key_file, load_key

SECRET = bytes(range(32))


def test_token_is_hmac_sha256_of_kind_and_value() -> None:
    key = TokenKey(SECRET)
    expected = hmac.new(SECRET, b"email\x1ftaro@example.jp", hashlib.sha256).hexdigest()
    assert key.token("email", "taro@example.jp") == expected


def test_vectorised_tokens_equal_the_reference_and_keep_nulls() -> None:
    key = TokenKey(SECRET)
    values = ["+819012345678", None, "+81312345678", "日本語も可"]
    out = key.tokenize("phone", pa.array(values)).to_pylist()
    assert out == [key.token("phone", v) if v is not None else None for v in values]


def test_long_keys_follow_hmac_rules() -> None:
    long_secret = b"k" * 100
    key = TokenKey(long_secret)
    expected = hmac.new(long_secret, b"phone\x1f+81312345678", hashlib.sha256).hexdigest()
    assert key.tokenize("phone", ["+81312345678"]).to_pylist() == [expected]


def test_kinds_and_keys_separate_tokens() -> None:
    a, b = TokenKey(SECRET), TokenKey(SECRET[::-1])
    assert a.token("email", "x") != a.token("phone", "x")
    assert a.token("email", "x") != b.token("email", "x")


def test_key_is_hidden_in_repr_and_fingerprint_is_stable() -> None:
    key = TokenKey(SECRET)
    assert SECRET.hex() not in repr(key) and SECRET.hex() not in str(key)
    assert key.fingerprint == TokenKey(SECRET).fingerprint
    assert len(key.fingerprint) == 12


def test_short_keys_are_refused() -> None:
    with pytest.raises(InputError):
        TokenKey(b"short")


def test_key_from_file_and_environment(tmp_path: Path) -> None:
    hex_file = tmp_path / "k.hex"
    hex_file.write_text(SECRET.hex() + "\n")
    assert load_key(hex_file).fingerprint == TokenKey(SECRET).fingerprint
    raw = "a passphrase that is long enough"
    assert load_key(env={ENV_VAR: raw}).fingerprint == TokenKey(raw.encode()).fingerprint
    with pytest.raises(InputError):
        load_key(env={})
    with pytest.raises(InputError) as info:
        load_key(tmp_path / "missing")
    assert info.value.field == "missing"


def test_keygen_writes_owner_only_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "token.key"
    key = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path).fingerprint == key.fingerprint
    with pytest.raises(InputError):
        generate_key_file(path)


def test_engine_tokens_equal_python_tokens() -> None:
    from hogo.engines import get_engine
    from hogo.matching.keys import KeyKind, tokenize_table

    key = TokenKey(SECRET)
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "email": ["A@B.JP", None, "x"],
            "phone": ["090-1234-5678", "03-1234-5678", ""],
        }
    )
    fields = {"email": KeyKind.email, "phone": KeyKind.phone}
    python, reports = tokenize_table(table, key, fields, keep=["id"])
    with get_engine() as engine:
        sql, sql_reports = tokenize_table(table, key, fields, keep=["id"], engine=engine)
        assert engine.query("SELECT table_name FROM information_schema.tables").num_rows == 0
    assert sql.to_pylist() == python.to_pylist()
    assert reports == sql_reports
