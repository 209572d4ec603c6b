"""Aggregate release: small cells are hidden and cannot be recovered from the published totals.

The attackers here are independent of the implementation: one repeatedly subtracts published
cells from published totals; the other does exact Gaussian elimination (fractions) on every
published equation and asks, for each hidden cell, whether its value is forced.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.engines import SqlEngine, get_engine
from hogo.errors import InputError
from hogo.release.aggregate import (
    TOTAL,
    AggregateSpec,
    aggregate_release,
    complementary_suppression,
    margin_equations,
    total_column,
)


@pytest.fixture
def engine() -> Iterator[SqlEngine]:
    with get_engine() as e:
        yield e


def _table(rng: np.random.Generator, n: int, dims: dict[str, tuple[list[str], list[float]]]) -> pa.Table:
    cols: dict[str, object] = {name: rng.choice(values, n, p=p) for name, (values, p) in dims.items()}
    cols["amount"] = rng.integers(100, 10_000, n)
    return pa.table(cols)


def _cells(
    result: pa.Table, dims: list[str]
) -> tuple[list[tuple[object, ...]], list[int | None], list[bool]]:
    keys = []
    for row in result.to_pylist():
        keys.append(tuple(TOTAL if row[total_column(d)] else row[d] for d in dims))
    return (
        keys,
        result.column("count").to_pylist(),
        [s is not None for s in result.column("suppression").to_pylist()],
    )


def _peel(keys: list[tuple[object, ...]], counts: list[int | None]) -> set[int]:
    """Attack 1: subtract published children from published totals until nothing changes."""
    known = {i: c for i, c in enumerate(counts) if c is not None}
    recovered: set[int] = set()
    equations = margin_equations(keys)
    changed = True
    while changed:
        changed = False
        for parent, kids in equations:
            unknown = [c for c in (parent, *kids) if c not in known]
            if len(unknown) != 1:
                continue
            (x,) = unknown
            kids_sum = sum(known[k] for k in kids if k != x)
            known[x] = kids_sum if x == parent else known[parent] - kids_sum
            recovered.add(x)
            changed = True
    return recovered


def _forced(keys: list[tuple[object, ...]], hidden: list[int]) -> set[int]:
    """Attack 2: exact elimination; a hidden cell is forced iff its unit vector is in the row space."""
    col = {c: n for n, c in enumerate(hidden)}
    rows = []
    for parent, kids in margin_equations(keys):
        row = [Fraction(0)] * len(hidden)
        if parent in col:
            row[col[parent]] += 1
        for k in kids:
            if k in col:
                row[col[k]] -= 1
        if any(row):
            rows.append(row)
    basis = _echelon(rows)
    forced = set()
    for c, n in col.items():
        unit = [Fraction(int(j == n)) for j in range(len(hidden))]
        if len(_echelon([*basis, unit])) == len(basis):
            forced.add(c)
    return forced


def _echelon(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    rows = [r[:] for r in rows]
    out: list[list[Fraction]] = []
    width = len(rows[0]) if rows else 0
    for j in range(width):
        pivot = next((r for r in rows if r[j] != 0), None)
        if pivot is None:
            continue
        rows.remove(pivot)
        for r in rows:
            if r[j] != 0:
                f = r[j] / pivot[j]
                for t in range(width):
                    r[t] -= f * pivot[t]
        out.append(pivot)
    return out


PREFS = (["東京都", "大阪府", "秋田県", "鳥取県", "島根県"], [0.45, 0.3, 0.12, 0.08, 0.05])
AGES = (["20代", "30代", "40代", "50代", "90代"], [0.25, 0.25, 0.25, 0.22, 0.03])
SEXES = (["F", "M"], [0.5, 0.5])


def test_two_way_table_small_cells_cannot_be_recovered(engine: SqlEngine) -> None:
    rng = np.random.default_rng(7)
    engine.register_arrow("t", _table(rng, 3000, {"pref": PREFS, "age": AGES}))
    spec = AggregateSpec(dimensions=["pref", "age"], measures=["amount"], min_cell_size=25)
    result = aggregate_release(engine, "t", spec)
    keys, counts, hidden = _cells(result.table, spec.dimensions)
    assert result.summary.primary > 0 and result.summary.complementary > 0
    hidden_cells = [i for i, h in enumerate(hidden) if h]
    assert not _peel(keys, counts)
    assert not _forced(keys, hidden_cells)
    # Every published count is at least the threshold; hidden sums and averages are hidden too.
    assert all(c >= 25 for c in counts if c is not None)
    for row in result.table.to_pylist():
        if row["suppression"] is not None:
            assert row["sum_amount"] is None and row["avg_amount"] is None


def test_primary_suppression_alone_would_be_recoverable(engine: SqlEngine) -> None:
    """The attack is real: without complementary cells the small cells come straight back."""
    rng = np.random.default_rng(7)
    engine.register_arrow("t", _table(rng, 3000, {"pref": PREFS, "age": AGES}))
    spec = AggregateSpec(dimensions=["pref", "age"], min_cell_size=25)
    result = aggregate_release(engine, "t", spec)
    keys, _, _ = _cells(result.table, spec.dimensions)
    raw = engine.query("SELECT pref, age, COUNT(*) AS n FROM t GROUP BY CUBE (pref, age)")
    truth: dict[tuple[object, ...], int] = {
        (TOTAL if r["pref"] is None else r["pref"], TOTAL if r["age"] is None else r["age"]): r["n"]
        for r in raw.to_pylist()
    }
    counts_true = [truth[k] for k in keys]
    primary_only = [c if c >= 25 else None for c in counts_true]
    recovered = _peel(keys, primary_only)
    assert recovered and all(counts_true[i] < 25 for i in recovered)


def test_three_way_table(engine: SqlEngine) -> None:
    rng = np.random.default_rng(11)
    engine.register_arrow("t", _table(rng, 4000, {"pref": PREFS, "age": AGES, "sex": SEXES}))
    spec = AggregateSpec(dimensions=["pref", "age", "sex"], min_cell_size=15)
    result = aggregate_release(engine, "t", spec)
    keys, counts, hidden = _cells(result.table, spec.dimensions)
    assert result.summary.primary > 0
    assert not _peel(keys, counts)
    assert not _forced(keys, [i for i, h in enumerate(hidden) if h])


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 40), st.integers(1, 3))
def test_random_tables_never_expose_a_hidden_cell(seed: int, k: int, ndims: int) -> None:
    rng = np.random.default_rng(seed)
    dims = dict(list({"pref": PREFS, "age": AGES, "sex": SEXES}.items())[:ndims])
    n = int(rng.integers(50, 800))
    with get_engine() as engine:
        engine.register_arrow("t", _table(rng, n, dims))
        result = aggregate_release(engine, "t", AggregateSpec(dimensions=list(dims), min_cell_size=k))
    keys, counts, hidden = _cells(result.table, list(dims))
    assert not _forced(keys, [i for i, h in enumerate(hidden) if h])
    assert all(c >= k for c in counts if c is not None)


def test_leaf_only_table_needs_no_complement(engine: SqlEngine) -> None:
    rng = np.random.default_rng(3)
    engine.register_arrow("t", _table(rng, 500, {"pref": PREFS}))
    result = aggregate_release(
        engine, "t", AggregateSpec(dimensions=["pref"], min_cell_size=50, with_totals=False)
    )
    assert result.summary.complementary == 0
    assert result.table.num_rows == 5


def test_one_way_table_hides_a_second_cell() -> None:
    keys = [(TOTAL,), ("a",), ("b",), ("c",)]
    counts = np.array([100, 3, 40, 57])
    hidden, _ = complementary_suppression(keys, counts, counts < 5)
    assert hidden.tolist() == [False, True, True, False]


def test_missing_column_is_an_input_error(engine: SqlEngine) -> None:
    engine.register_arrow("t", pa.table({"pref": ["東京都"]}))
    with pytest.raises(InputError) as info:
        aggregate_release(engine, "t", AggregateSpec(dimensions=["pref", "age"]))
    assert info.value.field == "age"


def test_cells_count_distinct_persons_when_the_person_column_is_named(engine: SqlEngine) -> None:
    """A person on two rows is one person: a cell of 4 persons stays below min_cell_size 5."""
    people = ["P1", "P2", "P3", "P4", "P1", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]
    prefs = ["東京都"] * 5 + ["大阪府"] * 6
    engine.register_arrow("people", pa.table({"member_id": people, "prefecture": prefs}))
    spec = AggregateSpec(dimensions=["prefecture"], min_cell_size=5)
    by_rows = aggregate_release(engine, "people", spec).table.to_pylist()
    by_persons = aggregate_release(engine, "people", spec, person="member_id").table.to_pylist()
    tokyo_rows = next(c for c in by_rows if c["prefecture"] == "東京都" and not c["total_prefecture"])
    tokyo = next(c for c in by_persons if c["prefecture"] == "東京都" and not c["total_prefecture"])
    assert tokyo_rows["count"] == 5  # rows: what a repeated row did before
    assert tokyo["count"] is None and tokyo["suppression"] == "primary"
