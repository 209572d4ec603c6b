"""Spreadsheet CSV as Excel writes it in Japan: UTF-8, UTF-8 with BOM, or CP932 (Shift_JIS).

Cells are NFKC-normalised (full-width digits, letters and spaces become ASCII) and trimmed.
Row numbers are those a person sees in the spreadsheet: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hogo.errors import InputError

ENCODINGS = ("utf-8-sig", "cp932")


@dataclass(frozen=True)
class CsvRow:
    number: int
    values: dict[str, str]


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Return the text and the encoding it was read with."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _unknown_encoding(source)


def _unknown_encoding(source: str) -> InputError:
    return InputError(
        f"{source}: 文字コードを判別できません(UTF-8又はShift_JIS(CP932)で保存してください)。",
        f"{source}: unknown text encoding (save as UTF-8 or Shift_JIS/CP932).",
    )


def normalise_cell(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def read_csv(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> list[CsvRow]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    return parse_csv(data, required, optional, source=str(path))


def parse_csv(
    data: bytes, required: Sequence[str], optional: Sequence[str] = (), source: str = "CSV"
) -> list[CsvRow]:
    text, _ = decode(data, source)
    return list(_rows(text, required, optional, source))


def iter_csv(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> Iterator[CsvRow]:
    """Like `read_csv`, row by row: memory stays near one row however large the file.

    The encoding is settled over the whole file first (by the same rules as `decode`, read in
    blocks), so a file that is not valid in any accepted encoding is refused before any row.
    """
    encoding = _detect(path)
    with path.open(encoding=encoding, newline="") as handle:
        yield from _rows(handle, required, optional, str(path))


def _detect(path: Path, block: int = 1 << 20) -> str:
    """The first of ENCODINGS the whole file decodes in, without holding the file."""
    try:
        for encoding in ENCODINGS:
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                with path.open("rb") as handle:
                    while data := handle.read(block):
                        decoder.decode(data)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return encoding
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    raise _unknown_encoding(str(path))


def _rows(
    lines: str | Iterable[str], required: Sequence[str], optional: Sequence[str], source: str
) -> Iterator[CsvRow]:
    text_lines = io.StringIO(lines, newline="") if isinstance(lines, str) else lines
    reader = csv.reader(text_lines, strict=True)
    try:
        header_raw = next(reader)
    except StopIteration:
        raise InputError(f"{source}: 空のファイルです。", f"{source}: the file is empty.") from None
    except csv.Error:
        raise InputError("見出し行を読めません。", "cannot read the header row.", row=1) from None
    header = [normalise_cell(h).lower() for h in header_raw]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"必須の列がありません: {', '.join(missing)}",
            f"required columns missing: {', '.join(missing)}",
            row=1,
        )
    known = set(required) | set(optional)
    unknown = [h for h in header if h and h not in known]
    if unknown:
        raise InputError(
            f"未知の列があります: {', '.join(unknown)}", f"unknown columns: {', '.join(unknown)}", row=1
        )
    if len(set(header)) != len(header):
        raise InputError("列名が重複しています。", "duplicate column names.", row=1)
    number = 1
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise InputError(
                "CSVの形式が壊れています(引用符の閉じ忘れ等)。",
                "malformed CSV (e.g. an unclosed quote).",
                row=number + 1,
            ) from None
        number += 1
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            raise InputError(
                f"列の数が見出しと違います({len(raw)}列、見出しは{len(header)}列)。",
                f"{len(raw)} cells where the header has {len(header)} (truncated or shifted row?).",
                row=number,
            )
        yield CsvRow(number, {h: normalise_cell(v) for h, v in zip(header, raw, strict=True) if h})
