"""The manifest of one generation: what was saved, its hashes, and the ledger it contained.

The ledger head recorded here is what a restore must reproduce: a restored copy is accepted only
when its own ledger verifies and ends at this head, and its Merkle tree has the root of the
signed tree head recorded with it. When the generation is encrypted the
manifest carries an HMAC under a key derived from the backup key, so a changed manifest is
detected too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from hogo.domain.ledger import canonical
from hogo.domain.model import Frozen
from hogo.errors import HogoError

FORMAT: Literal["hogo-backup/1"] = "hogo-backup/1"
MANIFEST = "manifest.json"
ID_FORMAT = "%Y%m%dT%H%M%S%fZ"


class FileEntry(Frozen):
    name: str
    size: int
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    #: The hash before encryption (equal to sha256 when not encrypted), checked after decrypting.
    plain_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class LedgerState(Frozen):
    entries: int
    head: str
    #: The newest signed tree head inside the copy (hogo-tree-head/1, docs/ledger.md), checked
    #: against the copy's Merkle tree when saved and again by `backup verify --deep` and restore.
    tree_head: dict[str, Any] | None = None


class Encryption(Frozen):
    scheme: str
    key_id: str


class Manifest(Frozen):
    format: Literal["hogo-backup/1"] = FORMAT
    generation: str
    created_at: datetime
    hogo_version: str
    dialect: Literal["sqlite", "postgresql"]
    snapshot: FileEntry
    ledger: LedgerState
    encryption: Encryption | None = None
    mac: str | None = None

    def body(self) -> bytes:
        return canonical(self.model_dump(mode="json", exclude={"mac"}))

    def signed(self, key: bytes) -> Manifest:
        return self.model_copy(
            update={"mac": hmac.new(_mac_key(key), self.body(), hashlib.sha256).hexdigest()}
        )

    def mac_ok(self, key: bytes) -> bool:
        if self.mac is None:
            return False
        expected = hmac.new(_mac_key(key), self.body(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac)


def _mac_key(key: bytes) -> bytes:
    return hashlib.sha256(b"hogo-backup-manifest-mac" + key).digest()


def generation_id(at: datetime) -> str:
    return at.astimezone(UTC).strftime(ID_FORMAT)


def parse_generation_id(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, ID_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def read_manifest(folder: Path) -> Manifest:
    try:
        return Manifest.model_validate(json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise HogoError(
            f"世代 {folder.name} のマニフェストを読めません(欠落または破損)",
            f"generation {folder.name}: manifest missing or damaged",
        ) from exc


def write_manifest(folder: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.model_dump(mode="json"), ensure_ascii=False, indent=2)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")
