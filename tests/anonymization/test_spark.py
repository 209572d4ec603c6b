"""The same anonymisation on Spark gives the same release as on DuckDB (opt-in extra)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hogo.anonymization.release import anonymize
from hogo.anonymization.spec import AnonymizationSpec
from hogo.engines import get_engine
from tests.anonymization.conftest import adult_qis

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None,
        reason="pyspark がないため Spark のテストを省略 / pyspark not installed (optional extra)",
    ),
]


def test_spark_release_matches_duckdb(adult_dir: Path, tmp_path: Path) -> None:
    qis = ["age", "sex", "race", "education"]
    spec = AnonymizationSpec(
        quasi_identifiers=adult_qis(adult_dir, qis), sensitive=["salary-class"], k=10, l=2, suppression=0.02
    )
    results = {}
    for name in ("duckdb", "spark"):
        with get_engine(name) as engine:
            engine.register_file("adult", adult_dir / "adult.csv", delimiter=";")
            out = tmp_path / f"{name}.parquet"
            results[name] = anonymize(engine, "adult", spec, out=out).manifest
            table = pq.read_table(out)
            assert table.num_rows == results[name].rows_out
    duck, spark = results["duckdb"].model_dump(), results["spark"].model_dump()
    for key in ("levels", "rows_out", "suppressed", "k_achieved", "l_achieved"):
        assert duck[key] == spark[key], key
    assert duck["metric_value"] == pytest.approx(spark["metric_value"], rel=1e-9)
