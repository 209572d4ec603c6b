"""Data engines: one small abstract interface, DuckDB by default, Spark as an optional extra.

Every difference between the backends lives here: SQL spelling in each backend's
:class:`Dialect` (hashes, HMAC, arrays), connection, spill and memory settings in its engine
class. Code above (matching, eligibility, anonymisation, releases) names an engine only by the
string the spec or the settings give and never asks which one it runs on.

Why lazy imports: PySpark is heavy and optional, so ``get_engine("spark")`` imports it only when
asked and explains how to install it when it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from hogo.engines.base import Dialect, EngineError, Params, SqlEngine, default_memory_limit

__all__ = [
    "DEFAULT_ENGINE",
    "Dialect",
    "EngineError",
    "EngineName",
    "Params",
    "SqlEngine",
    "available_engines",
    "default_memory_limit",
    "get_engine",
]

EngineName = Literal["duckdb", "spark"]
DEFAULT_ENGINE: EngineName = "duckdb"


def available_engines() -> list[str]:
    return list(get_args(EngineName))


def get_engine(
    name: str = DEFAULT_ENGINE,
    *,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    **options: Any,
) -> SqlEngine:
    """Create an engine by name.

    ``memory_limit`` (e.g. "4GB") is what the engine may hold before it spills to
    ``temp_directory``; each backend maps them to its own settings. A DuckDB engine without one
    gets `default_memory_limit` (a share of the machine), never DuckDB's 80%. Other ``options``
    go to the backend constructor.
    """
    if memory_limit is not None:
        options["memory_limit"] = memory_limit
    if temp_directory is not None:
        options["temp_directory"] = temp_directory
    if name == "duckdb":
        from hogo.engines.duckdb import DuckDBEngine

        return DuckDBEngine(**options)
    if name == "spark":
        from hogo.engines.spark import SparkEngine

        return SparkEngine(**options)
    raise EngineError(
        f"不明なデータエンジンです（{', '.join(available_engines())} から選択）。",
        f"unknown engine (choose from {', '.join(available_engines())})",
    )
