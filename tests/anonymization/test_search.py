"""The optimal searches return the brute-force optimum; evaluation is monotone in the levels."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hogo.anonymization.evaluation import NodeEvaluator, QuasiIdentifier
from hogo.anonymization.hierarchy import read_arx_csv
from hogo.anonymization.lattice import brute_force, optimal_search, separable_search
from hogo.anonymization.metrics import Metric
from hogo.anonymization.models import LVariant, PrivacyModel
from hogo.engines import SqlEngine, get_engine

SMALL = ["age", "education", "marital-status", "race"]


@pytest.fixture
def adult_sample(engine: SqlEngine, adult: str) -> str:
    """A fixed 3,000-row sample (every 10th row) keeps each brute force under a second."""
    return engine.create_table_as(
        "adult_small",
        f"SELECT * FROM (SELECT *, row_number() OVER () AS rn FROM {engine.ident(adult)}) WHERE rn % 10 = 0",
    )


CASES = [
    (Metric.loss, PrivacyModel(k=5, suppression_limit=0.02)),
    (Metric.precision, PrivacyModel(k=10, suppression_limit=0.0)),
    (Metric.entropy, PrivacyModel(k=3, suppression_limit=0.05)),
    (Metric.discernibility, PrivacyModel(k=5, suppression_limit=0.04)),
    (Metric.aecs, PrivacyModel(k=4, suppression_limit=0.01)),
    (Metric.loss, PrivacyModel(k=3, l=2, suppression_limit=0.03)),
    (Metric.precision, PrivacyModel(k=3, l=2, l_variant=LVariant.entropy, suppression_limit=0.05)),
    (Metric.loss, PrivacyModel(k=2, t=0.3, suppression_limit=0.05)),
]


@pytest.mark.parametrize(("metric", "model"), CASES, ids=[f"{m}-{i}" for i, (m, _) in enumerate(CASES)])
def test_optimal_equals_brute_force(
    engine: SqlEngine, adult_dir: Path, adult_sample: str, metric: Metric, model: PrivacyModel
) -> None:
    qis = [QuasiIdentifier(n, read_arx_csv(adult_dir / f"adult_hierarchy_{n}.csv", n)) for n in SMALL]
    sensitive = "workclass" if model.needs_sensitive else None
    ev = NodeEvaluator(engine, adult_sample, qis, model, metric, sensitive)
    bottom, top = [0] * len(qis), ev.heights
    reference = brute_force(ev.evaluate, bottom, top, metric, model.suppression_limit)
    best_first = optimal_search(ev.evaluate, bottom, top, metric, model.suppression_limit, batch=8)
    assert reference.value is not None
    assert best_first.value == pytest.approx(reference.value, rel=1e-9)
    assert best_first.evaluated < reference.evaluated
    if metric.needs_cell_costs:
        fast = separable_search(
            ev.evaluate,
            bottom,
            top,
            ev.level_bounds(),
            metric,
            model.suppression_limit,
            monotone=model.monotone,
            check=lambda ns: ev.evaluate(ns, full=False),
            batch=8,
            rollup=lambda floor: ev.roll_up(floor, min_rows=0),
        )
        assert fast.value == pytest.approx(reference.value, rel=1e-9)
        assert fast.node == reference.node
        assert fast.evaluated < reference.evaluated
    ev.close()


def _random_table(seed: int, rows: int) -> pa.Table:
    rng = random.Random(seed)
    return pa.table(
        {
            "age": [str(rng.randint(0, 9)) for _ in range(rows)],
            "zip": [rng.choice(["101", "102", "201", "202", "301"]) for _ in range(rows)],
            "s": [rng.choice("abc") for _ in range(rows)],
        }
    )


def _qis() -> list[QuasiIdentifier]:
    from hogo.anonymization.builders import interval_hierarchy, masking_hierarchy

    return [
        QuasiIdentifier("age", interval_hierarchy("age", [str(i) for i in range(10)], [2, 4])),
        QuasiIdentifier("zip", masking_hierarchy("zip", ["101", "102", "201", "202", "301"], steps=2)),
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), rows=st.integers(5, 120), k=st.integers(1, 12))
def test_higher_levels_never_shrink_classes(seed: int, rows: int, k: int) -> None:
    with get_engine() as engine:
        engine.register_arrow("t", _random_table(seed, rows))
        ev = NodeEvaluator(engine, "t", _qis(), PrivacyModel(k=k), Metric.loss)
        nodes = list(itertools.product(*(range(h + 1) for h in ev.heights)))
        stats = {s.node: s for s in ev.evaluate(nodes)}
        for a, b in itertools.product(nodes, nodes):
            if all(x <= y for x, y in zip(a, b, strict=True)):
                assert stats[b].classes <= stats[a].classes
                assert stats[b].suppressed <= stats[a].suppressed
                assert stats[b].sq_all >= stats[a].sq_all
        ev.close()
