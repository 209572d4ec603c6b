"""Every generation carries the newest signed tree head, checked against the copy's Merkle tree."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hogo.backup import generations
from hogo.backup.manifest import MANIFEST
from hogo.domain import transparency


def test_a_generation_records_a_head_that_covers_it_and_deep_verify_checks_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    folder = tmp_path / "backups"
    manifest = generations.create(sqlite_url, folder, signing_key=key)
    head = transparency.SignedTreeHead.from_json(manifest.ledger.tree_head)
    assert head.head.tree_size == manifest.ledger.entries == 2
    assert transparency.head_signed_by(head, key.public_key())
    report = generations.verify(folder, None, deep=True)
    assert report.ok and report.ledger is not None and report.ledger.tree_head == manifest.ledger.tree_head

    gen = folder / manifest.generation
    gen.chmod(0o755)
    (gen / MANIFEST).chmod(0o644)
    data = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    data["ledger"]["tree_head"]["root_hash"] = "0" * 64
    (gen / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    (gen / MANIFEST).chmod(0o444)
    gen.chmod(0o555)
    problems = " ".join(en for _, en in generations.verify(folder, None, deep=True).problems)
    assert "Merkle tree" in problems


def test_without_a_signing_key_the_manifest_has_no_head(sqlite_url: str, tmp_path: Path) -> None:
    manifest = generations.create(sqlite_url, tmp_path / "backups")
    assert manifest.ledger.tree_head is None
    assert generations.verify(tmp_path / "backups", None, deep=True).ok
