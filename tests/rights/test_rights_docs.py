"""docs/rights-requests.md stays true: every ground code with its article, every kind."""

from __future__ import annotations

from pathlib import Path

from hogo.domain.rights import grounds as G
from hogo.domain.rights.kinds import ANSWER_ARTICLES, KIND_ARTICLES, RequestKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "rights-requests.md"


def test_every_ground_is_documented_with_its_article() -> None:
    text = DOC.read_text(encoding="utf-8")
    for g in G.ALL:
        assert f"| `{g.code}` | {g.article} | {g.ja} |" in text, g.code


def test_every_kind_is_documented_with_its_articles() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind in RequestKind:
        line = next(line for line in text.splitlines() if line.startswith(f"| `{kind.value}`"))
        assert KIND_ARTICLES[kind] in line and ANSWER_ARTICLES[kind] in line, kind
