"""Signed tree heads and the standalone proof verifier (the log's side facing auditors and persons).

A signed tree head (RFC 9162 §4.10 in spirit) commits the operator to the Merkle root of the
first `tree_size` ledger entries at a time: Ed25519 over the canonical JSON of
{format, tree_size, root_hash, timestamp, key_id} (sorted keys, no spaces, UTF-8: the same
`canonical` as the ledger). `key_id` is the SHA-256 of the raw 32-byte public key, so a head names
the key that signed it and keys can be rotated: an auditor keeps every public key it has trusted
and picks the one a head names.

`verify_receipt` needs nothing but a proof document (or a consent receipt carrying one), a public
key and optionally a head the holder kept: no store, no network. Pure computation.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hogo.domain import merkle
from hogo.domain.ledger import SEPARATOR, canonical, entry_hash

HEAD_FORMAT: Final = "hogo-tree-head/1"
PROOF_FORMAT: Final = "hogo-ledger-proof/1"
CONSISTENCY_FORMAT: Final = "hogo-ledger-consistency/1"


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_bytes(key)).hexdigest()


def generate_private_key_pem() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM (readable by OpenSSL too)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """Raises ValueError unless `pem` is an Ed25519 private key."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Raises ValueError unless `pem` is an Ed25519 public key."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True, slots=True)
class TreeHead:
    """What a signature commits to: the root of the first `tree_size` entries, at a time."""

    tree_size: int
    root_hash: str  # 64 hex digits
    timestamp: str  # ISO 8601, UTC
    key_id: str

    def message(self) -> bytes:
        return canonical(
            {
                "format": HEAD_FORMAT,
                "tree_size": self.tree_size,
                "root_hash": self.root_hash,
                "timestamp": self.timestamp,
                "key_id": self.key_id,
            }
        )


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    head: TreeHead
    signature: str  # base64 of the 64-byte Ed25519 signature

    def to_json(self) -> dict[str, Any]:
        return {
            "format": HEAD_FORMAT,
            "tree_size": self.head.tree_size,
            "root_hash": self.head.root_hash,
            "timestamp": self.head.timestamp,
            "key_id": self.head.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: Any) -> SignedTreeHead:
        """Raises ValueError for anything but a well-formed head (the signature is not checked)."""
        if not isinstance(data, Mapping) or data.get("format") != HEAD_FORMAT:
            raise ValueError("not a hogo tree head")
        size, root = data.get("tree_size"), data.get("root_hash")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0 or not _is_hash(root):
            raise ValueError("tree head: bad size or root")
        fields = (data.get("timestamp"), data.get("key_id"), data.get("signature"))
        if not all(isinstance(f, str) for f in fields):
            raise ValueError("tree head: missing timestamp, key id or signature")
        timestamp, kid, signature = (str(f) for f in fields)
        return cls(TreeHead(size, str(root), timestamp, kid), signature)

    def root(self) -> bytes:
        return bytes.fromhex(self.head.root_hash)


def sign_head(key: Ed25519PrivateKey, tree_size: int, root: bytes, timestamp: str) -> SignedTreeHead:
    head = TreeHead(tree_size, root.hex(), timestamp, key_id(key.public_key()))
    return SignedTreeHead(head, base64.b64encode(key.sign(head.message())).decode("ascii"))


