"""docs/incidents.md stays true: every reason code with its article, every setting named."""

from __future__ import annotations

from pathlib import Path

from hogo.domain.incidents import reasons as R
from hogo.services.incident_settings import IncidentSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "incidents.md"


def test_every_reason_code_is_documented_with_its_article() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for r in R.ALL:
        assert f"| `{r.code}` | {r.article} | {r.effect.value} |" in text, r.code


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name, info in IncidentSettings.model_fields.items():
        assert f"`HOGO_INCIDENT_{name.upper()}` (default {info.default})" in text, name
