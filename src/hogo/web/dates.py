"""Dates the way a Japanese office writes them: 2024年6月1日, and the era year (令和6年) where expected.

Era years appear where Japanese forms use them (birth dates, effective dates of terms); the
Gregorian date stays first so nothing has to be converted in one's head.
"""

from __future__ import annotations

from datetime import date, datetime

from hogo.domain import display
from hogo.domain.clock import to_jst

# (first day, name, English name), newest first. Meiji is counted from its Gregorian adoption.
_ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Showa"),
    (date(1912, 7, 30), "大正", "Taisho"),
    (date(1873, 1, 1), "明治", "Meiji"),
)


def wareki_year(day: date, lang: str = "ja") -> str:
    """令和6年 (元年 for the first year); empty before the Meiji calendar reform."""
    for start, name, name_en in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            if lang == "en":
                return f"{name_en} {year}"
            return f"{name}{'元' if year == 1 else year}年"
    return ""


def format_date(day: date | datetime | None, lang: str = "ja", era: bool = False) -> str:
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = to_jst(day).date()
    text = display.date_text(day, lang)
    if not era:
        return text
    return f"{text} ({wareki_year(day, 'en')})" if lang == "en" else f"{text}({wareki_year(day)})"


def format_datetime(value: datetime | None, lang: str = "ja") -> str:
    """A moment in Japan time, to the minute (`hogo.domain.display`, the one way hogo writes it)."""
    return display.datetime_text(value, lang)
