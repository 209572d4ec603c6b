"""One small data-engine interface: algorithms produce SQL, an engine runs it.

Why: anonymisation, matching and eligibility filters must run on DuckDB on a laptop and on Spark
for very large tables without changing the algorithms. Following Splink's ``DatabaseAPI``, the
public methods of :class:`SqlEngine` are *final* orchestration (naming, quoting, atomic output,
error wrapping) and each backend fills in a handful of ``_hooks``. Per-engine SQL differences live
in a :class:`Dialect`, apart from connection handling.

How algorithms write SQL
------------------------
* **Values are never formatted into SQL.** Pass them as bound parameters: write
  ``engine.dialect.param("k")`` where the value goes and give ``params={"k": 5}``. Positional
  ``?`` placeholders with a sequence of values work too.
* **Identifiers are never pasted raw.** Quote every table and column name with
  ``engine.ident(name)`` (or ``engine.dialect.ident``), which escapes embedded quotes, so a column
  called ``a"; DROP TABLE x; --`` is just a strange column name.
* **SQL differences** (random numbers, UUIDs, logarithms, string casts) go through the dialect
  helpers instead of being spelled for one backend.
* Intermediate tables are created with :meth:`SqlEngine.create_table_as` and removed with
  :meth:`SqlEngine.drop`; use :meth:`SqlEngine.temp_name` to get collision-free names.

Example::

    e = get_engine()
    e.register_arrow("people", table)
    q = (f"SELECT {e.ident('age')}, COUNT(*) AS n FROM {e.ident('people')} "
         f"WHERE {e.ident('age')} >= {e.dialect.param('min_age')} GROUP BY 1")
    counts = e.query(q, {"min_age": 18})
"""

from __future__ import annotations

import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, final

import pyarrow as pa

from hogo.errors import HogoError, InputError
from hogo.files import csv_table
from hogo.files.confine import refuse_served

