"""Row digests keyed per person are HMAC-SHA256 (RFC 2104), whatever computes them."""

from __future__ import annotations

import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain.binding import KeyedDigest, keyed_hex


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_keyed_digest_is_hmac_sha256(key: bytes, messages: list[bytes]) -> None:
    """Keys shorter, equal to and longer than SHA-256's block; one prepared key, many messages."""
    keyed = KeyedDigest(key)
    for message in messages:
        assert keyed.hex(message) == hmac.digest(key, message, "sha256").hex()
        assert keyed_hex(key, message) == keyed.hex(message)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=300))
def test_the_one_shot_keyed_digest_is_hmac_sha256(key: bytes, message: bytes) -> None:
    """`binding.keyed_hex` (a key used once) equals the prepared key's digest and HMAC itself."""
    assert (
        keyed_hex(key, message) == KeyedDigest(key).hex(message) == hmac.digest(key, message, "sha256").hex()
    )


def test_rfc_4231_case_2() -> None:
    """The published HMAC-SHA256 test vector (RFC 4231, test case 2)."""
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert KeyedDigest(b"Jefe").hex(b"what do ya want for nothing?") == expected
    assert keyed_hex(b"Jefe", b"what do ya want for nothing?") == expected
