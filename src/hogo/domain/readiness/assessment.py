"""One assessment: the findings and the score for an inventory on a day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from hogo.domain.model import Frozen
from hogo.domain.readiness.checks import Context, Finding, ReadinessSettings, run_checks
from hogo.domain.readiness.eol import EolCatalogue
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import Answer
from hogo.domain.readiness.score import Score, score


class Assessment(Frozen):
    on: date
    score: Score
    findings: tuple[Finding, ...]

    @property
    def failed(self) -> list[Finding]:
        """Failed findings, the most severe first (stable within a severity)."""
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        return sorted((f for f in self.findings if not f.passed), key=lambda f: order[f.severity])


def assess_readiness(
    inventory: Inventory,
    catalogue: EolCatalogue,
    on: date,
    answers: Mapping[str, Answer] | None = None,
    settings: ReadinessSettings | None = None,
) -> Assessment:
    ctx = Context(inventory, catalogue, on, dict(answers or {}), settings or ReadinessSettings())
    findings = run_checks(ctx)
    return Assessment(on=on, score=score(findings), findings=tuple(findings))
