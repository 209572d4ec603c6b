"""Times in hogo are timezone-aware; Japanese input without an offset means JST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

#: Days and moments given from outside (API, console, files) lie in these years: birth dates go
#: back to 1900, everything that happens (consent, incidents, assessments) is in 2000–2099. Far
#: from datetime's own limits, so no offset or day arithmetic on them can overflow.
FIRST_YEAR = 1900
FIRST_EVENT_YEAR = 2000
LAST_YEAR = 2099


class OutOfSpan(ValueError):
    """A day or moment outside the years hogo accepts (a ValueError, so parsers report it)."""


def check_span(value: date, first_year: int = FIRST_YEAR) -> None:
    """Refuse a day or moment outside `first_year`–2099 (checked before any offset is applied)."""
    if not first_year <= value.year <= LAST_YEAR:
        raise OutOfSpan(f"must be in the years {first_year}–{LAST_YEAR}")


def as_aware(value: datetime) -> datetime:
    """Attach JST to a naive datetime (how Japanese spreadsheets write times)."""
    return value.replace(tzinfo=JST) if value.tzinfo is None else value


def storable(value: datetime) -> datetime:
    """`as_aware`, refusing a time that cannot be shown in UTC and JST (`0001-01-01T00:00+09:00`
    is year 0 in UTC): stores and reports convert every instant, and would overflow later."""
    aware = as_aware(value)
    try:
        aware.astimezone(UTC)
        aware.astimezone(JST)
    except OverflowError:
        raise ValueError("日時が扱える範囲の外です / date-time out of range") from None
    return aware


def parse_instant(text: str, first_year: int = FIRST_YEAR) -> datetime:
    """Parse ISO-8601; a date alone is midnight JST, no offset means JST.

    Raises ValueError (`OutOfSpan` for a year outside `first_year`–2099) on bad input.
    """
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        check_span(d, first_year)
        return datetime(d.year, d.month, d.day, tzinfo=JST)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    check_span(value, first_year)
    return as_aware(value)


def to_jst(value: datetime) -> datetime:
    return as_aware(value).astimezone(JST)


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on `day` (a person born on 2/29 turns a year older on 3/1 in common years)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
