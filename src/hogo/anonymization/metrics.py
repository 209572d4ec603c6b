"""Utility metrics: how much a generalisation costs, and a lower bound for everything above it.

Why a lower bound: the optimal lattice search prunes a node and all its successors as soon as
the bound of the node is no better than the best anonymous solution found so far. Each bound
holds for every more-general node because (a) per-cell costs never fall as levels rise and a
suppressed cell costs the maximum, and (b) classes only merge when generalising.

All metrics are information *loss* (lower is better):
- ``loss``: ARX/Iyengar loss, share of the domain each cell covers, (leaves−1)/(domain−1), 0–1.
- ``precision``: Sweeney's precision loss, level/height per cell, 0–1.
- ``entropy``: non-uniform entropy, Σ −log2(freq(value)/freq(generalised value)) in bits. hogo
  charges a suppressed record at full cost (every attribute at the top level); the ARX tool's
  non-uniform entropy charges every record, suppressed or not, at the node's levels. Both are
  reported (`metric_figures`): ``entropy`` (hogo, what the search minimises) and ``entropy_arx``.
- ``discernibility``: Σ |class|² over kept classes + suppressed × records.
- ``aecs``: average equivalence class size, records / classes (suppressed records one class).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Metric(StrEnum):
    loss = "loss"
    precision = "precision"
    entropy = "entropy"
    discernibility = "discernibility"
    aecs = "aecs"

    @property
    def needs_cell_costs(self) -> bool:
        return self in (Metric.loss, Metric.precision, Metric.entropy)


def suppression_allowed(total: int, suppression_limit: float) -> int:
    """How many of ``total`` records the limit lets a release suppress (the float product rounded
    down, with a margin for shares such as 0.04 × 25 that fall just below the integer)."""
    return int(suppression_limit * total + 1e-9)


@dataclass(frozen=True)
class NodeStats:
    """Aggregates of one lattice node, all computed by one engine query."""

    node: tuple[int, ...]
    classes: int
    kept_classes: int
    total: int
    suppressed: int
    min_kept_size: int | None
    cost_all: float
    cost_final: float
    sq_all: int
    sq_kept: int

    def anonymous(self, suppression_limit: float) -> bool:
        return self.suppressed <= suppression_allowed(self.total, suppression_limit) and self.kept_classes > 0


def _metric(metric: Metric, s: NodeStats, n_qis: int, cost: float, square_sum: int, classes: int) -> float:
    """One formula per metric, for the value and for the bound alike: they differ only in the
    aggregates they read (what the release keeps, or everything at this node's levels)."""
    if s.total == 0:
        return 0.0
    if metric in (Metric.loss, Metric.precision):
        return cost / (s.total * max(n_qis, 1))
    if metric == Metric.entropy:
        return cost
    if metric == Metric.discernibility:
        return float(square_sum)
    return s.total / classes


def metric_value(metric: Metric, s: NodeStats, n_qis: int) -> float:
    """The metric of the release at this node (suppressed records removed, counted at full cost)."""
    kept_or_suppressed = s.kept_classes + (1 if s.suppressed else 0)
    return _metric(metric, s, n_qis, s.cost_final, s.sq_kept + s.suppressed * s.total, kept_or_suppressed)


def metric_figures(metric: Metric, s: NodeStats, n_qis: int) -> dict[str, float]:
    """The metric's value, plus named variants other tools report for the same release.

    ``entropy_arx`` is the ARX Data Anonymization Tool's non-uniform entropy: Σ over *all* input
    records of −log2(freq(value)/freq(generalised value)) at the node's levels, so a suppressed
    record costs what its generalisation costs, not the maximum (ARX computes it from the input
    cardinalities, MetricMDNUEntropyPrecomputed). That is this node's ``cost_all``.
    """
    figures = {metric.value: metric_value(metric, s, n_qis)}
    if metric == Metric.entropy:
        figures["entropy_arx"] = s.cost_all
    return figures


def metric_bound(metric: Metric, s: NodeStats, n_qis: int) -> float:
    """A value no node at or above this one can beat (see module docstring)."""
    return _metric(metric, s, n_qis, s.cost_all, s.sq_all, s.classes + 1)
