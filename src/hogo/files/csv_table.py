"""Spreadsheet CSV as Excel writes it in Japan: UTF-8, UTF-8 with BOM, or CP932 (Shift_JIS).

Cells are NFKC-normalised (full-width digits, letters and spaces become ASCII) and trimmed.
Row numbers are those a person sees in the spreadsheet: the header is row 1. Headers are read
in either style hogo writes (Japanese or machine names, `files.csv_headers`), so a file hogo
wrote for people (an export, a rejects file) can be fixed and imported again as it is.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hogo.errors import InputError, cut_list
from hogo.files.csv_headers import JA_HEADERS, machine_names
from hogo.files.people_csv import undo_formula_safe

ENCODINGS = ("utf-8-sig", "cp932")  # and UTF-16/32 when the file starts with a BOM


@dataclass(frozen=True)
class CsvRow:
    number: int
    values: dict[str, str]


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Return the text and the encoding it was read with; strictly, never a guess that garbles.

    UTF-8 (with or without BOM) first, then CP932. UTF-16/32 with a BOM is read by its BOM. A
    file that is not valid in the encoding found, or that mixes UTF-8 lines into a CP932 file
    (a copy-and-paste between editors), is refused naming the line instead of being stored as
    mojibake. NUL bytes without a BOM mean UTF-16 without BOM or a binary file: refused.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise _undecodable(source, encoding, data.count(b"\n", 0, exc.start) + 1) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_line = _utf8_failure(source, data, exc)
    else:
        if "\x00" not in text:
            return text, "utf-8-sig"
        utf8_line = 1
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _nul(source, data.count(b"\n", 0, nul) + 1)
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise _neither(source, utf8_line, data.count(b"\n", 0, exc.start) + 1, exc.reason) from None
    mixed = _utf8_line(data)
    if mixed is not None:
        raise InputError(
            f"{source}: {mixed}行目はUTF-8、他の行はShift_JIS(CP932)です。"
            "文字コードを揃えて保存してください。",
            f"{source}: line {mixed} is UTF-8 while other lines are Shift_JIS (CP932); save in one encoding.",
        )
    return text, "cp932"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _nul(source: str, line: int) -> InputError:
    return InputError(
        f"{source}: {line}行目にNUL文字があります(BOMのないUTF-16かバイナリファイル)。"
        "UTF-8で保存してください。",
        f"{source}: line {line} contains NUL (UTF-16 without BOM, or not a text file); save as UTF-8.",
    )


def _utf8_failure(
    source: str, data: bytes, exc: UnicodeDecodeError, first_line: int = 1, ascii_before: bool = True
) -> int:
    """The line where `data` (from `first_line` on; `ascii_before`: all before it was ASCII)
    stopped being UTF-8. UTF-8 up to a last character cut in two is a file cut short (blocks are
    whole lines: only the last can end so), unless all before it was ASCII and the bytes read as
    Shift_JIS: then it is a Shift_JIS file whose one Japanese character comes last."""
    cut = exc.reason == "unexpected end of data"
    if cut and not (ascii_before and data[: exc.start].isascii() and _cp932(data)):
        raise _cut_short(source, first_line + data.count(b"\n"))
    return first_line + data.count(b"\n", 0, exc.start)


def _cp932(data: bytes) -> bool:
    try:
        data.decode("cp932")
    except UnicodeDecodeError:
        return False
    return True


def _neither(source: str, utf8_line: int, cp932_line: int, cp932_reason: str) -> InputError:
    """A file valid in neither encoding, named by the one that read further: a Shift_JIS file with
    a Japanese header was named by its header line (where UTF-8 failed), not where it broke."""
    if cp932_line <= utf8_line:
        return _undecodable(source, "UTF-8", utf8_line)
    if cp932_reason == "incomplete multibyte sequence":  # the codec's words for a cut last character
        return _cut_short(source, cp932_line)
    return _undecodable(source, "Shift_JIS(CP932)", cp932_line)


def _cut_short(source: str, line: int) -> InputError:
    return InputError(
        f"{source}: {line}行目が文字の途中で終わっています(ファイルが途中で切れていないか確認してください)。",
        f"{source}: line {line} ends in the middle of a character (was the file cut short?).",
    )


def _undecodable(source: str, encoding: str, line: int) -> InputError:
    return InputError(
        f"{source}: {line}行目付近が文字コード {encoding} として読めません"
        "(UTF-8又はShift_JIS(CP932)で保存してください)。",
        f"{source}: near line {line}, not valid {encoding} (save as UTF-8 or Shift_JIS/CP932).",
    )


def _utf8_line(data: bytes) -> int | None:
    """The first line that is valid UTF-8 with Japanese (3-byte) characters, in a CP932 file.

    CP932 text is practically never valid UTF-8 with such characters, so such a line was pasted
    in from a UTF-8 source."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if max(line, default=0) < 0x80:
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if any(ord(ch) >= 0x800 for ch in text):
            return number
    return None


