"""The readiness score: the share of weighted checks passed, and how it moves over time.

A plain percentage of passed findings would let ten low findings outweigh one exposed VPN without
MFA; weighting by severity keeps the number honest about what matters. Any failed critical
finding caps the grade at D so a high percentage cannot hide it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hogo.domain.model import Frozen
from hogo.domain.readiness.catalogue import Severity
from hogo.domain.readiness.checks import Finding

WEIGHT: dict[Severity, int] = {Severity.critical: 10, Severity.high: 5, Severity.medium: 3, Severity.low: 1}
GRADES: tuple[tuple[int, str], ...] = ((90, "A"), (75, "B"), (60, "C"), (40, "D"), (0, "E"))


class Score(Frozen):
    value: int
    grade: str
    passed: int
    failed: int
    failed_by_severity: dict[Severity, int]


def score(findings: Iterable[Finding]) -> Score:
    findings = list(findings)
    total = sum(WEIGHT[f.severity] for f in findings)
    gained = sum(WEIGHT[f.severity] for f in findings if f.passed)
    value = 100 if total == 0 else (100 * gained) // total
    failed = Counter(f.severity for f in findings if not f.passed)
    grade = next(g for floor, g in GRADES if value >= floor)
    if failed[Severity.critical] and grade in ("A", "B", "C"):
        grade = "D"
    return Score(
        value=value,
        grade=grade,
        passed=sum(1 for f in findings if f.passed),
        failed=sum(failed.values()),
        failed_by_severity={s: failed[s] for s in Severity},
    )


@dataclass(frozen=True, slots=True)
class ScorePoint:
    assessed_at: datetime
    value: int
    grade: str


@dataclass(frozen=True, slots=True)
class Trend:
    latest: ScorePoint | None
    change: int | None  # against the assessment before the latest
    best: int | None
    worst: int | None


def trend(points: Sequence[ScorePoint]) -> Trend:
    ordered = sorted(points, key=lambda p: p.assessed_at)
    if not ordered:
        return Trend(None, None, None, None)
    latest = ordered[-1]
    change = latest.value - ordered[-2].value if len(ordered) > 1 else None
    values = [p.value for p in ordered]
    return Trend(latest, change, max(values), min(values))
