"""Docs that the tests keep true: every reason code is documented with its article."""

from __future__ import annotations

from pathlib import Path

from hogo.domain import reasons as R

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_reason_code_is_documented_with_its_article() -> None:
    text = (DOCS / "decisions.md").read_text(encoding="utf-8")
    for r in R.ALL:
        assert f"| `{r.code}` | {r.article} | {r.effect.value} |" in text, r.code
