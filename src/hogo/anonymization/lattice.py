"""Optimal full-domain generalisation: best-first branch and bound over the level lattice.

Why best-first with bounds: a node's metric lower bound (see ``metrics``) holds for every node
above it, so once an anonymous solution with value *v* is known, any node whose bound is ≥ *v*
is pruned together with all of its successors, and the search stops when the smallest open bound
reaches *v*. This returns the same optimum as brute force (tests compare them on small lattices)
while evaluating a fraction of a large lattice. Nodes are evaluated in batches so one engine
query serves many nodes. With a monotone model (k-anonymity, distinct l-diversity) successors of
an anonymous node are known to be anonymous without a check (predictive tagging).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hogo.anonymization.metrics import Metric, NodeStats, metric_bound, metric_value

Node = tuple[int, ...]
Evaluate = Callable[[Sequence[Node]], list[NodeStats]]
# False for a node proven not anonymous (cheaply); True when it may be, and is then evaluated.
Check = Callable[[Sequence[Node]], list[bool]]


@dataclass
class SearchResult:
    node: Node | None
    stats: NodeStats | None
    value: float | None
    lattice_size: int
    evaluated: int
    pruned_by_bound: int
    trace: list[NodeStats] = field(default_factory=list)


def lattice_size(bottom: Sequence[int], top: Sequence[int]) -> int:
    return math.prod(t - b + 1 for b, t in zip(bottom, top, strict=True))


def tolerance(metric: Metric, value: float) -> float:
    """Values closer than this are a tie: sums of float costs differ in their last bits by order.

    Relative for the metrics summed from float cell costs (entropy runs to millions of bits),
    absolute for the others, whose values are computed exactly from integer counts.
    """
    if metric.needs_cell_costs and math.isfinite(value):
        return 1e-12 * max(1.0, abs(value))
    return 1e-12


def _better(value: float, node: Node, best_value: float, best_node: Node | None, tol: float = 1e-12) -> bool:
    """Lower metric wins; ties go to the less generalised node, then the lexicographically smaller."""
    if best_node is None or value < best_value - tol:
        return True
    if value > best_value + tol:
        return False
    return (sum(node), node) < (sum(best_node), best_node)


@dataclass
class _Best:
    """The best anonymous node found so far, and the tolerance ties with it are judged by."""

    metric: Metric
    value: float = math.inf
    node: Node | None = None
    stats: NodeStats | None = None
    tol: float = 1e-12

    def offer(self, value: float, node: Node, stats: NodeStats) -> None:
        """Keep ``node`` if it beats the best so far (a tie goes to the lower level sum)."""
        if _better(value, node, self.value, self.node, self.tol):
            self.value, self.node, self.stats = value, node, stats
            self.tol = tolerance(self.metric, value)


def _may_win(bound: float, node: Node, best_value: float, best_node: Node | None, tol: float) -> bool:
    """Whether ``node``, whose value is at least ``bound``, could beat the best, ties included."""
    return _better(bound, node, best_value, best_node, tol)


def optimal_search(
    evaluate: Evaluate,
    bottom: Sequence[int],
    top: Sequence[int],
    metric: Metric,
    suppression_limit: float,
    *,
    batch: int = 48,
    progress: Callable[[int], None] | None = None,
) -> SearchResult:
    """Find the anonymous node with the lowest metric value between ``bottom`` and ``top``.

    A node is pruned, with its successors, only when none of them can beat the best found, ties
    included: a successor is more generalised, so it can win a tie only while its level sum is at
    most the best node's. The result is therefore the brute-force optimum, whatever the batch.
    """
    n = len(bottom)
    start: Node = tuple(bottom)
    heap: list[tuple[float, int, Node]] = [(-math.inf, sum(start), start)]
    seen = {start}
    best = _Best(metric)
    evaluated = pruned = 0
    while heap and heap[0][0] <= best.value + best.tol:
        chunk = _next_chunk(heap, best, batch)
        if not chunk:
            continue
        stats_list = evaluate(chunk)
        evaluated += len(chunk)
        if progress is not None:
            progress(len(chunk))
        for stats in stats_list:
            bound = metric_bound(metric, stats, n)
            if stats.anonymous(suppression_limit):
                best.offer(metric_value(metric, stats, n), stats.node, stats)
            if best.node is not None and (
                bound > best.value + best.tol
                or (bound >= best.value - best.tol and sum(stats.node) >= sum(best.node))
            ):
                pruned += 1
                continue
            for child in _children(stats.node, top):
                if child not in seen:
                    seen.add(child)
                    heapq.heappush(heap, (bound, sum(child), child))
    return SearchResult(
        node=best.node,
        stats=best.stats,
        value=None if best.node is None else best.value,
        lattice_size=lattice_size(bottom, top),
        evaluated=evaluated,
        pruned_by_bound=pruned,
    )


def _may_win_all(
    cand: Any, sums: Any, bounds: Any, best_value: float, best_node: Node | None, tol: float
) -> Any:
    """``_may_win`` for every row of ``cand`` at once (numpy)."""
    import numpy as np

    if best_node is None:
        return np.ones(len(cand), dtype=bool)
    clear = bounds < best_value - tol
    best = np.asarray(best_node)
    differ = cand != best
    first = differ.argmax(axis=1)
    rows = np.arange(len(cand))
    lex_less = differ.any(axis=1) & (cand[rows, first] < best[first])
    best_sum = int(best.sum())
    earlier = (sums < best_sum) | ((sums == best_sum) & lex_less)
    return clear | ((bounds <= best_value + tol) & earlier)


class _Candidates:
    """The nodes that may still win, in evaluation order: most general first, then lowest bound.

    Why this shape: the search takes one node at a time, so each step must cost microseconds, not
    a pass over every node. Nodes before ``pos`` are settled, so each step looks only at the rest;
    a node at or below another has a smaller level sum and therefore comes after it, so dropping
    the nodes below one just evaluated never needs to look back. Attributes are held as separate
    contiguous columns: the dominance test is then one vector comparison per attribute.
    """

    def __init__(self, nodes: Any, sums: Any, bounds: Any) -> None:
        import numpy as np

        self.nodes, self.sums, self.bounds = nodes, sums, bounds
        self.cols = [np.ascontiguousarray(nodes[:, i]) for i in range(nodes.shape[1])]
        self.alive = np.ones(len(nodes), dtype=bool)
        self.pos = 0

    def drop_known(self, known: Iterable[Node]) -> None:
        """Drop nodes already evaluated (by the climb)."""
        for node in known:
            self.alive &= ~self._at_or_below(node, 0, exact=True)

    def keep_may_win(self, best: _Best) -> None:
        """Drop the nodes that can no longer beat ``best``, ties included."""
        p = self.pos
        self.alive[p:] &= _may_win_all(
            self.nodes[p:], self.sums[p:], self.bounds[p:], best.value, best.node, best.tol
        )

    def drop_at_or_below(self, node: Node) -> None:
        """With a monotone model, nothing at or below a node that is not anonymous can be."""
        self.alive[self.pos :] &= ~self._at_or_below(node, self.pos, exact=False)

    def _at_or_below(self, node: Node, start: int, *, exact: bool) -> Any:
        import numpy as np

        compare = np.equal if exact else np.less_equal
        mask = compare(self.cols[0][start:], node[0])
        for col, level in zip(self.cols[1:], node[1:], strict=True):
            mask &= compare(col[start:], level)
        return mask

    def take(self, batch: int) -> list[Node]:
        """The next ``batch`` live nodes in order, marked as taken; empty when none is left."""
        import numpy as np

        rest = self.alive[self.pos :]
        if batch == 1:
            first = int(rest.argmax()) if len(rest) else 0
            if not len(rest) or not rest[first]:
                self.pos = len(self.alive)
                return []
            chosen = np.asarray([self.pos + first])
        else:
            chosen = self.pos + np.flatnonzero(rest)[:batch]
            if not len(chosen):
                self.pos = len(self.alive)
                return []
        self.alive[chosen] = False
        self.pos = int(chosen[-1]) + 1  # everything before the last one taken is settled now
        return [tuple(int(x) for x in self.nodes[i]) for i in chosen]

    def floor(self, chosen: Sequence[Node]) -> tuple[int, ...]:
        """The levels every node still to be evaluated is at or above (``chosen`` included)."""
        import numpy as np

        rest = self.nodes[self.pos :][self.alive[self.pos :]]
        low = np.min(np.asarray(chosen), axis=0)
        if len(rest):
            low = np.minimum(low, rest.min(axis=0))
        return tuple(int(x) for x in low)


def separable_search(
    evaluate: Evaluate,
    bottom: Sequence[int],
    top: Sequence[int],
    level_bounds: Sequence[Sequence[float]],
    metric: Metric,
    suppression_limit: float,
    *,
    monotone: bool,
    check: Check | None = None,
    rollup: Callable[[Sequence[int]], None] | None = None,
    batch: int = 32,
    progress: Callable[[int], None] | None = None,
) -> SearchResult:
    """Optimal search when the bound is a sum of per-attribute level costs (loss, precision, entropy).

    Bounds are then known for every node without a query. Candidates are the nodes whose bound is
    below the best value found; they are evaluated from the most general down, and with a
    monotone model a node that is not anonymous rules out every node below it without a query.
    A greedy climb along the cheapest bounds first finds a good solution to shrink the candidates.
    ``rollup(floor)`` lets the evaluator pre-aggregate its table to the levels every remaining
    node is at or above, so later queries read fewer rows.
    """
    import numpy as np

    n = len(bottom)
    ranges = [np.arange(b, t + 1) for b, t in zip(bottom, top, strict=True)]
    grid = np.stack(np.meshgrid(*ranges, indexing="ij"), axis=-1).reshape(-1, n)
    bounds = _level_sums(grid, level_bounds)
    best = _Best(metric)
    evaluated = 0
    blocked: list[Node] = []  # nodes known not to be anonymous (monotone)
    known: set[Node] = set()

    def run(nodes: list[Node]) -> list[bool]:
        """Evaluate ``nodes``; whether each is anonymous."""
        nonlocal evaluated
        # The cheap check first; full statistics only for the nodes it cannot rule out.
        maybe = check(nodes) if check is not None else [True] * len(nodes)
        full = {r.node: r for r in evaluate([v for v, ok in zip(nodes, maybe, strict=True) if ok])}
        evaluated += len(nodes)
        if progress is not None:
            progress(len(nodes))
        out = []
        for node in nodes:
            known.add(node)
            stats = full.get(node)
            if stats is not None and stats.anonymous(suppression_limit):
                out.append(True)
                best.offer(metric_value(metric, stats, n), node, stats)
                continue
            out.append(False)
            if monotone:
                blocked.append(node)
        return out

    _climb(_cheapest_path(bottom, top, level_bounds), run, known, monotone=monotone, rollup=rollup)

    sums = grid.sum(axis=1)
    order = np.lexsort((bounds, -sums))
    order = order[_may_win_all(grid[order], sums[order], bounds[order], best.value, best.node, best.tol)]
    cand = _Candidates(grid[order], sums[order], bounds[order])
    cand.drop_known(known)
    _sweep(cand, best, blocked, run, batch=batch, rollup=rollup)
    return SearchResult(
        node=best.node,
        stats=best.stats,
        value=None if best.node is None else best.value,
        lattice_size=len(grid),
        evaluated=evaluated,
        pruned_by_bound=int((bounds >= best.value).sum()),
    )


def _sweep(
    cand: _Candidates,
    best: _Best,
    blocked: list[Node],
    run: Callable[[list[Node]], list[bool]],
    *,
    batch: int,
    rollup: Callable[[Sequence[int]], None] | None,
) -> None:
    """Evaluate the candidates in order until none may win; ``run`` extends ``blocked`` and ``best``."""
    seen_blocked, pruned_for = 0, best.node
    while True:
        if best.node != pruned_for:
            cand.keep_may_win(best)
            pruned_for = best.node
        for node in blocked[seen_blocked:]:
            cand.drop_at_or_below(node)
        seen_blocked = len(blocked)
        chosen = cand.take(batch)
        if not chosen:
            return
        if rollup is not None:
            rollup(cand.floor(chosen))
        run(chosen)


def _next_chunk(heap: list[tuple[float, int, Node]], best: _Best, batch: int) -> list[Node]:
    """Up to ``batch`` nodes off the heap, cheapest bound first, that may still beat the best."""
    chunk: list[Node] = []
    while heap and heap[0][0] <= best.value + best.tol and len(chunk) < batch:
        bound, _, node = heapq.heappop(heap)
        if _may_win(bound, node, best.value, best.node, best.tol):
            chunk.append(node)
    return chunk


def _level_sums(grid: Any, level_bounds: Sequence[Sequence[float]]) -> Any:
    """Each node's bound: the sum of its attributes' level costs."""
    import numpy as np

    bounds = np.zeros(len(grid))
    for i, costs in enumerate(level_bounds):
        bounds += np.asarray(costs, dtype=float)[grid[:, i]]
    return bounds


def _children(node: Node, top: Sequence[int]) -> list[Node]:
    """The nodes one level more general than ``node`` in one attribute, within ``top``."""
    return [(*node[:i], node[i] + 1, *node[i + 1 :]) for i in range(len(node)) if node[i] < top[i]]


def _cheapest_path(
    bottom: Sequence[int], top: Sequence[int], level_bounds: Sequence[Sequence[float]]
) -> list[Node]:
    """The greedy climb's path: from the bottom, raise the attribute whose next level costs least."""
    n = len(bottom)
    path: list[Node] = [tuple(bottom)]
    while path[-1] != tuple(top):
        node = path[-1]
        options = [i for i in range(n) if node[i] < top[i]]
        step = min(options, key=lambda i: level_bounds[i][node[i] + 1] - level_bounds[i][node[i]])
        path.append((*node[:step], node[step] + 1, *node[step + 1 :]))
    return path


