"""The backend matrix: every engine test runs on DuckDB, and on Spark when pyspark is installed."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from hogo.engines import SqlEngine, get_engine

HAS_SPARK = importlib.util.find_spec("pyspark") is not None


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[SqlEngine]:
    if not HAS_SPARK:
        pytest.skip("pyspark がないため Spark のテストを省略 / pyspark not installed (optional extra)")
    engine = get_engine("spark")
    yield engine
    engine.close()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> Iterator[SqlEngine]:
    """One engine per backend; Spark shares one session for the whole run (it is slow to start)."""
    if request.param == "spark":
        yield request.getfixturevalue("spark_engine")
        return
    with get_engine("duckdb") as e:
        yield e
