"""Read a release input (CSV, Parquet or a DuckDB table) into Arrow with the spec's column names.

Why here and not in `hogo.files.csv_table`: that reader validates small spreadsheets row by row;
release inputs have tens of millions of rows and are read by Arrow's multi-threaded CSV reader.
Japanese CSV arrives as UTF-8, UTF-8 with BOM (Excel) or CP932 (Shift_JIS); ``encoding: auto``
looks at the first block to tell them apart. Identifier columns are read as text so leading zeros
survive. Errors name a row and a field, never a value (Arrow's own messages quote the row, so they
are replaced).
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from hogo.engines import SqlEngine
from hogo.engines.duckdb import DuckDBEngine
from hogo.errors import InputError

Encoding = Literal["auto", "utf-8", "utf-8-sig", "cp932"]
_SAMPLE = 1 << 20


class InputSpec(BaseModel):
    """One input of a release spec: where the data is and which column holds what.

    ``columns`` maps the name the release uses (``member_id``, ``email``, ``phone`` …) to the
    column name in the source.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

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


class InputTable(BaseModel):
    """The table with release column names, and how to turn a position into a row number."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    table: pa.Table
    encoding: str | None = None
    #: Add to a 0-based position to get the row a person sees (CSV: header is row 1).
    row_offset: int = 1


def read_input(spec: InputSpec) -> InputTable:
    """Read ``spec`` into Arrow; columns are renamed to the release names in ``spec.columns``."""
    if not spec.path.exists():
        raise InputError("入力ファイルが見つかりません。", "input file not found", field=spec.path.name)
    fmt = spec.resolved_format()
    if fmt == "csv":
        return _read_csv(spec)
    if fmt == "parquet":
        return _read_parquet(spec)
    return _read_duckdb(spec)


def register_input(engine: SqlEngine, name: str, spec: InputSpec) -> InputTable:
    """Read ``spec`` and make it queryable in ``engine`` as ``name``."""
    data = read_input(spec)
    engine.register_arrow(name, data.table)
    return data


def _match_columns(available: list[str], spec: InputSpec, row: int | None) -> dict[str, str]:
    """Release name → actual source column; a header differing only in width or spaces matches."""
    loose = {_loose(name): name for name in available}
    found: dict[str, str] = {}
    for release_name, source in spec.columns.items():
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


def _rename(table: pa.Table, found: dict[str, str]) -> pa.Table:
    return pa.table({release: table.column(source) for release, source in found.items()})


def detect_encoding(path: Path) -> str:
    """utf-8-sig for a BOM, utf-8 if the first MiB decodes as UTF-8, else cp932."""
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SAMPLE)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp932"


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


def _read_csv(spec: InputSpec) -> InputTable:
    encoding = detect_encoding(spec.path) if spec.encoding == "auto" else spec.encoding
    bad = find_undecodable_line(spec.path, encoding)
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
    try:
        reader = pacsv.open_csv(spec.path, read_options=read_options, parse_options=parse_options)
        header = reader.schema.names
    except pa.ArrowInvalid:
        raise InputError("見出し行を読めません。", "cannot read the header row", row=1) from None
    found = _match_columns(header, spec, row=1)
    convert = pacsv.ConvertOptions(
        include_columns=list(dict.fromkeys(found.values())),
        column_types=dict.fromkeys(found.values(), pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pacsv.read_csv(
            spec.path, read_options=read_options, parse_options=parse_options, convert_options=convert
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        row = parse_bad[0] if parse_bad else None
        raise InputError(
            "CSVの行を読めません（列の数や引用符を確認してください）。",
            "cannot parse a CSV row (check the number of columns and quotes)",
            row=row,
        ) from None
    return InputTable(table=_rename(table, found), encoding=encoding, row_offset=2)


def _read_parquet(spec: InputSpec) -> InputTable:
    try:
        schema = pq.read_schema(spec.path) if spec.path.is_file() else pq.ParquetDataset(spec.path).schema
    except (pa.ArrowInvalid, OSError):
        raise InputError(
            "Parquetファイルを読めません。", "cannot read the Parquet file", field=spec.path.name
        ) from None
    found = _match_columns(list(schema.names), spec, row=None)
    table = pq.read_table(spec.path, columns=list(dict.fromkeys(found.values())))
    return InputTable(table=_rename(table, found), row_offset=1)


def _read_duckdb(spec: InputSpec) -> InputTable:
    if not spec.table:
        raise InputError("DuckDB入力には table が必要です。", "a DuckDB input needs `table`", field="table")
    try:
        con = duckdb.connect(str(spec.path), read_only=True)
    except duckdb.Error:
        raise InputError(
            "DuckDBファイルを開けません。", "cannot open the DuckDB file", field=spec.path.name
        ) from None
    with DuckDBEngine(connection=con) as engine:
        try:
            available = engine.columns(spec.table)
        except Exception:
            con.close()
            raise InputError("指定の表がありません。", "table not found", field=spec.table) from None
        found = _match_columns(available, spec, row=None)
        select = ", ".join(f"{engine.ident(src)} AS {engine.ident(name)}" for name, src in found.items())
        table = engine.query(f"SELECT {select} FROM {engine.ident(spec.table)}")
    con.close()
    return InputTable(table=table, row_offset=1)
