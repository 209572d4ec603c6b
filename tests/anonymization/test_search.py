"""The optimal searches return the brute-force optimum; the numpy and SQL evaluators agree."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hogo.anonymization.evaluation import NodeEvaluator, QuasiIdentifier
from hogo.anonymization.frequency import FrequencyEvaluator, sum_by_key
from hogo.anonymization.hierarchy import read_arx_csv
from hogo.anonymization.lattice import Node, brute_force, optimal_search, separable_search
from hogo.anonymization.metrics import Metric, NodeStats
from hogo.anonymization.models import LVariant, PrivacyModel
from hogo.anonymization.risk import class_size_histogram
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


def _sql_check(ev: NodeEvaluator, limit: float) -> Callable[[Sequence[Node]], list[bool]]:
    return lambda nodes: [s.anonymous(limit) for s in ev.evaluate(nodes, full=False)]


@pytest.mark.parametrize("kind", ["sql", "numpy"])
@pytest.mark.parametrize(("metric", "model"), CASES, ids=[f"{m}-{i}" for i, (m, _) in enumerate(CASES)])
def test_optimal_equals_brute_force(
    engine: SqlEngine, adult_dir: Path, adult_sample: str, metric: Metric, model: PrivacyModel, kind: str
) -> None:
    qis = [QuasiIdentifier(n, read_arx_csv(adult_dir / f"adult_hierarchy_{n}.csv", n)) for n in SMALL]
    sensitive = "workclass" if model.needs_sensitive else None
    sql = NodeEvaluator(engine, adult_sample, qis, model, metric, sensitive)
    bottom, top = [0] * len(qis), sql.heights
    reference = brute_force(sql.evaluate, bottom, top, metric, model.suppression_limit)
    assert reference.value is not None
    ev: NodeEvaluator | FrequencyEvaluator = sql
    check = _sql_check(sql, model.suppression_limit)
    if kind == "numpy":
        ev = FrequencyEvaluator(engine, adult_sample, qis, model, metric, sensitive)
        check = ev.check
        # the numpy statistics are those of the SQL evaluator, node by node
        _assert_same_stats(reference.trace, ev.evaluate([s.node for s in reference.trace]))
    best_first = optimal_search(ev.evaluate, bottom, top, metric, model.suppression_limit, batch=8)
    assert best_first.value == pytest.approx(reference.value, rel=1e-9)
    assert best_first.node == reference.node
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
            check=check,
            batch=8 if kind == "sql" else 1,
            rollup=lambda floor: ev.roll_up(floor, min_rows=0),
        )
        assert fast.value == pytest.approx(reference.value, rel=1e-9)
        assert fast.node == reference.node
        assert fast.evaluated < reference.evaluated
    ev.close()
    sql.close()


def _assert_same_stats(expected: Sequence[NodeStats], actual: Sequence[NodeStats]) -> None:
    for a, b in zip(expected, actual, strict=True):
        assert a.node == b.node
        assert (a.classes, a.kept_classes, a.total, a.suppressed, a.min_kept_size) == (
            b.classes,
            b.kept_classes,
            b.total,
            b.suppressed,
            b.min_kept_size,
        ), a.node
        assert (a.sq_all, a.sq_kept) == (b.sq_all, b.sq_kept), a.node
        assert b.cost_all == pytest.approx(a.cost_all, rel=1e-9, abs=1e-9), a.node
        assert b.cost_final == pytest.approx(a.cost_final, rel=1e-9, abs=1e-9), a.node


MODELS = [
    PrivacyModel(k=2, suppression_limit=0.1),
    PrivacyModel(k=3, l=2, suppression_limit=0.2),
    PrivacyModel(k=2, l=2, l_variant=LVariant.entropy, suppression_limit=0.3),
    PrivacyModel(k=2, t=0.4, suppression_limit=0.3),
    PrivacyModel(k=4, suppression_limit=0.0),
]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(1, 150),
    k=st.integers(1, 8),
    model_index=st.integers(0, len(MODELS) - 1),
    metric=st.sampled_from(list(Metric)),
    limit=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
)
def test_numpy_search_equals_sql_brute_force_on_random_tables(
    seed: int, rows: int, k: int, model_index: int, metric: Metric, limit: float
) -> None:
    """Random small tables: same statistics for every node, same optimum, whatever the search."""
    base = MODELS[model_index]
    model = PrivacyModel(k=k, l=base.l, l_variant=base.l_variant, t=base.t, suppression_limit=limit)
    sensitive = "s" if model.needs_sensitive else None
    with get_engine() as engine:
        engine.register_arrow("t", _random_table(seed, rows))
        sql = NodeEvaluator(engine, "t", _qis(), model, metric, sensitive)
        fast = FrequencyEvaluator(engine, "t", _qis(), model, metric, sensitive)
        bottom, top = [0, 0], sql.heights
        reference = brute_force(sql.evaluate, bottom, top, metric, limit)
        _assert_same_stats(reference.trace, fast.evaluate([s.node for s in reference.trace]))
        # the cheap check may only rule out nodes that are truly not anonymous
        for stats, maybe in zip(reference.trace, fast.check([s.node for s in reference.trace]), strict=True):
            assert maybe or not stats.anonymous(limit)
        fast.evaluate([s.node for s in reference.trace])  # drains the statistics the check kept
        if metric.needs_cell_costs:
            found = separable_search(
                fast.evaluate,
                bottom,
                top,
                fast.level_bounds(),
                metric,
                limit,
                monotone=model.monotone,
                check=fast.check,
                batch=1,
                rollup=lambda floor: fast.roll_up(floor, min_rows=0),
            )
        else:
            found = optimal_search(fast.evaluate, bottom, top, metric, limit, batch=1)
        assert found.node == reference.node
        if reference.value is not None:
            assert found.value == pytest.approx(reference.value, rel=1e-9, abs=1e-12)
        fast.close()
        sql.close()


def test_wide_keys_and_every_grouping_path_agree(engine: SqlEngine) -> None:
    """Keys too wide for one int64 (seven 600-value attributes) fall back to grouping the codes."""
    from hogo.anonymization.builders import interval_hierarchy

    rng = random.Random(7)
    names = [f"a{i}" for i in range(7)]
    table = pa.table({n: [str(rng.randint(0, 599)) for _ in range(300)] for n in names})
    table = table.append_column("s", pa.array([rng.choice("xyz") for _ in range(300)]))
    engine.register_arrow("wide", table)
    domain = [str(v) for v in range(600)]
    qis = [QuasiIdentifier(n, interval_hierarchy(n, domain, [10, 100])) for n in names]
    nodes = [(0,) * 7, (1, 0, 0, 0, 0, 0, 0), (2, 2, 2, 1, 1, 1, 1), (3,) * 7]
    for model in (PrivacyModel(k=2, suppression_limit=0.5), PrivacyModel(k=2, l=2, suppression_limit=0.5)):
        sensitive = "s" if model.needs_sensitive else None
        sql = NodeEvaluator(engine, "wide", qis, model, Metric.loss, sensitive)
        fast = FrequencyEvaluator(engine, "wide", qis, model, Metric.loss, sensitive)
        _assert_same_stats(sql.evaluate(nodes), fast.evaluate(nodes))
        assert fast.class_size_histogram() == class_size_histogram(engine, "wide", names)
        fast.close()
        sql.close()


@settings(max_examples=50, deadline=None)
@given(
    keys=st.lists(st.integers(0, 2**40), min_size=0, max_size=60),
    spread=st.sampled_from([1, 7, 2**20, 2**40 + 1]),
    heavy=st.booleans(),
)
def test_sum_by_key_matches_a_plain_count(keys: list[int], spread: int, heavy: bool) -> None:
    """The dense, packed and sorted ways of summing per key give the same as a dictionary."""
    key = np.asarray([k % spread for k in keys], dtype=np.int64)
    weights = np.asarray([(2**40 if heavy else 1) + i % 3 for i in range(len(keys))], dtype=np.int64)
    expected: dict[int, int] = {}
    for k, w in zip(key.tolist(), weights.tolist(), strict=True):
        expected[k] = expected.get(k, 0) + w
    got_keys, got_sums = sum_by_key(key, weights, spread)
    assert got_keys.tolist() == sorted(expected)
    assert got_sums.tolist() == [expected[k] for k in sorted(expected)]


def _random_table(seed: int, rows: int) -> pa.Table:
    rng = random.Random(seed)
    return pa.table(
        {
            "age": [str(rng.randint(0, 9)) for _ in range(rows)],
            "zip": [rng.choice(["101", "102", "201", "202", "301"]) for _ in range(rows)],
            "s": [rng.choice(["a", "b", "c", None]) for _ in range(rows)],
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


def test_block_keys_with_renumbering_agree_with_sql(engine: SqlEngine) -> None:
    """Five 300-value attributes make one block each, and keys are renumbered densely between them:
    statistics, check and failing classes must still be those of the SQL evaluator."""
    from hogo.anonymization.builders import interval_hierarchy

    rng = random.Random(11)
    names = [f"b{i}" for i in range(5)]
    table = pa.table({n: [str(rng.randint(0, 299)) for _ in range(2_000)] for n in names})
    engine.register_arrow("blocks", table)
    domain = [str(v) for v in range(300)]
    qis = [QuasiIdentifier(n, interval_hierarchy(n, domain, [3, 30, 150])) for n in names]
    model = PrivacyModel(k=3, suppression_limit=0.3)
    sql = NodeEvaluator(engine, "blocks", qis, model, Metric.loss)
    fast = FrequencyEvaluator(engine, "blocks", qis, model, Metric.loss)
    nodes = [tuple(rng.randint(0, h) for h in sql.heights) for _ in range(60)] + [(0,) * 5, (4,) * 5]
    expected = sql.evaluate(nodes)
    _assert_same_stats(expected, fast.evaluate(nodes))
    assert fast.check(nodes) == [s.anonymous(model.suppression_limit) for s in expected]
    fast.evaluate(nodes)  # drains the statistics the check kept
    for node in nodes[:20]:
        query, params = sql.failing_classes_sql(node)
        assert _sorted_rows(fast.failing_classes(node)) == _sorted_rows(engine.query(query, params)), node
    fast.close()
    sql.close()


def _sorted_rows(table: pa.Table | None) -> list[tuple[object, ...]]:
    return [] if table is None else sorted(tuple(r.values()) for r in table.to_pylist())
