"""Spark backend (optional extra ``pyspark``): the same algorithms on a cluster or local[*].

Why lazy: PySpark and a JVM are heavy, so this module is imported only by
``get_engine("spark")``, and a missing extra gives a clear message instead of an ImportError.
Intermediate tables are temporary views over locally checkpointed DataFrames, so they are
materialised once like DuckDB tables. Parquet output is a directory of part files, written to a
temporary directory and renamed into place by the base class.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from hogo.engines.base import Dialect, EngineError, FileFormat, Params, SqlEngine


class SparkDialect(Dialect):
    name = "spark"
    quote = "`"
    string_type = "STRING"
    named_param_prefix = ":"

    def random(self) -> str:
        return "rand()"

    def uuid(self) -> str:
        return "uuid()"


def _import_pyspark() -> Any:
    try:
        # importlib keeps mypy and the default install free of the optional extra.
        module = importlib.import_module("pyspark.sql")
    except ImportError as exc:
        raise EngineError(
            "Spark エンジンには pyspark が必要です（pip install 'hogo[spark]'）。",
            "the Spark engine needs pyspark (pip install 'hogo[spark]')",
        ) from exc
    return module.SparkSession


class SparkEngine(SqlEngine):
    """An engine over a SparkSession (a local one is created when none is given)."""

    def __init__(
        self, session: Any | None = None, *, master: str = "local[2]", app_name: str = "hogo"
    ) -> None:
        self.dialect = SparkDialect()
        spark_session = _import_pyspark()
        self._owns = session is None
        if session is None:
            session = (
                spark_session.builder.master(master)
                .appName(app_name)
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.ui.enabled", "false")
                .getOrCreate()
            )
        self.spark: Any = session
        self._views: set[str] = set()

    def _df(self, sql: str, params: Params) -> Any:
        if params is None:
            return self.spark.sql(sql)
        args: Any = dict(params) if isinstance(params, Mapping) else list(params)
        return self.spark.sql(sql, args=args)

    def _execute(self, sql: str, params: Params) -> None:
        self._df(sql, params).collect()

    def _fetch_arrow(self, sql: str, params: Params) -> pa.Table:
        df = self._df(sql, params)
        if hasattr(df, "toArrow"):
            table: pa.Table = df.toArrow()
            return table
        return pa.Table.from_pandas(df.toPandas(), preserve_index=False)

    def _register_arrow(self, name: str, table: pa.Table) -> None:
        try:
            df = self.spark.createDataFrame(table)
        except (TypeError, ValueError):
            df = self.spark.createDataFrame(table.to_pandas())
        df.createOrReplaceTempView(name)
        self._views.add(name)

    def _register_file(
        self, name: str, path: Path, fmt: FileFormat, *, delimiter: str, header: bool, all_varchar: bool
    ) -> None:
        reader = self.spark.read
        if fmt == "parquet":
            df = reader.parquet(str(path))
        else:
            df = reader.options(sep=delimiter, header=header, inferSchema=not all_varchar).csv(str(path))
        df.createOrReplaceTempView(name)
        self._views.add(name)

    def _create_table_as(self, name: str, sql: str, params: Params) -> None:
        self._df(sql, params).localCheckpoint(eager=True).createOrReplaceTempView(name)
        self._views.add(name)

    def _insert_into(self, name: str, sql: str, params: Params) -> None:
        # Temp views are immutable: the union is checkpointed under the same name.
        current = self.spark.table(self.dialect.ident(name))
        added = current.unionByName(self._df(sql, params))
        added.localCheckpoint(eager=True).createOrReplaceTempView(name)

    def _write_parquet(self, sql: str, params: Params, path: Path) -> None:
        self._df(sql, params).write.mode("error").parquet(str(path))

    def _drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    def _close(self) -> None:
        for name in list(self._views):
            self._drop(name)
        if self._owns:
            self.spark.stop()
