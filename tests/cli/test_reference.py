"""The CLI reference in docs/ is generated from the real commands and must not go stale."""

from __future__ import annotations

from pathlib import Path

from hogo.cli.reference import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(), (
        "regenerate: python -m hogo.cli.reference > docs/cli.md"
    )
