"""Re-identification risk under the prosecutor, journalist and marketer attacker models.

Why from a class-size histogram: every model depends only on how many records share each
combination of quasi-identifiers. The engine groups the table twice (records per class, classes
per size) and returns a histogram of at most a few thousand rows, whatever the input size.

- prosecutor: the attacker knows the person is in the data; risk of a record = 1 / class size.
- journalist: the attacker knows only the population; class sizes in the population are
  estimated as sample size / sampling fraction (equal to prosecutor when the data is everyone).
- marketer: the attacker re-identifies as many records as possible; expected share of records
  re-identified = Σ (f / F) / n.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from hogo.engines.base import SqlEngine


class RiskReport(BaseModel):
    records: int
    classes: int
    prosecutor_highest: float
    prosecutor_average: float
    records_at_risk: float
    journalist_highest: float
    marketer: float
    threshold: float


def class_size_histogram(engine: SqlEngine, table: str, columns: Sequence[str]) -> list[tuple[int, int]]:
    """(class size, number of classes) pairs, computed by the engine."""
    cols = ", ".join(engine.ident(c) for c in columns)
    inner = (
        f"SELECT COUNT(*) AS size FROM {engine.ident(table)} GROUP BY {cols}"
        if columns
        else f"SELECT COUNT(*) AS size FROM {engine.ident(table)}"
    )
    rows = engine.query(
        f"SELECT CAST(size AS BIGINT) AS size, CAST(COUNT(*) AS BIGINT) AS classes "
        f"FROM ({inner}) AS c WHERE size > 0 GROUP BY size ORDER BY size"
    ).to_pylist()
    return [(int(r["size"]), int(r["classes"])) for r in rows]


def risk_from_histogram(
    histogram: Sequence[tuple[int, int]], *, sampling_fraction: float = 1.0, threshold: float = 0.2
) -> RiskReport:
    """Risk measures from a class-size histogram; ``threshold`` is the highest acceptable 1/size."""
    records = sum(size * classes for size, classes in histogram)
    classes = sum(c for _, c in histogram)
    if records == 0:
        return RiskReport(
            records=0,
            classes=0,
            prosecutor_highest=0.0,
            prosecutor_average=0.0,
            records_at_risk=0.0,
            journalist_highest=0.0,
            marketer=0.0,
            threshold=threshold,
        )
    smallest = min(size for size, _ in histogram)
    at_risk = sum(size * c for size, c in histogram if 1.0 / size > threshold)
    population_smallest = max(smallest / sampling_fraction, 1.0)
    marketer = sum(c * min(size / max(size / sampling_fraction, 1.0), 1.0) for size, c in histogram) / records
    return RiskReport(
        records=records,
        classes=classes,
        prosecutor_highest=1.0 / smallest,
        prosecutor_average=classes / records,
        records_at_risk=at_risk / records,
        journalist_highest=1.0 / population_smallest,
        marketer=marketer,
        threshold=threshold,
    )


def measure_risk(
    engine: SqlEngine,
    table: str,
    columns: Sequence[str],
    *,
    sampling_fraction: float = 1.0,
    threshold: float = 0.2,
) -> RiskReport:
    return risk_from_histogram(
        class_size_histogram(engine, table, columns), sampling_fraction=sampling_fraction, threshold=threshold
    )
