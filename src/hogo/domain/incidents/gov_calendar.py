"""行政機関の休日 and the day a period-based deadline for a filing with the state really ends.

行政機関の休日に関する法律 1条1項: the administrative organs' holidays are Saturdays and Sundays,
the holidays of 国民の祝日に関する法律 (national holidays, substitute holidays 振替休日 and the
"citizens' holidays" between two holidays), and 12月29日–1月3日. Its 2条: where a deadline for a
filing or other act towards an administrative organ is set as a period by law and falls on such a
holiday, the deadline is the next day that is not one.

The national holidays come from the `holidays` package (python-holidays, JP; maintained with
monthly releases, including one-off holidays such as 2019-05-01). It is pure Python, computes
from rules and tables without I/O, so the domain stays pure; the calendar is still a parameter
(`HolidayCalendar`) so tests and a business with its own calendar can inject one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

import holidays as _holidays

HolidayCalendar = Callable[[date], bool]


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> frozenset[date]:
    return frozenset(_holidays.country_holidays("JP", years=year))


def is_national_holiday(day: date) -> bool:
    """国民の祝日に関する法律 3条 holidays, incl. 振替休日 and 国民の休日."""
    return day in _national_holidays(day.year)


def is_administrative_holiday(day: date) -> bool:
    """行政機関の休日 (法1条1項): Sat, Sun, national holidays, and 12/29–1/3."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or year_end or is_national_holiday(day)


def statutory_last_day(period_end: date, calendar: HolidayCalendar = is_administrative_holiday) -> date:
    """法2条: a period that ends on a 行政機関の休日 ends on the next day that is not one."""
    day = period_end
    while calendar(day):
        day += timedelta(days=1)
    return day


def last_business_day_by(day: date, calendar: HolidayCalendar = is_administrative_holiday) -> date:
    """The last day that is not a 行政機関の休日, on or before `day` (the safe day to file)."""
    while calendar(day):
        day -= timedelta(days=1)
    return day