def normalise_cell(value: str) -> str:
    """NFKC and trimmed; a cell hogo's CSV writer protected with `'` reads back as it was."""
    return undo_formula_safe(unicodedata.normalize("NFKC", value).strip())


def read_csv(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> list[CsvRow]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    return parse_csv(data, required, optional, source=str(path))


def parse_csv(
    data: bytes,
    required: Sequence[str],
    optional: Sequence[str] = (),
    source: str = "CSV",
    headers: Mapping[str, str] = JA_HEADERS,
) -> list[CsvRow]:
    """`headers` is the Japanese heading of each column (machine name → heading) the file may use."""
    text, _ = decode(data, source)
    return list(_rows(text, required, optional, source, headers))


def iter_csv(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> Iterator[CsvRow]:
    """Like `read_csv`, row by row: memory stays near one row however large the file.

    The encoding is settled over the whole file first, by exactly the rules of `decode` (read in
    blocks), so a file that is not valid in the encoding found is refused before any row.
    """
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        yield from _rows(handle, required, optional, str(path))


def detect_encoding(path: Path, block: int = 1 << 20) -> str:
    """The encoding `decode` would choose, without holding the file.

    Blocks end at a line break, which is never part of a UTF-8 or CP932 multi-byte character, so
    each block decodes on its own and a problem is named by its line in the whole file. Files
    with a BOM (UTF-16/32 from "Unicode text" exports) are decoded whole, as `decode` does.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    source = str(path)
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return decode(path.read_bytes(), source)[1]
    utf8_error: int | None = None  # the line of the first byte that is not UTF-8
    ascii_before = True
    for first_line, data in _line_blocks(path, block):
        nul = data.find(b"\x00")
        if nul >= 0:
            raise _nul(source, first_line + data.count(b"\n", 0, nul))
        try:
            data.decode("utf-8-sig" if first_line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            utf8_error = _utf8_failure(source, data, exc, first_line, ascii_before)
            break
        ascii_before = ascii_before and data.isascii()
    if utf8_error is None:
        return "utf-8-sig"
    for first_line, data in _line_blocks(path, block):
        try:
            data.decode("cp932")
        except UnicodeDecodeError as exc:
            cp932_error = first_line + data.count(b"\n", 0, exc.start)
            raise _neither(source, utf8_error, cp932_error, exc.reason) from None
        mixed = _utf8_line(data)
        if mixed is not None:
            line = first_line + mixed - 1
            raise InputError(
                f"{source}: {line}行目はUTF-8、他の行はShift_JIS(CP932)です。"
                "文字コードを揃えて保存してください。",
                f"{source}: line {line} is UTF-8 while other lines are Shift_JIS (CP932); "
                "save in one encoding.",
            )
    return "cp932"


def _line_blocks(path: Path, block: int) -> Iterator[tuple[int, bytes]]:
    """(number of the block's first line, bytes) for blocks of whole lines."""
    line = 1
    rest = b""
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            yield line, data[:cut]
            line += data.count(b"\n", 0, cut)
            rest = data[cut:]
    if rest:
        yield line, rest


def records(text: str | Iterable[str], delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each record; the header is row 1, as the spreadsheet shows it.

    A broken record stops the file with its row and what broke: a cell over the csv module's
    limit (131,072 characters) is named as such, not as an unclosed quote."""
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    number = 0
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _broken(number + 1, exc) from None
        number += 1
        yield number, raw


def _broken(row: int, exc: csv.Error) -> InputError:
    if "field larger than field limit" in str(exc):
        limit = csv.field_size_limit()
        return InputError(
            f"セルが長すぎます(上限{limit:,}文字)。", f"a cell is longer than {limit:,} characters.", row=row
        )
    if row == 1:
        return InputError("見出し行を読めません。", "cannot read the header row.", row=1)
    return InputError(
        "CSVの形式が壊れています(引用符の閉じ忘れ等)。", "malformed CSV (e.g. an unclosed quote).", row=row
    )


def _rows(
    text: str | Iterable[str],
    required: Sequence[str],
    optional: Sequence[str],
    source: str,
    headers: Mapping[str, str] = JA_HEADERS,
) -> Iterator[CsvRow]:
    """The non-blank records after the checked header, each as wide as the header, as rows."""
    numbered = records(text)
    header = _header(next(numbered, None), required, optional, source, headers)
    for number, raw in _checked(numbered, len(header)):
        yield CsvRow(number, {h: normalise_cell(v) for h, v in zip(header, raw, strict=True) if h})


def iter_csv_batches(
    path: Path, required: Sequence[str], optional: Sequence[str] = (), size: int = 50_000
) -> tuple[list[str], Iterator[tuple[list[int], list[list[str]]]]]:
    """`iter_csv` a batch at a time and before its cells are normalised: the header (machine
    names; "" for a blank heading) and batches of up to `size` non-blank records, each as row
    numbers and raw cells as wide as the header. For readers that work a column at a time
    (`files.event_columns`); `normalise_cell` gives each cell's value exactly as `iter_csv` does.
    """
    encoding = detect_encoding(path)
    handle = path.open(encoding=encoding, newline="")
    try:
        reader = csv.reader(handle, strict=True)
        try:
            first = next(reader, None)
        except csv.Error as exc:
            raise _broken(1, exc) from None
        header = _header(None if first is None else (1, first), required, optional, str(path), JA_HEADERS)
    except BaseException:
        handle.close()
        raise
    return header, _batches(handle, reader, len(header), size)


def _batches(
    handle: IO[str], reader: Iterator[list[str]], width: int, size: int
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """`records` + `_checked` in one loop, in batches (a generator step per row was a third of
    reading a file)."""
    with handle:
        number = 1
        numbers: list[int] = []
        cells: list[list[str]] = []
        try:
            for raw in reader:
                number += 1
                # A first cell with text marks a non-blank row at once; others are looked at whole.
                if (len(raw) != width or not raw[0] or raw[0].isspace()) and not _shaped(number, raw, width):
                    continue
                numbers.append(number)
                cells.append(raw)
                if len(numbers) >= size:
                    yield numbers, cells
                    numbers, cells = [], []
        except csv.Error as exc:
            raise _broken(number + 1, exc) from None
        if numbers:
            yield numbers, cells


def _header(
    first: tuple[int, list[str]] | None,
    required: Sequence[str],
    optional: Sequence[str],
    source: str,
    headers: Mapping[str, str],
) -> list[str]:
    if first is None:
        raise InputError(f"{source}: 空のファイルです。", f"{source}: the file is empty.")
    # Japanese headings back to machine names, here once, so every import reads both styles.
    header = [h.lower() for h in machine_names([normalise_cell(h) for h in first[1]], headers)]
    missing = [f"{c}({headers[c]})" if c in headers else c for c in required if c not in header]
    if missing:
        raise InputError(
            f"必須の列がありません: {cut_list(missing)}",
            f"required columns missing: {cut_list(missing)}",
            row=1,
        )
    known = set(required) | set(optional)
    unknown = [h for h in header if h and h not in known]
    if unknown:
        shown = cut_list(unknown)
        raise InputError(f"未知の列があります: {shown}", f"unknown columns: {shown}", row=1)
    if len(set(header)) != len(header):
        raise InputError("列名が重複しています。", "duplicate column names.", row=1)
    return header


def _checked(rows: Iterator[tuple[int, list[str]]], width: int) -> Iterator[tuple[int, list[str]]]:
    for number, raw in rows:
        # A first cell with text marks a non-blank row at once; only others are looked at whole.
        if (len(raw) != width or not raw[0] or raw[0].isspace()) and not _shaped(number, raw, width):
            continue
        yield number, raw


def _shaped(number: int, raw: list[str], width: int) -> bool:
    """False for a blank row (skipped); an error for a row of another width."""
    if not any(cell.strip() for cell in raw):
        return False
    if len(raw) != width:
        raise InputError(
            f"列の数が見出しと違います({len(raw)}列、見出しは{width}列)。",
            f"{len(raw)} cells where the header has {width} (truncated or shifted row?).",
            row=number,
        )
    return True