Params = Sequence[Any] | Mapping[str, Any] | None
FileFormat = Literal["csv", "parquet"]
#: What an engine holds before it spills, when no limit is set: this much, or an eighth of a
#: smaller machine's memory, never less than the floor.
DEFAULT_MEMORY, MEMORY_SHARE, MIN_MEMORY = 1 << 30, 8, 256 << 20


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            text = limit.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def default_memory_limit() -> str:
    """The memory limit of an engine for which none is set: 1 GiB, or an eighth of a machine
    with less than 8 GiB (256 MiB at least).

    Why not the engine's own default (DuckDB takes 80% of the machine): a release holds its
    inputs, tokens and decisions in the engine, so without a limit the engine grows with the input
    until the machine is full, beside a server and other jobs. Why not more: past the limit the
    engine spills to the folder it is given (a release's own work folder), and more memory was
    not faster where it was measured (benchmarks/release.py, 4M members: 67.6 s at 1 GB, 66.2 s
    at 2.9 GiB; docs/releases.md), while peak memory then grows with the input. Set
    `HOGO_ENGINE_MEMORY_LIMIT` to give it more.
    """
    limit = max(min(DEFAULT_MEMORY, machine_memory() // MEMORY_SHARE), MIN_MEMORY)
    return f"{limit >> 20}MiB"


class EngineError(HogoError):
    """The engine refused a statement or a file; the message names no data values."""


class Dialect:
    """SQL spelling of one backend. The default is ANSI-ish SQL that DuckDB accepts."""

    name = "ansi"
    quote = '"'
    string_type = "VARCHAR"
    binary_type = "BLOB"
    named_param_prefix = "$"
    #: Whether :meth:`hmac_sha256` is available (keyed tokens computed by the engine).
    has_sha256 = False

    def ident(self, name: str) -> str:
        """Quote one identifier, doubling the quote character inside it."""
        if not isinstance(name, str) or name == "":
            raise InputError("識別子が空です。", "empty identifier")
        if "\x00" in name:
            raise InputError("識別子に使えない文字があります。", "identifier contains NUL")
        q = self.quote
        return q + name.replace(q, q + q) + q

    def qualified(self, *parts: str) -> str:
        return ".".join(self.ident(p) for p in parts)

    def param(self, name: str) -> str:
        """Placeholder for a named bound parameter (the value goes into ``params``)."""
        if not name.isidentifier():
            raise InputError("パラメーター名が不正です。", "invalid parameter name")
        return f"{self.named_param_prefix}{name}"

    def cast_string(self, expr: str) -> str:
        return f"CAST({expr} AS {self.string_type})"

    def random(self) -> str:
        """A uniform random double in [0, 1)."""
        return "random()"

    def uuid(self) -> str:
        """A fresh random UUID as a string, one per row."""
        return self.cast_string("uuid()")

    def ln(self, expr: str) -> str:
        return f"ln({expr})"

    def greatest(self, *exprs: str) -> str:
        return f"greatest({', '.join(exprs)})"

    def epoch_seconds(self, expr: str) -> str:
        """Whole seconds since 1970-01-01 UTC of the timestamp ``expr``, as a BIGINT."""
        return f"CAST(epoch({expr}) AS BIGINT)"

    def hash64(self, expr: str) -> str:
        """A cheap 64-bit hash of ``expr`` (used only to narrow a search that is then checked
        exactly). Without one the value itself serves, which is exact but slower to group."""
        return expr

    def sorted_list(self, expr: str) -> str:
        """The aggregate that collects ``expr`` of a group into an array in ascending order."""
        return f"array_agg({expr} ORDER BY {expr})"

    def sha256_hex(self, expr: str) -> str:
        """SHA-256 of the bytes ``expr`` as lowercase hex; only where :attr:`has_sha256`."""
        raise EngineError(
            "このデータエンジンは SQL で SHA-256 を計算できません。",
            f"the {self.name} engine has no SHA-256 in SQL; tokens are computed in Python.",
        )

    def concat_bytes(self, left: str, right: str) -> str:
        return f"{left} || {right}"

    def utf8(self, expr: str) -> str:
        """The UTF-8 bytes of ``expr`` as text."""
        return f"encode({self.cast_string(expr)})"

    def unhex(self, expr: str) -> str:
        """The bytes that the hex text ``expr`` spells."""
        return f"unhex({expr})"

    def hex(self, expr: str) -> str:
        """The bytes ``expr`` as lowercase hex text (what files and Python tables hold)."""
        return f"lower(hex({expr}))"

    def matches_hex64(self, expr: str) -> str:
        """Whether the text ``expr`` is exactly 64 lowercase hex digits (a token as a file holds it)."""
        return f"regexp_full_match({expr}, '[0-9a-f]{{64}}')"

    def hmac_sha256(self, text: str, inner: str, outer: str) -> str:
        """HMAC-SHA-256 of the text expression ``text``: its 32 bytes, from its two pad blocks.

        ``inner`` and ``outer`` are bound parameter names: the key ⊕ ipad block followed by any
        message prefix, and the key ⊕ opad block (`hogo.matching.tokens.TokenKey.sql`), so the key
        never appears in SQL text. The construction is written once here; a backend spells its
        parts (:meth:`sha256_hex`, :meth:`concat_bytes`, :meth:`utf8`, :meth:`unhex`,
        :attr:`binary_type`). Only where :attr:`has_sha256`; elsewhere tokens are computed in
        Python, with the same result.

        Why bytes and not the hex text: a token is compared, hashed, grouped and joined many times
        over tens of millions of rows; 32 bytes instead of 64 characters halves what the engine
        holds and spills. Hex is made only where a file needs it (:meth:`hex`).
        """
        p, binary = self.param, self.binary_type
        inner_hash = self.sha256_hex(self.concat_bytes(f"CAST({p(inner)} AS {binary})", self.utf8(text)))
        outer_hash = self.sha256_hex(
            self.concat_bytes(f"CAST({p(outer)} AS {binary})", self.unhex(inner_hash))
        )
        return self.unhex(outer_hash)

    def token_from_hex(self, expr: str) -> str:
        """A token given as hex text (a file `hogo tokenize` wrote) as the bytes the engine holds.

        64 lowercase hex digits become their 32 bytes. Any other text (upper case, too short, an
        empty string) becomes a fixed 33-byte prefix followed by its UTF-8 bytes: longer than any
        token, so it never meets one, and distinct texts stay distinct, so every count a match
        report makes of such values is what comparing the texts gave. NULL stays NULL.
        """
        text = self.cast_string(expr)
        other = self.concat_bytes(self.unhex(f"'{_NOT_A_TOKEN}'"), self.utf8(text))
        return f"CASE WHEN {self.matches_hex64(text)} THEN {self.unhex(text)} ELSE {other} END"


#: Hex of the prefix `Dialect.token_from_hex` gives text that is not a token (33 bytes).
_NOT_A_TOKEN = "ff" * 33


class SqlEngine(ABC):
    """Run SQL produced by algorithms; register inputs; write outputs atomically.

    Public methods are final (``@final``); backends implement the ``_`` hooks only.
    """

    dialect: Dialect

    # ----------------------------------------------------------------- final orchestration
    @final
    def ident(self, name: str) -> str:
        """A quoted identifier through the dialect."""
        return self.dialect.ident(name)

    @final
    def temp_name(self, prefix: str = "hogo_tmp") -> str:
        """A fresh table name for an intermediate result."""
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    @final
    def register_arrow(self, name: str, table: pa.Table) -> str:
        """Make an Arrow table queryable as ``name`` (replacing any earlier one). Returns ``name``."""
        self.dialect.ident(name)
        self._register_arrow(name, table)
        return name

    @final
    def register_file(
        self,
        name: str,
        path: str | Path,
        *,
        format: FileFormat | None = None,
        delimiter: str = ",",
        header: bool = True,
        all_varchar: bool = False,
    ) -> str:
        """Make a CSV or Parquet file queryable as ``name``; the format defaults to the suffix.

        A CSV is read by the rules of every spreadsheet hogo reads (`files.csv_table`): a file in
        no encoding, cut short in a character or mixing encodings is refused naming its line, and
        Shift_JIS from Excel (or UTF-16/32 with a BOM), which the engines cannot read, reaches
        them through Arrow's streaming reader, batch by batch (it was "cannot read file")."""
        p = Path(path)
        if not p.exists():
            raise InputError("ファイルが見つかりません。", "file not found", field=p.name)
        fmt: FileFormat
        if format is not None:
            fmt = format
        elif p.suffix.lower() in {".parquet", ".pq"} or p.is_dir():
            fmt = "parquet"
        elif p.suffix.lower() in {".csv", ".tsv", ".txt"}:
            fmt = "csv"
        else:
            raise InputError(
                "ファイル形式を判別できません（csv または parquet）。",
                "cannot tell the file format (csv or parquet)",
                field=p.name,
            )
        self.dialect.ident(name)
        try:
            encoding = csv_table.detect_encoding(p) if fmt == "csv" else "utf-8-sig"
            if encoding == "utf-8-sig":
                self._register_file(name, p, fmt, delimiter=delimiter, header=header, all_varchar=all_varchar)
            else:
                self._load_batches(name, _transcoded(p, encoding, delimiter, header, all_varchar))
        except HogoError:
            raise
        except Exception as exc:
            raise EngineError(
                "ファイルを読み込めません。", f"cannot read file {p.name}: {type(exc).__name__}"
            ) from exc
        return name

    @final
    def query(self, sql: str, params: Params = None) -> pa.Table:
        """Run a SELECT and return the result as an Arrow table."""
        return self._wrap(lambda: self._fetch_arrow(sql, params))

    @final
    def scalar(self, sql: str, params: Params = None) -> Any:
        """Run a query returning one row and one column."""
        result = self.query(sql, params)
        if result.num_rows == 0:
            return None
        return result.column(0)[0].as_py()

    @final
    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement that returns nothing useful (DDL, INSERT)."""
        self._wrap(lambda: self._execute(sql, params))

    @final
    def create_table_as(self, name: str, sql: str, params: Params = None) -> str:
        """Materialise a query as table ``name`` (replacing it). Returns ``name``."""
        self.dialect.ident(name)
        self._wrap(lambda: self._create_table_as(name, sql, params))
        return name

    @final
    def create_view(self, name: str, sql: str) -> str:
        """Name a query (without parameters) as view ``name``, replacing it: each statement that
        names it reads its sources afresh; nothing is materialised. Returns ``name``.

        Why: a file the engine reads itself, renamed or cast column by column, need not be copied
        into the engine to be read once."""
        self.dialect.ident(name)
        self._wrap(lambda: self._create_view(name, sql))
        return name

    @final
    def insert_into(self, name: str, sql: str, params: Params = None) -> str:
        """Append a query's rows to table ``name`` (made by :meth:`create_table_as`). Returns ``name``.

        Why: large inputs arrive in batches; appending each to one engine table keeps only one
        batch in Python at a time.
        """
        self.dialect.ident(name)
        self._wrap(lambda: self._insert_into(name, sql, params))
        return name

    @final
    def load_batches(self, name: str, batches: pa.RecordBatchReader) -> str:
        """Materialise a stream of Arrow record batches as table ``name`` (replacing it).

        Why: data read from elsewhere (a database's COPY, a file) should reach the engine without
        ever being whole in Python; the engine pulls one batch at a time and may spill. An empty
        stream still makes its (empty) table. Returns ``name``.
        """
        self.dialect.ident(name)
        self._wrap(lambda: self._load_batches(name, batches))
        return name

    @final
    def stream(self, sql: str, params: Params = None, rows: int = 1 << 17) -> pa.RecordBatchReader:
        """A query's result as Arrow record batches of about ``rows`` rows, for writing an output
        batch by batch (where the backend streams, only one batch is in Python at a time)."""
        return self._wrap(lambda: self._stream(sql, params, rows))

    @final
    def drop(self, name: str) -> None:
        """Remove a table or view if it exists."""
        self._wrap(lambda: self._drop(name))

    @final
    def columns(self, name: str) -> list[str]:
        """Column names of a registered table or view, in order."""
        sql = f"SELECT * FROM {self.ident(name)} LIMIT 0"
        return list(self.query(sql).column_names)

    @final
    def count(self, name: str) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {self.ident(name)}"))

    @final
    def write_parquet(self, source: str | pa.Table, path: str | Path, params: Params = None) -> Path:
        """Write a query (SQL text) or an Arrow table to Parquet, atomically.

        The data goes to a temporary sibling first and is renamed into place only when complete,
        so a failure never leaves a partial file under the final name.
        """
        target = Path(path)
        refuse_served(target, target.name)
        if not target.parent.exists():
            raise InputError(
                "出力先のフォルダがありません。", "output folder does not exist", field=target.name
            )
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            if isinstance(source, pa.Table):
                name = self.temp_name("hogo_out")
                self._register_arrow(name, source)
                try:
                    self._wrap(lambda: self._write_parquet(f"SELECT * FROM {self.ident(name)}", None, tmp))
                finally:
                    self._drop(name)
            else:
                self._wrap(lambda: self._write_parquet(source, params, tmp))
            os.replace(tmp, target)
        finally:
            _remove(tmp)
        return target

    @final
    def close(self) -> None:
        self._close()

    def __enter__(self) -> SqlEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @final
    def _wrap(self, fn: Any) -> Any:
        try:
            return fn()
        except HogoError:
            raise
        except Exception as exc:
            if "OutOfMemory" in type(exc).__name__:  # what the operator can change, said plainly
                raise EngineError(
                    "データエンジンのメモリが上限に達しました。HOGO_ENGINE_MEMORY_LIMIT を増やしてください。",
                    f"{self.dialect.name} engine ran out of memory: raise HOGO_ENGINE_MEMORY_LIMIT.",
                ) from exc
            raise EngineError(
                "データエンジンが処理を拒否しました。",
                f"{self.dialect.name} engine error: {type(exc).__name__}: {_first_line(exc)}",
            ) from exc

    # ---------------------------------------------------------------- backend hooks
    @abstractmethod
    def _execute(self, sql: str, params: Params) -> None: ...

    @abstractmethod
    def _fetch_arrow(self, sql: str, params: Params) -> pa.Table: ...

    @abstractmethod
    def _register_arrow(self, name: str, table: pa.Table) -> None: ...

    @abstractmethod
    def _register_file(
        self, name: str, path: Path, fmt: FileFormat, *, delimiter: str, header: bool, all_varchar: bool
    ) -> None: ...

    @abstractmethod
    def _create_table_as(self, name: str, sql: str, params: Params) -> None: ...

    @abstractmethod
    def _create_view(self, name: str, sql: str) -> None: ...

    @abstractmethod
    def _insert_into(self, name: str, sql: str, params: Params) -> None: ...

    @abstractmethod
    def _write_parquet(self, sql: str, params: Params, path: Path) -> None:
        """Write the query result to ``path`` as one Parquet file, rows in the query's order."""

    @abstractmethod
    def _drop(self, name: str) -> None: ...

    def _load_batches(self, name: str, batches: pa.RecordBatchReader) -> None:
        """Batch by batch: each registered, appended, unregistered (backends that can pull from
        the reader themselves do better)."""
        staged, created = self.temp_name("hogo_batch"), False
        try:
            for batch in batches:
                self._register_arrow(staged, pa.Table.from_batches([batch], schema=batches.schema))
                sql = f"SELECT * FROM {self.ident(staged)}"
                self._insert_into(name, sql, None) if created else self._create_table_as(name, sql, None)
                created = True
            if not created:
                self._register_arrow(staged, batches.schema.empty_table())
                self._create_table_as(name, f"SELECT * FROM {self.ident(staged)}", None)
        finally:
            self._drop(staged)

    def _stream(self, sql: str, params: Params, rows: int) -> pa.RecordBatchReader:
        """The whole result fetched, then handed out in batches (backends that stream do better)."""
        table = self._fetch_arrow(sql, params)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(rows))

    @abstractmethod
    def _close(self) -> None: ...


# Engine errors of these kinds describe the statement (names of tables and columns), never row
# values; others (conversion, constraint) may quote a value, so only their type is shown.
_STATEMENT_ERRORS = ("Catalog", "Binder", "Parser", "Parse", "Analysis", "NotImplemented")


def _first_line(exc: BaseException) -> str:
    kind = type(exc).__name__
    if not any(word in kind for word in _STATEMENT_ERRORS):
        return "(詳細は個人データを含む可能性があるため省略 / detail withheld: may contain data)"
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def _remove(path: Path) -> None:
    if path.is_dir():
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def _transcoded(
    path: Path, encoding: str, delimiter: str, header: bool, all_varchar: bool
) -> pa.RecordBatchReader:
    """The CSV in `encoding` as UTF-8 Arrow batches, typed as Arrow infers them (or all text)."""
    import pyarrow.csv as pacsv

    read = pacsv.ReadOptions(encoding=encoding, autogenerate_column_names=not header)
    parse = pacsv.ParseOptions(delimiter=delimiter)
    convert = pacsv.ConvertOptions()
    if all_varchar:
        with pacsv.open_csv(path, read_options=read, parse_options=parse) as probe:
            names = probe.schema.names
        convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    return pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
