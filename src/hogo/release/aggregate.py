"""Aggregate release: group-by statistics with small-cell and complementary suppression.

Why: statistics about fewer than *k* people can identify them (匿名加工情報 rule 34 measure 5:
"no small groups"), and hiding a small cell is useless if it can be recomputed by subtracting the
other cells from a published total.

Method
------
1. The engine computes every cell of the cube ``GROUP BY CUBE(dims)`` (all margins and the grand
   total) with ``COUNT(*)`` and, per measure, ``SUM`` and ``AVG``. Combinations absent from the data
   are structural zeros and are published as absent.
2. **Primary suppression**: every cell (margins included) whose count is below ``min_cell_size``.
3. **Complementary suppression**: each margin cell equals the sum of its children along each
   aggregated dimension; these linear equations, with the published cells as knowns, constrain
   the suppressed cells. A suppressed cell is *recoverable* exactly when its row of a basis of the
   null space of the equation matrix (restricted to suppressed cells) is zero, i.e. when every
   table consistent with the publication has the same value there. While some suppressed cell is
   recoverable, the most sensitive one (primary first, smallest count first) gets the cheapest
   *hypercube* (as in τ-ARGUS): another category in each of its dimensions, all 2^n corners
   hidden, so the alternating +1/-1 pattern on the corners changes no published total. If no
   hypercube exists (structural zeros), the cheapest cell sharing an equation that hides it is
   added. The null-space test, not the heuristic, decides when to stop, so the result never
   leaves a suppressed cell recoverable by subtraction. This subsumes the classic "at least two
   suppressed cells in every row and column" rule and catches what that rule misses (a suppressed
   cell bridging two suppressed rectangles).
4. Sums and averages follow the count's pattern: they obey the same equations, so the same
   suppression protects them.

Limits: this protects against exact recovery by linear equations. Knowing that counts are
non-negative lets an attacker bound a suppressed cell (interval inference); choose ``min_cell_size``
with that in mind. Sums are not checked for dominance by one contributor. The threshold counts
distinct persons when the person column is named (releases do, and refuse a member id repeated
on two rows); the source should hold one row per person (aggregate purchases per member first).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from hogo.domain.model import Frozen
from hogo.engines import SqlEngine
from hogo.errors import InputError

MAX_DIMENSIONS = 5
#: Above this many cells the null-space search gets slow; such tables need coarser dimensions.
MAX_CELLS = 200_000
_TOL = 1e-9


class AggregateSpec(Frozen):
    dimensions: list[str] = Field(min_length=1, max_length=MAX_DIMENSIONS)
    measures: list[str] = Field(default_factory=list)
    min_cell_size: int = Field(default=10, ge=1)
    #: Publish margins and the grand total (the cube); without them only leaf cells are shown.
    with_totals: bool = True


class SuppressionSummary(Frozen):
    cells: int
    primary: int
    complementary: int
    rounds: int


@dataclass(frozen=True)
class AggregateResult:
    """Published table (suppressed values null, ``suppression`` says why) and the summary.

    Columns: the dimensions, ``total_<dim>`` (true where the dimension is summed over), ``count``,
    ``sum_<m>`` and ``avg_<m>`` per measure, and ``suppression`` (null, "primary" or
    "complementary").
    """

    table: pa.Table
    summary: SuppressionSummary


def total_column(dim: str) -> str:
    return f"total_{dim}"


def aggregate_sql(engine: SqlEngine, source: str, spec: AggregateSpec, person: str | None = None) -> str:
    """The cube query; identifiers quoted by the engine, no values in the SQL.

    With ``person``, ``count`` is the number of distinct persons in the cell, which is what the
    small-cell threshold protects; without it, the number of rows.
    """
    i = engine.ident
    dims = [i(d) for d in spec.dimensions]
    flags = [
        f"GROUPING({d}) AS {i(total_column(name))}" for d, name in zip(dims, spec.dimensions, strict=True)
    ]
    if not spec.with_totals:
        flags = [f"0 AS {i(total_column(name))}" for name in spec.dimensions]
    counted = f"COUNT(DISTINCT {i(person)})" if person is not None else "COUNT(*)"
    stats = [f"{counted} AS {i('count')}"]
    for m in spec.measures:
        # CSV inputs arrive as text; a value that is not a number fails the release (not NULL).
        value = f"CAST({i(m)} AS DOUBLE)"
        stats.append(f"SUM({value}) AS {i('sum_' + m)}")
        stats.append(f"AVG({value}) AS {i('avg_' + m)}")
    group = f"CUBE ({', '.join(dims)})" if spec.with_totals else ", ".join(dims)
    return f"SELECT {', '.join(dims + flags + stats)} FROM {i(source)} GROUP BY {group}"


def aggregate_release(
    engine: SqlEngine, source: str, spec: AggregateSpec, *, person: str | None = None
) -> AggregateResult:
    """Compute, suppress and return the publishable statistics of table ``source``.

    ``person`` names the column identifying a person: cells then count distinct persons (a
    release passes ``member_id``; its input is also refused if a member id repeats).
    """
    available = set(engine.columns(source))
    for name in [*spec.dimensions, *spec.measures, *([person] if person else [])]:
        if name not in available:
            raise InputError("集計に使う列がありません。", "column for the aggregate is missing", field=name)
    cube = engine.query(aggregate_sql(engine, source, spec, person))
    if cube.num_rows > MAX_CELLS:
        raise InputError(
            f"集計表のセルが多すぎます（{MAX_CELLS}以下にしてください）。",
            f"too many cells in the aggregate (at most {MAX_CELLS})",
        )
    keys = _cell_keys(cube, spec.dimensions)
    counts = np.asarray(cube.column("count").to_numpy(zero_copy_only=False), dtype=np.int64)
    primary = counts < spec.min_cell_size
    suppressed, rounds = complementary_suppression(keys, counts, primary)
    return AggregateResult(
        table=_publish(cube, spec, primary, suppressed),
        summary=SuppressionSummary(
            cells=len(keys),
            primary=int(primary.sum()),
            complementary=int((suppressed & ~primary).sum()),
            rounds=rounds,
        ),
    )


#: Stand-in for "all values" of a dimension in a cell key (a data NULL stays None).
TOTAL = ("__total__",)
CellKey = tuple[object, ...]


def _cell_keys(cube: pa.Table, dims: Sequence[str]) -> list[CellKey]:
    values = [cube.column(d).to_pylist() for d in dims]
    totals = [cube.column(total_column(d)).to_pylist() for d in dims]
    return [
        tuple(TOTAL if totals[j][r] else values[j][r] for j in range(len(dims))) for r in range(cube.num_rows)
    ]


def margin_equations(keys: Sequence[CellKey]) -> list[tuple[int, list[int]]]:
    """(margin cell, its children) for every cell and every dimension it sums over."""
    index = {k: n for n, k in enumerate(keys)}
    children: dict[tuple[int, CellKey], list[int]] = defaultdict(list)
    for n, key in enumerate(keys):
        for d, value in enumerate(key):
            if value is TOTAL:
                continue
            parent = (*key[:d], TOTAL, *key[d + 1 :])
            if parent in index:
                children[(d, parent)].append(n)
    return [(index[parent], kids) for (_, parent), kids in children.items()]


def recoverable(equations: Sequence[tuple[int, list[int]]], suppressed: np.ndarray) -> list[int]:
    """Suppressed cells whose value every consistent table shares (null-space row is zero)."""
    rows = [[parent, *kids] for parent, kids in equations if suppressed[[parent, *kids]].any()]
    found: list[int] = []
    for cells, eqs in _components(rows, suppressed):
        found.extend(_determined(cells, eqs))
    return sorted(found)


def _determined(cells: list[int], eqs: Sequence[list[int]]) -> list[int]:
    """Cells (unknowns) fixed by equations ``parent - sum(children) = published part``."""
    position = {c: n for n, c in enumerate(cells)}
    a = np.zeros((len(eqs), len(cells)))
    for e, (parent, *kids) in enumerate(eqs):
        if parent in position:
            a[e, position[parent]] = 1.0
        for k in kids:
            if k in position:
                a[e, position[k]] = -1.0
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((s > _TOL * max(1.0, float(s.max(initial=0.0)))).sum())
    null = vt[rank:].T
    norms = np.abs(null).sum(axis=1) if null.size else np.zeros(len(cells))
    return [c for c, norm in zip(cells, norms, strict=True) if norm < 1e-7]


def _components(rows: Sequence[list[int]], suppressed: np.ndarray) -> list[tuple[list[int], list[list[int]]]]:
    """Suppressed cells linked by shared equations, with their equations.

    The null space splits along these groups, so each group is solved on its own (small SVDs).
    """
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in rows:
        members = [c for c in row if suppressed[c]]
        for c in members:
            find(c)
        for c in members[1:]:
            parent[find(c)] = find(members[0])
    cells: dict[int, list[int]] = defaultdict(list)
    for c in list(parent):
        cells[find(c)].append(c)
    eqs: dict[int, list[list[int]]] = defaultdict(list)
    for row in rows:
        first = next(c for c in row if suppressed[c])
        eqs[find(first)].append(row)
    return [(sorted(group), eqs[root]) for root, group in cells.items()]


class _Search:
    """State of the complementary search: equations, which cells they touch, costs."""

    def __init__(self, keys: Sequence[CellKey], counts: np.ndarray) -> None:
        self.equations = margin_equations(keys)
        self.rows = [[p, *kids] for p, kids in self.equations]
        self.by_cell: dict[int, list[int]] = defaultdict(list)
        for e, row in enumerate(self.rows):
            for c in row:
                self.by_cell[c].append(e)
        # Prefer hiding detail cells to hiding margins: a hidden margin is itself a term of the
        # next level's equations and tends to need partners of its own; then the smallest count.
        levels = [sum(v is TOTAL for v in k) for k in keys]
        self.cost = {c: (levels[c], int(counts[c]), c) for c in range(len(keys))}
        self.keys = list(keys)
        self.index = {k: n for n, k in enumerate(keys)}
        self.counts = counts
        # Each line of the table (all dimensions fixed but one) → the categories present on it.
        self.lines: dict[tuple[int, CellKey], list[object]] = defaultdict(list)
        for k in keys:
            for d, v in enumerate(k):
                if v is not TOTAL:
                    self.lines[(d, _replace(k, {d: _ANY}))].append(v)

    def hypercube(self, cell: int, suppressed: np.ndarray) -> tuple[list[int], list[int]]:
        """All corners, and the published ones, of the cheapest hypercube with ``cell`` as a corner.

        The classic method (as in τ-ARGUS): pick, in every dimension the cell does not sum over,
        another category; hiding all 2^n corners leaves the alternating +1/-1 pattern on them
        free, which changes no published total, so no corner's value is determined.
        """
        key = self.keys[cell]
        free = [d for d, v in enumerate(key) if v is not TOTAL]
        if not free:
            return [], []
        limit = max(2, int(_HYPERCUBES ** (1 / len(free))))
        options: list[list[object]] = []
        for d in free:
            values = [v for v in self.lines[(d, _replace(key, {d: _ANY}))] if v != key[d]]
            values.sort(key=lambda v: self._corner_cost(_replace(key, {d: v}), suppressed))
            if not values:
                return [], []
            options.append(values[:limit])
        best: tuple[int, list[int], list[int]] | None = None
        for combo in itertools.product(*options):
            corners: list[int] = []
            for mask in range(1, 1 << len(free)):
                changes = {d: combo[j] for j, d in enumerate(free) if mask >> j & 1}
                corner = self.index.get(_replace(key, changes))
                if corner is None:
                    break
                corners.append(corner)
            else:
                hidden = [c for c in corners if not suppressed[c]]
                total = sum(int(self.counts[c]) for c in hidden)
                if best is None or total < best[0]:
                    best = (total, corners, hidden)
        return (best[1], best[2]) if best else ([], [])

    def _corner_cost(self, key: CellKey, suppressed: np.ndarray) -> int:
        n = self.index.get(key)
        if n is None:
            return 1 << 62
        return 0 if suppressed[n] else int(self.counts[n])

    def exposed_after(self, cell: int, suppressed: np.ndarray) -> bool:
        """Is ``cell`` still determined under ``suppressed``? Solves only its own group."""
        group, seen_eqs, todo = {cell}, set(), [cell]
        while todo:
            c = todo.pop()
            for e in self.by_cell[c]:
                if e in seen_eqs:
                    continue
                seen_eqs.add(e)
                for other in self.rows[e]:
                    if suppressed[other] and other not in group:
                        group.add(other)
                        todo.append(other)
        return cell in _determined(sorted(group), [self.rows[e] for e in sorted(seen_eqs)])

    def partner(self, cell: int, suppressed: np.ndarray) -> int | None:
        """The cheapest published cell whose suppression hides ``cell``; else the cheapest one."""
        candidates = sorted(
            {c for e in self.by_cell[cell] for c in self.rows[e] if not suppressed[c]},
            key=self.cost.__getitem__,
        )
        for candidate in candidates[:_TRIALS]:
            suppressed[candidate] = True
            hidden = not self.exposed_after(cell, suppressed)
            suppressed[candidate] = False
            if hidden:
                return candidate
        if candidates:
            return candidates[0]
        # All of the cell's equations are hidden yet the group is determined: widen at its edge.
        edge = {c for row in self.rows if suppressed[row].any() for c in row if not suppressed[c]}
        return min(edge, key=self.cost.__getitem__) if edge else None


_TRIALS = 24
#: How many hypercubes to price per exposed cell (spread over its dimensions).
_HYPERCUBES = 4096


_ANY = ("__any__",)


def _replace(key: CellKey, changes: dict[int, object]) -> CellKey:
    return tuple(changes.get(j, v) for j, v in enumerate(key))


def complementary_suppression(
    keys: Sequence[CellKey], counts: np.ndarray, primary: np.ndarray
) -> tuple[np.ndarray, int]:
    """Grow the primary pattern until no suppressed cell is recoverable; returns (mask, rounds).

    Each round finds the recoverable cells (exactly, by null space) and gives each of them, most
    sensitive first (primary, then smallest count), its cheapest hypercube, unless a hypercube
    chosen earlier in the round already has it as a corner. Cells without a hypercube get the
    cheapest single partner that hides them. The next round checks the result again.
    """
    suppressed = primary.copy()
    search = _Search(keys, counts)
    rounds = 0
    while suppressed.any():
        exposed = recoverable(search.equations, suppressed)
        if not exposed:
            break
        rounds += 1
        before = int(suppressed.sum())
        covered: set[int] = set()
        for cell in sorted(exposed, key=lambda c: (not primary[c], int(counts[c]), c)):
            if cell in covered:
                continue
            corners, hidden = search.hypercube(cell, suppressed)
            if corners:
                suppressed[hidden] = True
                covered.update(corners)
                covered.add(cell)
                continue
            partner = search.partner(cell, suppressed)
            if partner is not None:
                suppressed[partner] = True
                covered.add(cell)
        if int(suppressed.sum()) == before:
            # Nothing more could be hidden next to the exposed cells: fail safe, publish nothing.
            suppressed[:] = True
            break
    return suppressed, rounds


def _publish(cube: pa.Table, spec: AggregateSpec, primary: np.ndarray, suppressed: np.ndarray) -> pa.Table:
    hide = pa.array(suppressed)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for d in spec.dimensions:
        columns[d] = cube.column(d)
    for d in spec.dimensions:
        columns[total_column(d)] = pc.cast(cube.column(total_column(d)), pa.bool_())
    stats = ["count"] + [f"{p}_{m}" for m in spec.measures for p in ("sum", "avg")]
    for name in stats:
        col = cube.column(name)
        columns[name] = pc.if_else(hide, pa.scalar(None, col.type), col)
    reason = [
        "primary" if p else "complementary" if s else None for p, s in zip(primary, suppressed, strict=True)
    ]
    columns["suppression"] = pa.array(reason, pa.string())
    table = pa.table(columns)
    order = [(total_column(d), "descending") for d in spec.dimensions] + [
        (d, "ascending") for d in spec.dimensions
    ]
    return table.sort_by(order)
