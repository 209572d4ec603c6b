"""Read a release input (CSV, Parquet or a DuckDB table) as Arrow batches with the spec's column names.

Why here and not in `hogo.files.csv_table`: that reader validates small spreadsheets row by row;
release inputs have tens of millions of rows and are read by Arrow's multi-threaded CSV reader.
Japanese CSV arrives as UTF-8, UTF-8 with BOM (Excel) or CP932 (Shift_JIS); ``encoding: auto``
looks at the first block to tell them apart. Identifier columns are read as text so leading zeros
survive. Errors name a row and a field, never a value (Arrow's own messages quote the row, so they
are replaced). Inputs are streamed (:func:`open_input`): tens of millions of rows never sit in
Python memory at once; :func:`read_input` gathers the batches for small tables.
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from pydantic import ConfigDict, Field

from hogo.domain.model import Frozen
from hogo.engines.duckdb import DuckDBEngine
from hogo.errors import InputError
from hogo.files import csv_table

Encoding = Literal["auto", "utf-8", "utf-8-sig", "cp932"]
_SAMPLE = 1 << 20
#: Rows per batch when streaming; about 100 MB of Arrow for a wide member table.
BATCH_ROWS = 1 << 20


class InputSpec(Frozen):
    """One input of a release spec: where the data is and which column holds what.

    ``columns`` maps the name the release uses (``member_id``, ``email``, ``phone`` …) to the
    column name in the source.
    """

    path: Path
    format: Literal["csv", "parquet", "duckdb"] | None = None
    table: str | None = None
    encoding: Encoding = "auto"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    columns: dict[str, str] = Field(min_length=1)

    def resolved_format(self) -> Literal["csv", "parquet", "duckdb"]:
        if self.format is not None:
            return self.format
        suffix = self.path.suffix.lower()
        if suffix in {".parquet", ".pq"} or self.path.is_dir():
            return "parquet"
        if suffix in {".duckdb", ".ddb", ".db"}:
            return "duckdb"
        if suffix in {".csv", ".tsv", ".txt"}:
            return "csv"
        raise InputError(
            "入力の形式を判別できません（csv / parquet / duckdb）。",
            "cannot tell the input format (csv / parquet / duckdb)",
            field=self.path.name,
        )


class InputTable(Frozen):
    """The table with release column names, and how to turn a position into a row number."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    table: pa.Table
    encoding: str | None = None
    #: Add to a 0-based position to get the row a person sees (CSV: header is row 1).
    row_offset: int = 1


@dataclass
class InputStream:
    """An input being read: its batches (release column names), encoding and row numbering."""

    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]
    encoding: str | None = None
    #: Add to a 0-based position to get the row a person sees (CSV: header is row 1).
    row_offset: int = 1


def open_input(spec: InputSpec, batch_rows: int = BATCH_ROWS) -> InputStream:
    """Start reading ``spec``; errors in the header or mapping are raised here, row errors later."""
    if not spec.path.exists():
        raise InputError("入力ファイルが見つかりません。", "input file not found", field=spec.path.name)
    fmt = spec.resolved_format()
    if fmt == "csv":
        return _open_csv(spec)
    if fmt == "parquet":
        return _open_parquet(spec, batch_rows)
    return _open_duckdb(spec, batch_rows)


def read_input(spec: InputSpec) -> InputTable:
    """Read all of ``spec`` into Arrow; columns are renamed to the release names in ``spec.columns``."""
    stream = open_input(spec)
    table = pa.Table.from_batches(list(stream.batches), schema=stream.schema)
    return InputTable(table=table, encoding=stream.encoding, row_offset=stream.row_offset)


