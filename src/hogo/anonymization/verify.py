"""An independent check of a release: k and l recomputed by a plain GROUP BY on the output.

Why separate from the search: the search works on level codes of a frequency table; this check
reads only the released columns, so a bug in the search or the output join cannot hide. The same
grouping also gives the class-size histogram the risk measures need, so the release is read once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hogo.engines.base import SqlEngine


@dataclass(frozen=True)
class ReleaseCheck:
    rows: int
    classes: int
    k: int
    l: int | None  # noqa: E741


def check_release(
    engine: SqlEngine, table: str, quasi_identifiers: Sequence[str], sensitive: str | None = None
) -> tuple[ReleaseCheck, list[tuple[int, int]]]:
    """k (and distinct l) of the released table, and its (class size, number of classes) histogram."""
    cols = ", ".join(engine.ident(c) for c in quasi_identifiers)
    distinct = f", COUNT(DISTINCT {engine.ident(sensitive)}) AS dl" if sensitive else ", 0 AS dl"
    rows = engine.query(
        f"SELECT CAST(size AS BIGINT) AS size, CAST(COUNT(*) AS BIGINT) AS classes, "
        f"CAST(MIN(dl) AS BIGINT) AS l FROM "
        f"(SELECT COUNT(*) AS size{distinct} FROM {engine.ident(table)} GROUP BY {cols}) AS c "
        f"GROUP BY size ORDER BY size"
    ).to_pylist()
    histogram = [(int(r["size"]), int(r["classes"])) for r in rows]
    check = ReleaseCheck(
        rows=sum(size * classes for size, classes in histogram),
        classes=sum(classes for _, classes in histogram),
        k=min((size for size, _ in histogram), default=0),
        l=min((int(r["l"] or 0) for r in rows), default=0) if sensitive else None,
    )
    return check, histogram


def verify_release(
    engine: SqlEngine, table: str, quasi_identifiers: Sequence[str], sensitive: str | None = None
) -> ReleaseCheck:
    """k (and distinct l) of the released table alone, from one grouping of its classes."""
    return check_release(engine, table, quasi_identifiers, sensitive)[0]