def head_signed_by(sth: SignedTreeHead, key: Ed25519PublicKey) -> bool:
    """Did `key` sign this head? (The head must also name that key.)"""
    if sth.head.key_id != key_id(key):
        return False
    try:
        key.verify(base64.b64decode(sth.signature, validate=True), sth.head.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def _is_hash(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 2 * merkle.HASH_SIZE:
        return False
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def _hashes(values: object) -> list[bytes] | None:
    if not isinstance(values, list) or not all(_is_hash(v) for v in values):
        return None
    return [bytes.fromhex(v) for v in values]


@dataclass(frozen=True, slots=True)
class Check:
    """The verifier's answer: ok, or the first problem (English and Japanese), and what was shown."""

    ok: bool
    problem_en: str | None = None
    problem_ja: str | None = None
    seq: int | None = None
    tree_size: int | None = None
    #: False when the proof carried only the entry's hash (its contents were withheld).
    entry_checked: bool = False


def _fail(en: str, ja: str, seq: int | None = None) -> Check:
    return Check(False, en, ja, seq)


def _entry_leaf(entry: Mapping[str, Any]) -> tuple[bytes, bool] | Check:
    """The entry's leaf hash, after recomputing its chain hash from its fields when they are there."""
    digest = entry.get("hash")
    if not _is_hash(digest):
        return _fail("the entry has no valid hash", "記録のハッシュがありません")
    full = all(k in entry for k in ("kind", "ref", "recorded_at", "payload", "prev_hash"))
    if full:
        texts = [entry[k] for k in ("kind", "ref", "recorded_at", "payload", "prev_hash")]
        if not all(isinstance(t, str) for t in texts) or any(SEPARATOR in t for t in texts[:3]):
            return _fail("the entry's fields are malformed", "記録の項目が不正です")
        kind, ref, recorded_at, payload, prev_hash = texts
        if entry_hash(prev_hash, entry["seq"], kind, ref, recorded_at, payload) != digest:
            return _fail("the entry does not match its hash (altered)", "記録がハッシュと一致しません")
    return merkle.leaf_of_entry(str(digest)), full


def proof_of(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The proof inside a consent receipt (`ledger.proof`), or the document itself."""
    ledger = document.get("ledger")
    if isinstance(ledger, Mapping) and isinstance(ledger.get("proof"), Mapping):
        inner: Mapping[str, Any] = ledger["proof"]
        return inner
    return document


def verify_receipt(
    document: Mapping[str, Any], public_key: Ed25519PublicKey, head: SignedTreeHead | None = None
) -> Check:
    """Check offline that a ledger entry is in the log a signed head commits to.

    `document` is a proof (`hogo ledger prove`, format hogo-ledger-proof/1) or a consent receipt
    carrying one under `ledger.proof`. `head` is a head the holder kept (e.g. from an auditor);
    without it the head inside the proof is used. Checked in order: the entry's fields hash to its
    chain hash (when the proof carries them), the head is signed by `public_key`, and the inclusion
    path leads from the entry's leaf to the head's root at the head's size.
    """
    proof = proof_of(document)
    if proof.get("format") != PROOF_FORMAT:
        return _fail("not a hogo ledger proof", "台帳の証明ではありません")
    entry, path = proof.get("entry"), _hashes(proof.get("inclusion_path"))
    if not isinstance(entry, Mapping) or not isinstance(entry.get("seq"), int) or path is None:
        return _fail("the proof is malformed", "証明の形式が不正です")
    seq = int(entry["seq"])
    try:
        sth = head if head is not None else SignedTreeHead.from_json(proof.get("head"))
    except ValueError:
        return _fail("the proof carries no valid tree head", "証明に有効なツリーヘッドがありません", seq)
    if not head_signed_by(sth, public_key):
        return _fail("the tree head is not signed by this key", "ツリーヘッドの署名が鍵と合いません", seq)
    leaf = _entry_leaf(entry)
    if isinstance(leaf, Check):
        return Check(False, leaf.problem_en, leaf.problem_ja, seq)
    leaf_hash, full = leaf
    if proof.get("tree_size") != sth.head.tree_size:
        return _fail(
            "the proof is for another tree size than the head (ask for a consistency proof)",
            "証明と異なる大きさのツリーヘッドです(整合性証明を求めてください)",
            seq,
        )
    if not merkle.verify_inclusion(seq - 1, sth.head.tree_size, leaf_hash, path, sth.root()):
        return _fail(
            "the entry is not in the log this head commits to",
            "この記録はツリーヘッドの台帳に含まれていません",
            seq,
        )
    return Check(True, seq=seq, tree_size=sth.head.tree_size, entry_checked=full)


def verify_heads_consistent(
    old: SignedTreeHead, new: SignedTreeHead, proof: list[bytes], public_keys: list[Ed25519PublicKey]
) -> Check:
    """Both heads signed by one of `public_keys`, and the old tree a prefix of the new one."""
    for sth in (old, new):
        if not any(head_signed_by(sth, k) for k in public_keys):
            return _fail(
                f"the head of size {sth.head.tree_size} is not signed by a given key",
                f"大きさ {sth.head.tree_size} のツリーヘッドの署名を確認できません",
            )
    size1, size2 = old.head.tree_size, new.head.tree_size
    if not merkle.verify_consistency(size1, size2, old.root(), new.root(), proof):
        return _fail(
            "the two heads are not consistent: the log was rewritten",
            "二つのツリーヘッドが整合しません: 台帳が書き換えられています",
        )
    return Check(True, tree_size=size2, entry_checked=False)
