"""The one CSV writer for files people open in a spreadsheet: formula-safe, Excel line endings.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` as a formula (and a leading tab or
carriage return hides such a start), so a subject id or e-mail address chosen by an attacker could
run `=HYPERLINK(...)` or DDE on the officer's machine (CSV injection, OWASP). Such cells get a
leading single quote, which Excel and LibreOffice show as text and do not store. The raw values
stay available where no spreadsheet reads them: the JSON API, YAML exports and the store.

Machine-to-machine files (release outputs, token files, hierarchies read back by hogo) are data
with digests and keep their values exactly; they do not go through this writer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from hogo.errors import InputError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> str:
    """The cell as text; a cell a spreadsheet would run as a formula is prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return str(value)  # a number, even a negative one, is no formula
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def undo_formula_safe(text: str) -> str:
    """A cell this writer protected, as it was: hogo's own exports read back unchanged."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def people_csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Header and rows as CSV text with CRLF line endings, every cell formula-safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([formula_safe(h) for h in header])
    writer.writerows([formula_safe(c) for c in row] for row in rows)
    return buffer.getvalue()


def people_csv_stream(
    header: Sequence[str], batches: Iterable[Iterable[Sequence[object]]]
) -> Iterator[bytes]:
    """The same CSV as UTF-8 with BOM, yielded batch by batch: a large table is converted as it is
    downloaded, with no file written and memory bounded by one batch."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([formula_safe(h) for h in header])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for rows in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([formula_safe(c) for c in row] for row in rows)
        yield buffer.getvalue().encode("utf-8")


def spreadsheet_csv(path: Path, batch_rows: int = 20_000) -> Iterator[bytes]:
    """A Parquet file as CSV for people (UTF-8 with BOM, CRLF, formula-safe cells), streamed by
    row batches through `people_csv_stream`: memory stays one batch, however large the file."""
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    batches = (
        zip(*[c.to_pylist() for c in batch.columns], strict=True)
        for batch in source.iter_batches(batch_size=batch_rows)
    )
    return people_csv_stream(source.schema_arrow.names, batches)


def people_csv(header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8-sig") -> bytes:
    """The CSV encoded for Excel; a character CP932 lacks stops the export instead of becoming '?'."""
    try:
        return people_csv_text(header, rows).encode(encoding)
    except UnicodeEncodeError:
        raise InputError(
            "CP932で表せない文字があります。UTF-8で出力してください。",
            "some characters cannot be written in CP932; export as UTF-8.",
        ) from None
