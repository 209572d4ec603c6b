"""Data engines: one small abstract interface, DuckDB by default, Spark as an optional extra.

Why lazy imports: PySpark is heavy and optional, so ``get_engine("spark")`` imports it only when
asked and explains how to install it when it is missing.
"""

from __future__ import annotations

from typing import Any

from hogo.engines.base import Dialect, EngineError, Params, SqlEngine

__all__ = ["Dialect", "EngineError", "Params", "SqlEngine", "available_engines", "get_engine"]


def available_engines() -> list[str]:
    return ["duckdb", "spark"]


def get_engine(name: str = "duckdb", **options: Any) -> SqlEngine:
    """Create an engine by name; ``options`` go to the backend constructor."""
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