def _climb(
    path: list[Node],
    run: Callable[[list[Node]], list[bool]],
    known: set[Node],
    *,
    monotone: bool,
    rollup: Callable[[Sequence[int]], None] | None,
) -> None:
    """Evaluate up `path` to its first anonymous node, to find a good solution early. The path
    depends on the bounds only, so with a monotone model it is searched by bisection."""
    if not monotone:
        for node in path:
            (anonymous,) = run([node])
            if anonymous:
                return
            if rollup is not None:
                rollup(node)
        return
    lo, hi = 0, len(path) - 1  # invariant: path[hi] is anonymous or the top
    while lo < hi:
        mid = (lo + hi) // 2
        (anonymous,) = run([path[mid]])
        if anonymous:
            hi = mid
        else:
            lo = mid + 1
            if rollup is not None:
                rollup(path[mid])
    if path[hi] not in known:
        run([path[hi]])


def brute_force(
    evaluate: Evaluate,
    bottom: Sequence[int],
    top: Sequence[int],
    metric: Metric,
    suppression_limit: float,
    *,
    batch: int = 64,
) -> SearchResult:
    """Evaluate every node; the reference the optimal search is tested against."""
    nodes: list[Node] = list(itertools.product(*(range(b, t + 1) for b, t in zip(bottom, top, strict=True))))
    best_value, best_node, best_stats = math.inf, None, None
    trace: list[NodeStats] = []
    for i in range(0, len(nodes), batch):
        for stats in evaluate(nodes[i : i + batch]):
            trace.append(stats)
            if stats.anonymous(suppression_limit):
                value = metric_value(metric, stats, len(bottom))
                if _better(value, stats.node, best_value, best_node, tolerance(metric, best_value)):
                    best_value, best_node, best_stats = value, stats.node, stats
    return SearchResult(
        node=best_node,
        stats=best_stats,
        value=None if best_node is None else best_value,
        lattice_size=len(nodes),
        evaluated=len(nodes),
        pruned_by_bound=0,
        trace=trace,
    )
