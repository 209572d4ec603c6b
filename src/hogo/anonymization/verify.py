"""An independent check of a release: k and l recomputed by a plain GROUP BY on the output.

Why separate from the search: the search works on level codes of a frequency table; this check
reads only the released columns, so a bug in the search or the output join cannot hide.
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


def verify_release(
    engine: SqlEngine, table: str, quasi_identifiers: Sequence[str], sensitive: str | None = None
) -> ReleaseCheck:
    cols = ", ".join(engine.ident(c) for c in quasi_identifiers)
    distinct = f", COUNT(DISTINCT {engine.ident(sensitive)}) AS dl" if sensitive else ", 0 AS dl"
    row = engine.query(
        f"SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS rows_, CAST(COUNT(*) AS BIGINT) AS classes, "
        f"CAST(MIN(size) AS BIGINT) AS k, CAST(MIN(dl) AS BIGINT) AS l FROM "
        f"(SELECT COUNT(*) AS size{distinct} FROM {engine.ident(table)} GROUP BY {cols}) AS c"
    ).to_pylist()[0]
    return ReleaseCheck(
        rows=int(row["rows_"]),
        classes=int(row["classes"]),
        k=int(row["k"] or 0),
        l=int(row["l"] or 0) if sensitive else None,
    )
