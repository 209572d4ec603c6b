"""What every benchmark prints: a figure beside a named baseline measured in the same run, and
their ratio, so a figure taken on a busy or different machine still says something."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

# What a benchmark's store creates besides the database — the master key of person keys among
# them — goes to a throw-away folder, never into the working tree (HOGO_DATA_DIR defaults to
# ./hogo-data).
os.environ.setdefault("HOGO_DATA_DIR", tempfile.mkdtemp(prefix="hogo-bench-"))


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of `fn` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def row(
    name: str, value: float, unit: str, baseline_name: str, baseline: float, goal: str = "", digits: int = 1
) -> None:
    ratio = value / baseline if baseline else float("nan")
    print(
        f"{name:<40} {value:>14,.{digits}f} {unit:<10} | {baseline_name:<40} {baseline:>14,.{digits}f}"
        f" | ratio {ratio:6.2f} {goal}"
    )
