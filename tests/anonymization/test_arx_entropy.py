"""Non-uniform entropy as hogo charges it and as ARX reports it, named side by side (item 15)."""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from hogo.anonymization.metrics import Metric
from hogo.anonymization.release import anonymize
from hogo.anonymization.spec import AnonymizationSpec, QISpec
from hogo.anonymization.unusual import UnusualMode
from hogo.engines import SqlEngine
from tests.anonymization.conftest import adult_qis


def test_both_entropy_figures_on_a_table_computed_by_hand(engine: SqlEngine, tmp_path: Path) -> None:
    """x = a a b b c, k = 2, one row may be suppressed: the optimum keeps level 0 and suppresses c.

    hogo charges c at full cost, −log2(1/5) = log2 5 bits; ARX charges it at level 0, 0 bits.
    """
    hierarchy = tmp_path / "x.csv"
    hierarchy.write_text("a;ab;*\nb;ab;*\nc;c;*\n", encoding="utf-8")
    engine.register_arrow("t", pa.table({"x": ["a", "a", "b", "b", "c"]}))
    spec = AnonymizationSpec(
        quasi_identifiers=[QISpec(name="x", path=hierarchy)],
        k=2,
        suppression=0.2,
        metric=Metric.entropy,
        unusual=UnusualMode.none,
        shuffle=False,
    )
    m = anonymize(engine, "t", spec).manifest
    assert m.levels == {"x": 0} and m.suppressed == 1
    assert m.metric_figures["entropy"] == pytest.approx(math.log2(5))
    assert m.metric_figures["entropy_arx"] == pytest.approx(0.0)
    assert m.metric_value == m.metric_figures["entropy"]


def _arx_entropy(adult_dir: Path, levels: dict[str, int]) -> float:
    """ARX's non-uniform entropy computed independently from the CSV files: for every record and
    quasi-identifier, −log2(count(value) / count(values sharing its generalisation))."""
    with (adult_dir / "adult.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    total = 0.0
    for name, level in levels.items():
        with (adult_dir / f"adult_hierarchy_{name}.csv").open(encoding="utf-8") as f:
            gen = {r[0]: r[level] for r in csv.reader(f, delimiter=";")}
        counts = Counter(r[name] for r in rows)
        general: Counter[str] = Counter()
        for value, n in counts.items():
            general[gen[value]] += n
        total += sum(-n * math.log2(n / general[gen[v]]) for v, n in counts.items())
    return total


def test_entropy_arx_matches_arx_arithmetic_on_adult(engine: SqlEngine, adult: str, adult_dir: Path) -> None:
    names = ["age", "sex", "race", "marital-status", "education"]
    spec = AnonymizationSpec(
        quasi_identifiers=adult_qis(adult_dir, names),
        k=5,
        suppression=0.02,
        metric=Metric.entropy,
        unusual=UnusualMode.none,  # top-coding (the default) changes the input and so the optimum
        shuffle=False,
    )
    m = anonymize(engine, adult, spec).manifest
    assert m.suppressed > 0  # otherwise the two figures cannot differ
    expected = _arx_entropy(adult_dir, m.levels)
    assert m.metric_figures["entropy_arx"] == pytest.approx(expected, rel=1e-9)
    assert m.metric_figures["entropy"] > m.metric_figures["entropy_arx"]
