"""Keyed match tokens: HMAC-SHA256 of a normalised identifier under a secret key.

Why keyed: a plain hash of an e-mail address or phone number is reversible by hashing every
plausible value (Japan has ~10^9 mobile numbers). With a secret key shared only by the two
parties, a token reveals nothing to anyone without the key, and the partner can tokenise on its
own side (``hogo tokenize``) so raw identifiers never cross the boundary.

Token = HMAC-SHA256(key, kind || 0x1F || value). The key kind ("email", "phone") is mixed in
so that the same string under two kinds never gives the same token. Files and Python tables hold
it as 64 lowercase hex digits; inside a data engine it is its 32 bytes (half the memory and
spill of the text; `hogo.matching.keys`).

The key comes from a file or the ``HOGO_TOKEN_KEY`` environment variable and is never printed:
:class:`TokenKey` hides it in ``repr`` and exposes only a fingerprint, which both sides can compare
to confirm they hold the same key.

Speed: HMAC's inner and outer SHA-256 states are computed once per key and kind and copied per
row, which avoids `hmac.new`'s per-call setup (≈1.1M tokens/s on one core; see
``benchmarks/matching.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa

from hogo.engines import SqlEngine
from hogo.errors import InputError
from hogo.files.atomic import create_private

ENV_VAR = "HOGO_TOKEN_KEY"
MIN_KEY_BYTES = 16
KEY_BYTES = 32
_SEPARATOR = b"\x1f"
_BLOCK = 64  # SHA-256 block size, for the HMAC pads


class TokenKey:
    """A secret key; ``repr``/``str`` never show it."""

    __slots__ = ("_block", "_inner", "_outer", "_secret")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise InputError(
                f"トークン鍵が短すぎます（{MIN_KEY_BYTES}バイト以上）。",
                f"token key too short (at least {MIN_KEY_BYTES} bytes)",
            )
        self._secret = secret
        block = hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret
        block = block.ljust(_BLOCK, b"\0")
        self._block = block
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __repr__(self) -> str:
        return f"TokenKey(fingerprint={self.fingerprint})"

    __str__ = __repr__

    @property
    def fingerprint(self) -> str:
        """12 hex digits that identify the key without revealing it (safe to print and log)."""
        return hmac.digest(self._secret, b"hogo key fingerprint", "sha256").hex()[:12]

    def token(self, kind: str, value: str) -> str:
        """The token of one normalised value (the reference definition)."""
        message = kind.encode() + _SEPARATOR + value.encode()
        return hmac.digest(self._secret, message, "sha256").hex()

    def tokenize(self, kind: str, values: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
        """Tokens for many normalised values as hex text; nulls stay null (missing or invalid
        values)."""
        return self._tokens(kind, values, hex_text=True)

    def digests(self, kind: str, values: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
        """The tokens of :meth:`tokenize` as their 32 bytes, the form an engine holds them in."""
        return self._tokens(kind, values, hex_text=False)

    def _tokens(
        self, kind: str, values: pa.Array | pa.ChunkedArray | Iterable[str | None], *, hex_text: bool
    ) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if not isinstance(values, pa.Array):
            values = pa.array(list(values), pa.string())
        raw = values.cast(pa.binary()).to_pylist()
        inner = self._inner.copy()
        inner.update(kind.encode() + _SEPARATOR)
        inner_copy = inner.copy
        outer_copy = self._outer.copy
        out: list[str | bytes | None] = []
        append = out.append
        for value in raw:
            if value is None:
                append(None)
                continue
            h = inner_copy()
            h.update(value)
            o = outer_copy()
            o.update(h.digest())
            append(o.hexdigest() if hex_text else o.digest())
        return pa.array(out, pa.string() if hex_text else pa.binary())

    def sql(self, engine: SqlEngine, kind: str, expr: str, name: str = "tok") -> tuple[str, dict[str, bytes]]:
        """A SQL expression computing the token of the text ``expr`` (its 32 bytes, as
        :meth:`digests`), and its bound parameters.

        The key enters only as the two HMAC pad blocks, passed as bound parameters (never in the
        SQL text, never logged). The engine runs SHA-256 on all its threads, which is faster than
        the Python loop on multi-core machines. Only for engines whose dialect has SHA-256
        (``engine.dialect.has_sha256``); other engines use :meth:`digests`.
        """
        inner, outer = f"{name}_inner", f"{name}_outer"
        sql = engine.dialect.hmac_sha256(expr, inner, outer)
        block = self._block
        prefix = kind.encode() + _SEPARATOR
        return sql, {inner: bytes(b ^ 0x36 for b in block) + prefix, outer: bytes(b ^ 0x5C for b in block)}


def _parse_secret(data: bytes) -> bytes:
    """A key file holds 64 hex digits (what ``hogo tokenize keygen`` writes) or raw bytes."""
    text = data.strip()
    if len(text) == 2 * KEY_BYTES and all(c in b"0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text.decode())
    return text


def load_key(
    path: Path | None = None, env: Mapping[str, str] | None = None, *, file_hint: str = "--key-file"
) -> TokenKey:
    """The token key from ``path`` if given, else from ``HOGO_TOKEN_KEY``.

    ``file_hint`` is how the caller names a key file (an option, or a spec key), for the advice
    given when there is no key.
    """
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError:
            raise InputError(
                "トークン鍵ファイルを読めません。", "cannot read the token key file", field=path.name
            ) from None
        return TokenKey(_parse_secret(data))
    environ = os.environ if env is None else env
    value = environ.get(ENV_VAR)
    if not value:
        raise InputError(
            f"トークン鍵がありません（{file_hint} または環境変数 {ENV_VAR}）。",
            f"no token key (use {file_hint} or the {ENV_VAR} environment variable)",
        )
    return TokenKey(_parse_secret(value.encode()))


def generate_key_file(path: Path) -> TokenKey:
    """Write a new random 256-bit key (hex) readable by the owner only; never overwrite."""
    secret = secrets.token_bytes(KEY_BYTES)
    create_private(path, secret.hex() + "\n")
    return TokenKey(secret)