def _match_columns(available: list[str], spec: InputSpec, row: int | None) -> dict[str, str]:
    """Release name → actual source column; a header differing only in width or spaces matches.

    A mapped column whose heading appears twice is refused: which of the two holds the e-mail
    addresses cannot be told (Arrow's reader silently took the first)."""
    loose = {_loose(name): name for name in available}
    headings = Counter(map(_loose, available))
    found: dict[str, str] = {}
    for release_name, source in spec.columns.items():
        if headings[_loose(source)] > 1:
            raise InputError(
                "指定の列と同じ見出しの列が複数あります。",
                "more than one column has the mapped heading",
                row=row,
                field=source,
            )
        if source in available:
            found[release_name] = source
        elif _loose(source) in loose:
            found[release_name] = loose[_loose(source)]
        else:
            raise InputError(
                "指定の列が入力にありません。", "mapped column missing from the input", row=row, field=source
            )
    return found


def _loose(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().lower()


def _renamer(schema: pa.Schema, found: dict[str, str]) -> tuple[pa.Schema, list[int]]:
    """The release schema and, per release column, the position of its source column."""
    positions = [schema.get_field_index(source) for source in found.values()]
    fields = [pa.field(release, schema.field(i).type) for release, i in zip(found, positions, strict=True)]
    return pa.schema(fields), positions


def _renamed(
    batches: Iterator[pa.RecordBatch], found: dict[str, str], schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    target, positions = _renamer(schema, found)
    for batch in batches:
        yield pa.RecordBatch.from_arrays([batch.column(i) for i in positions], schema=target)


def detect_encoding(path: Path) -> str:
    """The encoding by the rules of every spreadsheet hogo reads (`files.csv_table`), settled over
    the whole file before a row is read: a file in neither encoding, cut short in a character or
    mixing UTF-8 and Shift_JIS lines is refused naming its line (the first MiB alone took a UTF-8
    file cut short for Shift_JIS). `utf-8-sig` only for a file that starts with a BOM."""
    encoding = csv_table.detect_encoding(path)
    if encoding == "utf-8-sig":
        with path.open("rb") as handle:
            return encoding if handle.read(3) == codecs.BOM_UTF8 else "utf-8"
    return encoding


def find_undecodable_line(path: Path, encoding: str) -> int | None:
    """The 1-based line holding the first byte that does not decode, or None if all decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(_SAMPLE):
            # Bytes held back from the previous chunk (an unfinished character) never hold a
            # newline, and the error position counts from them.
            data = decoder.getstate()[0] + chunk
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + data[: exc.start].count(b"\n")
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def first_malformed_line(path: Path, encoding: str, delimiter: str, width: int) -> int | None:
    """The line where the first record without ``width`` fields ends (Arrow's streaming reader
    does not know row numbers, so the file is read again, only after an error)."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            for record in reader:
                if len(record) != width and record:
                    return reader.line_num
        except csv.Error:
            return reader.line_num
    return None


def _open_csv(spec: InputSpec) -> InputStream:
    encoding = detect_encoding(spec.path) if spec.encoding == "auto" else spec.encoding
    bad = None if spec.encoding == "auto" else find_undecodable_line(spec.path, encoding)
    if bad is not None:
        raise InputError(
            f"文字コード {encoding} として読めない文字があります。",
            f"bytes that are not valid {encoding}",
            row=bad,
        )
    # Arrow skips a UTF-8 BOM itself; other encodings are transcoded through Python's codecs.
    arrow_encoding = "utf8" if encoding in {"utf-8", "utf-8-sig"} else encoding
    read_options = pacsv.ReadOptions(encoding=arrow_encoding, block_size=16 << 20)
    parse_bad: list[int | None] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        parse_bad.append(row.number)
        return "error"

    parse_options = pacsv.ParseOptions(delimiter=spec.delimiter, invalid_row_handler=on_invalid)
    # The header probe skips bad data rows: they are reported with their row number while streaming.
    lenient = pacsv.ParseOptions(delimiter=spec.delimiter, invalid_row_handler=lambda _row: "skip")
    try:
        probe = pacsv.open_csv(spec.path, read_options=read_options, parse_options=lenient)
        header = probe.schema.names
        probe.close()
    except pa.ArrowInvalid:
        raise InputError("見出し行を読めません。", "cannot read the header row", row=1) from None
    found = _match_columns(header, spec, row=1)
    sources = list(dict.fromkeys(found.values()))
    convert = pacsv.ConvertOptions(
        include_columns=sources,
        column_types=dict.fromkeys(sources, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            reader = pacsv.open_csv(
                spec.path, read_options=read_options, parse_options=parse_options, convert_options=convert
            )
            with reader:
                yield from reader
        except (pa.ArrowInvalid, UnicodeDecodeError):
            row = parse_bad[0] if parse_bad and parse_bad[0] is not None else None
            raise InputError(
                "CSVの行を読めません（列の数や引用符を確認してください）。",
                "cannot parse a CSV row (check the number of columns and quotes)",
                row=row or first_malformed_line(spec.path, encoding, spec.delimiter, len(header)),
            ) from None

    schema = pa.schema([pa.field(name, pa.string()) for name in sources])
    target, _ = _renamer(schema, found)
    return InputStream(target, _renamed(batches(), found, schema), encoding=encoding, row_offset=2)


def _open_parquet(spec: InputSpec, batch_rows: int) -> InputStream:
    try:
        dataset = pads.dataset(spec.path, format="parquet")
    except (pa.ArrowInvalid, OSError):
        raise InputError(
            "Parquetファイルを読めません。", "cannot read the Parquet file", field=spec.path.name
        ) from None
    found = _match_columns(list(dataset.schema.names), spec, row=None)
    sources = list(dict.fromkeys(found.values()))
    schema = pa.schema([dataset.schema.field(name) for name in sources])

    def batches() -> Iterator[pa.RecordBatch]:
        # File by file, batches in file order, so positions are stable row numbers. Not
        # `dataset.to_batches`: its scanner reads ahead of a slower consumer without bound (a
        # 70M-member file was decoded whole into memory, 9 GB, while the batches were tokenised).
        try:
            for path in dataset.files:
                with pq.ParquetFile(path) as source:
                    yield from source.iter_batches(batch_size=batch_rows, columns=sources)
        except (pa.ArrowInvalid, OSError):
            raise InputError(
                "Parquetファイルを読めません。", "cannot read the Parquet file", field=spec.path.name
            ) from None

    target, _ = _renamer(schema, found)
    return InputStream(target, _renamed(batches(), found, schema), row_offset=1)


def _open_duckdb(spec: InputSpec, batch_rows: int) -> InputStream:
    if not spec.table:
        raise InputError("DuckDB入力には table が必要です。", "a DuckDB input needs `table`", field="table")
    try:
        # No external access: a view in the file could otherwise read any file on the machine
        # (`read_csv('/etc/passwd')`) past the folder rules of submitted specs.
        con = duckdb.connect(str(spec.path), read_only=True, config={"enable_external_access": False})
    except duckdb.Error:
        raise InputError(
            "DuckDBファイルを開けません。", "cannot open the DuckDB file", field=spec.path.name
        ) from None
    engine = DuckDBEngine(connection=con)
    try:
        available = engine.columns(spec.table)
    except Exception:
        con.close()
        raise InputError("指定の表がありません。", "table not found", field=spec.table) from None
    try:
        found = _match_columns(available, spec, row=None)
    except InputError:
        con.close()
        raise
    select = ", ".join(f"{engine.ident(src)} AS {engine.ident(name)}" for name, src in found.items())
    relation = con.sql(f"SELECT {select} FROM {engine.ident(spec.table)}")
    # DuckDB 2 renamed fetch_arrow_reader() to to_arrow_reader(); accept both (duckdb>=1.1).
    fetch = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    reader: pa.RecordBatchReader = fetch(batch_rows)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from reader
        finally:
            con.close()

    return InputStream(reader.schema, batches(), row_offset=1)
