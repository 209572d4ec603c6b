"""Times in hogo are timezone-aware; Japanese input without an offset means JST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


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


def parse_instant(text: str) -> datetime:
    """Parse ISO-8601; a date alone is midnight JST, no offset means JST."""
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, tzinfo=JST)
    return as_aware(datetime.fromisoformat(text.replace("Z", "+00:00")))


def to_jst(value: datetime) -> datetime:
    return as_aware(value).astimezone(JST)


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on `day` (a person born on 2/29 turns a year older on 3/1 in common years)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
