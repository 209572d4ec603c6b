"""Optional encryption of backup files: AES-256-GCM in authenticated chunks.

A store can be large, so files are encrypted as a stream of 1 MiB chunks rather than in one
piece. Each chunk's nonce carries its index and a final-chunk flag, and the file header is bound
into every chunk as associated data, so reordering, truncating or appending chunks, or moving a
chunk between files, fails authentication (the STREAM construction of Hoang, Reyhanitabar,
Rogaway and Vizár).
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hogo.errors import HogoError, InputError

MAGIC = b"HOGOENC1"
SCHEME = "aes-256-gcm-stream/1"
CHUNK = 1 << 20
_PREFIX = 7  # random nonce prefix; + 4-byte counter + 1-byte final flag = 12-byte GCM nonce


class DecryptionError(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "復号できません: 鍵が違うか、ファイルが改ざん・破損しています",
            "cannot decrypt: wrong key, or the file was altered or damaged",
        )


def generate_key() -> str:
    """A new random 256-bit key, URL-safe base64 (store it apart from the backups)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def parse_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != 32:
        ja = "鍵は 32 バイトを base64 で表したものです(hogo backup keygen で作成)"
        raise InputError(ja, "a key is 32 bytes in base64 (create one with hogo backup keygen)", field="key")
    return key


def load_key(path: Path) -> bytes:
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        raise InputError("鍵ファイルを読めません", "cannot read the key file", field="key-file") from None


def key_id(key: bytes) -> str:
    """Names the key in the manifest without revealing it."""
    return hashlib.sha256(b"hogo-backup-key-id" + key).hexdigest()[:16]


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if final else 0)


def encrypt_stream(key: bytes, src: BinaryIO, dst: BinaryIO) -> None:
    aead = AESGCM(key)
    prefix = os.urandom(_PREFIX)
    header = MAGIC + prefix
    dst.write(header)
    index = 0
    chunk = src.read(CHUNK)
    while True:
        following = src.read(CHUNK) if len(chunk) == CHUNK else b""
        final = not following
        sealed = aead.encrypt(_nonce(prefix, index, final), chunk, header)
        dst.write(struct.pack(">I", len(sealed)) + sealed)
        if final:
            return
        index += 1
        if index >= 1 << 32:
            raise ValueError("file too large for one stream")
        chunk = following


def _read_exact(src: BinaryIO, n: int) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise DecryptionError()
    return data


def decrypt_stream(key: bytes, src: BinaryIO, dst: BinaryIO) -> None:
    aead = AESGCM(key)
    header = src.read(len(MAGIC) + _PREFIX)
    if len(header) != len(MAGIC) + _PREFIX or not header.startswith(MAGIC):
        raise DecryptionError()
    prefix = header[len(MAGIC) :]
    index = 0
    while True:
        size_raw = src.read(4)
        if len(size_raw) != 4:
            raise DecryptionError()  # ended without the final chunk: truncated
        (size,) = struct.unpack(">I", size_raw)
        if size > CHUNK + 16:
            raise DecryptionError()
        sealed = _read_exact(src, size)
        for final in (False, True):
            try:
                plain = aead.decrypt(_nonce(prefix, index, final), sealed, header)
            except InvalidTag:
                continue
            dst.write(plain)
            if final:
                if src.read(1):
                    raise DecryptionError()  # data after the final chunk
                return
            break
        else:
            raise DecryptionError()
        index += 1


def encrypt_file(key: bytes, src: Path, dst: Path) -> None:
    with src.open("rb") as i, dst.open("wb") as o:
        encrypt_stream(key, i, o)


def decrypt_file(key: bytes, src: Path, dst: Path) -> None:
    with src.open("rb") as i, dst.open("wb") as o:
        decrypt_stream(key, i, o)
