"""DuckDB backend: the default engine, in-process, no server, no extensions to download.

Why a thin class: every public behaviour lives in :class:`~hogo.engines.base.SqlEngine`; this
module only says how DuckDB runs a statement, registers Arrow data and files, and writes Parquet.
File registration goes through DuckDB's relation API so paths are never pasted into SQL.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hogo.engines.base import Dialect, FileFormat, Params, SqlEngine, default_memory_limit


class DuckDBDialect(Dialect):
    name = "duckdb"
    has_sha256 = True
    named_param_prefix = "$"

    def hash64(self, expr: str) -> str:
        return f"hash({expr})"

    def sha256_hex(self, expr: str) -> str:
        return f"sha256({expr})"


class DuckDBEngine(SqlEngine):
    """An engine over one DuckDB connection (in memory unless ``database`` is a path)."""

    def __init__(
        self,
        database: str | Path = ":memory:",
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: str | Path | None = None,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        self.dialect = DuckDBDialect()
        self._owns = connection is None
        # Settings go through DuckDB's config mapping, never through formatted SQL.
        config: dict[str, Any] = {"preserve_insertion_order": False}
        if threads is not None:
            config["threads"] = int(threads)
        # Bounded by default: DuckDB's own default (80% of the machine) lets a large release fill it.
        config["memory_limit"] = memory_limit or default_memory_limit()
        # Where intermediate results spill beyond the memory limit. Without a folder from the
        # caller, a private (0700) one of this engine's own, removed on close: DuckDB's default
        # is ".tmp" in the working directory, which may be any folder, a served one included.
        self._own_spill: Path | None = None
        if temp_directory is None and connection is None:
            temp_directory = self._own_spill = Path(tempfile.mkdtemp(prefix="hogo-spill-"))
        if temp_directory is not None:
            config["temp_directory"] = str(temp_directory)
        self.con: duckdb.DuckDBPyConnection = connection or duckdb.connect(str(database), config=config)
        self._views: set[str] = set()

    def _bind(self, params: Params) -> Any:
        if params is None:
            return None
        if isinstance(params, Mapping):
            return dict(params)
        return list(params)

    def _execute(self, sql: str, params: Params) -> None:
        self.con.execute(sql, self._bind(params))

    def _fetch_arrow(self, sql: str, params: Params) -> pa.Table:
        rel = self.con.sql(sql, params=self._bind(params))
        if rel is None:  # a statement without a result set
            return pa.table({})
        # DuckDB 2 renamed fetch_arrow_table() to to_arrow_table(); accept both (duckdb>=1.1).
        fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
        table: pa.Table = fetch()
        return table

    def _register_arrow(self, name: str, table: pa.Table) -> None:
        self._drop(name)
        self.con.register(name, table)
        self._views.add(name)

    def _register_file(
        self, name: str, path: Path, fmt: FileFormat, *, delimiter: str, header: bool, all_varchar: bool
    ) -> None:
        self._drop(name)
        if fmt == "parquet":
            target = str(path / "*.parquet") if path.is_dir() else str(path)
            rel = self.con.read_parquet(target)
        else:
            rel = self.con.read_csv(str(path), sep=delimiter, header=header, all_varchar=all_varchar)
        rel.create_view(name, replace=True)
        self._views.add(name)

    def _load_batches(self, name: str, batches: pa.RecordBatchReader) -> None:
        # DuckDB pulls from a registered reader as it scans: one batch in Python at a time.
        staged = self.temp_name("hogo_batches")
        self.con.register(staged, batches)
        try:
            self._create_table_as(name, f"SELECT * FROM {self.dialect.ident(staged)}", None)
        finally:
            self.con.unregister(staged)

    def _stream(self, sql: str, params: Params, rows: int) -> pa.RecordBatchReader:
        rel = self.con.sql(sql, params=self._bind(params))
        # DuckDB 2 renamed fetch_arrow_reader() to to_arrow_reader(); accept both (duckdb>=1.1).
        fetch = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader
        reader: pa.RecordBatchReader = fetch(rows)
        return reader

    def _create_table_as(self, name: str, sql: str, params: Params) -> None:
        self._drop(name)
        self.con.execute(f"CREATE TABLE {self.dialect.ident(name)} AS {sql}", self._bind(params))

    def _create_view(self, name: str, sql: str) -> None:
        self._drop(name)
        self.con.execute(f"CREATE TEMP VIEW {self.dialect.ident(name)} AS {sql}")
        self._views.add(name)

    def _insert_into(self, name: str, sql: str, params: Params) -> None:
        self.con.execute(f"INSERT INTO {self.dialect.ident(name)} {sql}", self._bind(params))

    def _write_parquet(self, sql: str, params: Params, path: Path) -> None:
        rel = self.con.sql(sql, params=self._bind(params))
        rel.write_parquet(str(path), compression="zstd")

    def _drop(self, name: str) -> None:
        if name in self._views:
            with contextlib.suppress(duckdb.Error):
                self.con.unregister(name)
            self.con.execute(f"DROP VIEW IF EXISTS {self.dialect.ident(name)}")
            self._views.discard(name)
            return
        found = self.con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        for (kind,) in found:
            word = "VIEW" if kind == "VIEW" else "TABLE"
            self.con.execute(f"DROP {word} IF EXISTS {self.dialect.ident(name)}")

    def _close(self) -> None:
        if self._owns:
            self.con.close()
        if self._own_spill is not None:
            shutil.rmtree(self._own_spill, ignore_errors=True)
