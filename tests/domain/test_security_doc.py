"""Every setting is documented: in the README's table or on the security page."""

from __future__ import annotations

from pathlib import Path

from hogo.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "docs" / "security.md").read_text(
        encoding="utf-8"
    )
    missing = [name for name in Settings.model_fields if f"`HOGO_{name.upper()}`" not in text]
    assert missing == []


def test_the_security_page_is_linked_and_names_the_release_spec_rules() -> None:
    assert "docs/security.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert "## Release spec paths" in page and "releases.md" in page
