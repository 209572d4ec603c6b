"""Spark backend (optional extra ``pyspark``): the same algorithms on a cluster or local[*].

Why lazy: PySpark and a JVM are heavy, so this module is imported only by
``get_engine("spark")``, and a missing extra gives a clear message instead of an ImportError.
Intermediate tables are temporary views over locally checkpointed DataFrames, so they are
materialised once like DuckDB tables. Parquet output is written by Spark as part files and then
joined, row group by row group, into the one file the caller named (in memory one row group at a
time), so every engine writes the same kind of output.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from functools import reduce
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hogo.engines.base import Dialect, EngineError, FileFormat, Params, SqlEngine


class SparkDialect(Dialect):
    name = "spark"
    has_sha256 = True
    quote = "`"
    string_type = "STRING"
    binary_type = "BINARY"
    named_param_prefix = ":"

    def random(self) -> str:
        return "rand()"

    def uuid(self) -> str:
        return "uuid()"

    def epoch_seconds(self, expr: str) -> str:
        return f"CAST(unix_timestamp({expr}) AS BIGINT)"

    def hash64(self, expr: str) -> str:
        return f"xxhash64({expr})"

    def sorted_list(self, expr: str) -> str:
        return f"array_sort(collect_list({expr}))"

    def sha256_hex(self, expr: str) -> str:
        return f"sha2({expr}, 256)"

    def concat_bytes(self, left: str, right: str) -> str:
        return f"concat({left}, {right})"

    def utf8(self, expr: str) -> str:
        return f"encode({self.cast_string(expr)}, 'UTF-8')"

    def matches_hex64(self, expr: str) -> str:
        return f"({expr} RLIKE '^[0-9a-f]{{64}}$')"


def spark_memory(limit: str) -> str:
    """DuckDB's spelling of a memory size ("4GB", "512MiB") in Spark's ("4096m")."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", limit, flags=re.IGNORECASE)
    if found is None:
        raise EngineError("メモリ上限の書き方が不正です(例: 4GB)。", "invalid memory limit (e.g. 4GB)")
    scale = {"": 1 / (1 << 20), "K": 1 / 1024, "M": 1, "G": 1024, "T": 1 << 20}[found[2].upper()]
    return f"{max(1, int(float(found[1]) * scale))}m"


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
        self,
        session: Any | None = None,
        *,
        master: str = "local[2]",
        app_name: str = "hogo",
        memory_limit: str | None = None,
        temp_directory: str | Path | None = None,
    ) -> None:
        """``memory_limit`` (the driver's memory, DuckDB spelling) and ``temp_directory`` (where
        shuffles spill: ``spark.local.dir``) apply when this engine starts Spark; a session that
        is already running (given, or active in this process) is used as it is and left running."""
        self.dialect = SparkDialect()
        spark_session = _import_pyspark()
        session = session or spark_session.getActiveSession()
        self._owns = session is None
        if session is None:
            builder = (
                spark_session.builder.master(master)
                .appName(app_name)
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.ui.enabled", "false")
            )
            if memory_limit is not None:
                builder = builder.config("spark.driver.memory", spark_memory(memory_limit))
            if temp_directory is not None:
                builder = builder.config("spark.local.dir", str(temp_directory))
            session = builder.getOrCreate()
        self.spark: Any = session
        self._views: set[str] = set()
        self._aliases: dict[str, Path] = {}
        self._scratch = Path(temp_directory) if temp_directory is not None else None
        self._local = str(self.spark.sparkContext.master).startswith("local")
        self._parts: dict[str, list[Any]] = {}  # tables filled by inserts: their checkpointed parts

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
        if self._local:
            self._through_file(name, table.schema, table.to_batches())
            return
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
        path = self._visible(name, path)
        if fmt == "parquet":
            df = reader.parquet(str(path))
        else:
            df = reader.options(sep=delimiter, header=header, inferSchema=not all_varchar).csv(str(path))
        df.createOrReplaceTempView(name)
        self._views.add(name)

    def _load_batches(self, name: str, batches: pa.RecordBatchReader) -> None:
        if self._local:
            self._through_file(name, batches.schema, batches)
        else:
            super()._load_batches(name, batches)

    def _through_file(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
        """Data from Python, on a local master: written to a private Parquet file one batch at a
        time, which Spark then reads. Handed over through the driver (``createDataFrame``), it
        sat whole in the driver's heap and travelled again inside every task that read it — a
        release at a million members ran out of heap. A remote cluster's executors cannot read
        this machine's scratch folder, so there the data still goes through the driver."""
        self._drop(name)
        folder = Path(tempfile.mkdtemp(prefix=f"{name}.", suffix=".spark", dir=self._scratch))  # 0700
        self._aliases[name] = folder
        data = folder / "data.parquet"
        with (
            os.fdopen(os.open(data, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as sink,
            pq.ParquetWriter(sink, schema, compression="zstd") as writer,
        ):
            for batch in batches:
                writer.write_batch(batch)
        self.spark.read.parquet(str(data)).createOrReplaceTempView(name)
        self._views.add(name)

    def _visible(self, name: str, path: Path) -> Path:
        """Spark skips files whose names start with "." or "_" (hogo's staged outputs do): such a
        file is read through a hard link (a copy where links fail) under a plain name."""
        if path.is_dir() or not path.name.startswith((".", "_")):
            return path
        folder = path.with_name(f"{path.name}.{name}.spark")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        alias = folder / f"data{path.suffix}"
        try:
            os.link(path, alias)
        except OSError:
            shutil.copyfile(path, alias)
        self._aliases[name] = folder
        return alias

    def _create_table_as(self, name: str, sql: str, params: Params) -> None:
        self._parts.pop(name, None)
        self._df(sql, params).localCheckpoint(eager=True).createOrReplaceTempView(name)
        self._views.add(name)

    def _create_view(self, name: str, sql: str) -> None:
        self._parts.pop(name, None)
        self.spark.sql(sql).createOrReplaceTempView(name)
        self._views.add(name)

    def _insert_into(self, name: str, sql: str, params: Params) -> None:
        # Temp views are immutable: the rows added are checkpointed on their own and the view
        # becomes the union of the parts. Checkpointing the whole union again at each insert
        # copied every earlier row once per batch (quadratic in a table filled batch by batch).
        parts = self._parts.setdefault(name, [self.spark.table(self.dialect.ident(name))])
        parts.append(self._df(sql, params).localCheckpoint(eager=True))
        reduce(lambda a, b: a.unionByName(b), parts).createOrReplaceTempView(name)

    def _write_parquet(self, sql: str, params: Params, path: Path) -> None:
        df = self._df(sql, params)
        parts = path.with_name(f"{path.name}.parts")
        try:
            df.write.mode("error").parquet(str(parts))
            _join_parts(sorted(parts.glob("part-*.parquet")), path, lambda: df.limit(0).toArrow().schema)
        finally:
            shutil.rmtree(parts, ignore_errors=True)

    def _drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._parts.pop(name, None)
        self._views.discard(name)
        alias = self._aliases.pop(name, None)
        if alias is not None:
            shutil.rmtree(alias, ignore_errors=True)

    def _close(self) -> None:
        for name in list(self._views):
            self._drop(name)
        if self._owns:
            self.spark.stop()


def _join_parts(parts: list[Path], path: Path, empty_schema: Any) -> None:
    """Spark's part files (in name order, which is the query's order) as one Parquet file.

    Why: a release names one file per output, hashes it into the manifest and offers it for
    download; streaming the row groups keeps memory at one row group whatever the size.
    """
    schema: pa.Schema = pq.read_schema(parts[0]) if parts else empty_schema()
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for part in parts:
            source = pq.ParquetFile(part)
            for group in range(source.num_row_groups):
                writer.write_table(source.read_row_group(group).cast(schema))
