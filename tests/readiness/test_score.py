"""The score: severity weights, the grade cap for critical findings, and the trend over time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hogo.domain.readiness.assessment import assess_readiness
from hogo.domain.readiness.catalogue import Severity
from hogo.domain.readiness.checks import Finding
from hogo.domain.readiness.eol import EolCatalogue
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.score import ScorePoint, score, trend
from tests.readiness.conftest import asset


def f(severity: Severity, passed: bool) -> Finding:
    return Finding(check_id="x", severity=severity, subject="s", passed=passed)


def test_weights_and_grade() -> None:
    s = score([f(Severity.high, True), f(Severity.medium, False), f(Severity.low, True)])
    assert s.value == (100 * 6) // 9 and s.grade == "C"
    assert s.failed_by_severity[Severity.medium] == 1 and s.passed == 2


def test_one_critical_caps_the_grade() -> None:
    findings = [f(Severity.high, True)] * 30 + [f(Severity.critical, False)]
    s = score(findings)
    assert s.value == 93 and s.grade == "D"


def test_nothing_to_check_is_full_marks() -> None:
    assert score([]).value == 100


findings = st.lists(st.builds(f, st.sampled_from(list(Severity)), st.booleans()), max_size=40)


@given(findings)
def test_score_bounds(items: list[Finding]) -> None:
    s = score(items)
    assert 0 <= s.value <= 100 and s.passed + s.failed == len(items)


@given(findings, st.data())
def test_fixing_a_finding_never_lowers_the_score(items: list[Finding], data: st.DataObject) -> None:
    failed = [i for i, x in enumerate(items) if not x.passed]
    if not failed:
        return
    i = data.draw(st.sampled_from(failed))
    fixed = [*items[:i], f(items[i].severity, True), *items[i + 1 :]]
    assert score(fixed).value >= score(items).value


def test_trend() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    points = [ScorePoint(t0 + timedelta(days=d), v, "C") for d, v in ((2, 70), (0, 40), (1, 55))]
    t = trend(points)
    assert t.latest is not None and t.latest.value == 70 and t.change == 15 and (t.best, t.worst) == (70, 40)
    assert trend([]).latest is None and trend(points[:1]).change is None


def test_assessment_improves_when_measures_are_taken(catalogue: EolCatalogue) -> None:
    exposed = asset(kind="vpn_gateway", vendor="Fortinet", model="FortiGate", version="7.0.12",
                    exposed_ports=(443,), mfa=False)  # fmt: skip
    before = assess_readiness(Inventory(assets=(exposed,)), catalogue, date(2026, 11, 27))
    fixed = exposed.model_copy(update={"version": "7.4.5", "mfa": True})
    after = assess_readiness(Inventory(assets=(fixed,)), catalogue, date(2026, 11, 27))
    assert after.score.value > before.score.value
    assert {x.check_id for x in before.failed} >= {"eol.past_end_of_life", "access.exposed_without_mfa"}
    assert not any(x.check_id.startswith(("eol.", "access.")) for x in after.failed)
