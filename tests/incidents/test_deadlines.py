"""Deadline arithmetic: calendar days, the day of awareness not counted (民法140条), JST dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain.clock import JST
from hogo.domain.incidents.deadlines import (
    Deadlines,
    DeadlineSettings,
    DeadlineState,
    days_left,
    deadlines_for,
    final_state,
    period_end,
    preliminary_state,
)
from hogo.domain.incidents.gov_calendar import is_administrative_holiday, is_national_holiday


@pytest.mark.parametrize(
    ("aware", "days", "end"),
    [
        (datetime(2026, 4, 1, 9, 0, tzinfo=JST), 30, date(2026, 5, 1)),  # domain.md's example
        (datetime(2026, 1, 31, 23, 59, tzinfo=JST), 30, date(2026, 3, 2)),  # across a short February
        (datetime(2028, 1, 31, 8, 0, tzinfo=JST), 30, date(2028, 3, 1)),  # leap year: 2/29 counts
        (datetime(2028, 2, 29, 8, 0, tzinfo=JST), 30, date(2028, 3, 30)),  # aware on the leap day
        (datetime(2028, 2, 28, 8, 0, tzinfo=JST), 3, date(2028, 3, 2)),
        (datetime(2027, 2, 28, 8, 0, tzinfo=JST), 3, date(2027, 3, 3)),
        (datetime(2026, 12, 15, 8, 0, tzinfo=JST), 30, date(2027, 1, 14)),  # across the year end
        (datetime(2026, 11, 30, 8, 0, tzinfo=JST), 60, date(2027, 1, 29)),
        (datetime(2027, 12, 31, 8, 0, tzinfo=JST), 60, date(2028, 2, 29)),  # lands on a leap day
    ],
)
def test_period_end(aware: datetime, days: int, end: date) -> None:
    assert period_end(aware, days) == end


def test_awareness_is_taken_in_japan_time() -> None:
    # 2026-03-31 16:00 UTC is already 4/1 01:00 in Japan.
    assert period_end(datetime(2026, 3, 31, 16, 0, tzinfo=UTC), 30) == date(2026, 5, 1)
    assert period_end(datetime(2026, 3, 31, 14, 59, tzinfo=UTC), 30) == date(2026, 4, 30)


def test_naive_awareness_means_jst() -> None:
    assert period_end(datetime(2026, 4, 1, 23, 0), 30) == date(2026, 5, 1)


@settings(deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(JST)),
    st.integers(0, 366),
)
def test_period_is_the_awareness_date_plus_n_days(aware: datetime, days: int) -> None:
    end = period_end(aware, days)
    assert (end - aware.date()).days == days
    assert end.toordinal() - aware.date().toordinal() == days


@settings(deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(JST)),
    st.booleans(),
    st.integers(0, 10),
    st.integers(0, 10),
)
def test_deadlines_are_ordered(aware: datetime, improper: bool, due: int, extra: int) -> None:
    custom = DeadlineSettings(preliminary_due_days=due, preliminary_overdue_after_days=due + extra)
    d = deadlines_for(aware, improper, custom)
    assert d.aware_on == aware.date()
    assert d.preliminary <= d.preliminary_overdue_after < d.final_period_end <= d.final
    assert d.final_period_end == aware.date() + timedelta(days=60 if improper else 30)
    # 速報 is "速やかに", not a statutory period: calendar days, never moved for holidays.
    assert d.preliminary == aware.date() + timedelta(days=due)
    assert d.preliminary_overdue_after == aware.date() + timedelta(days=due + extra)


def test_settings_refuse_an_outer_limit_before_the_due_date() -> None:
    with pytest.raises(ValueError):
        DeadlineSettings(preliminary_due_days=5, preliminary_overdue_after_days=3)


def test_states_and_countdowns() -> None:
    aware = datetime(2026, 4, 1, 10, 0, tzinfo=JST)
    d = deadlines_for(aware, False, DeadlineSettings())

    def on(day: int, hour: int = 12) -> datetime:
        return datetime(2026, 4, day, hour, 0, tzinfo=JST)

    assert preliminary_state(d, on(4, 23), reported=False) is DeadlineState.open
    assert preliminary_state(d, on(5), reported=False) is DeadlineState.due_passed
    assert preliminary_state(d, on(6, 23), reported=False) is DeadlineState.due_passed
    assert preliminary_state(d, on(7, 0), reported=False) is DeadlineState.overdue
    assert preliminary_state(d, on(7, 0), reported=True) is DeadlineState.done
    assert days_left(d.final, on(1)) == 30
    assert days_left(d.final, datetime(2026, 5, 1, 23, 59, tzinfo=JST)) == 0
    assert final_state(d, datetime(2026, 5, 1, 23, 59, tzinfo=JST), reported=False) is DeadlineState.open
    assert final_state(d, datetime(2026, 5, 2, 0, 0, tzinfo=JST), reported=False) is DeadlineState.overdue


# --- 行政機関の休日に関する法律 2条 (issue 17 item 12) -----------------------------------------


@pytest.mark.parametrize(
    ("aware", "period_end_", "statutory", "recommended"),
    [
        # The period ends on a business day: nothing moves.
        (date(2026, 4, 1), date(2026, 5, 1), date(2026, 5, 1), date(2026, 5, 1)),
        # Ends on 5/3 (Sunday, 憲法記念日); 5/4–5/5 holidays, 5/6 振替休日 → Thursday 5/7; file by Friday 5/1.
        (date(2026, 4, 3), date(2026, 5, 3), date(2026, 5, 7), date(2026, 5, 1)),
        # Ends on a Saturday.
        (date(2026, 5, 2), date(2026, 6, 1), date(2026, 6, 1), date(2026, 6, 1)),
        (date(2026, 5, 7), date(2026, 6, 6), date(2026, 6, 8), date(2026, 6, 5)),
        # 12/29–1/3 and the weekend after: 2026-12-29 → Monday 2027-01-04; file by Monday 12/28.
        (date(2026, 11, 29), date(2026, 12, 29), date(2027, 1, 4), date(2026, 12, 28)),
        # A "citizens' holiday" between two holidays (2026-09-22), after 敬老の日 9/21 and a weekend.
        (date(2026, 8, 20), date(2026, 9, 19), date(2026, 9, 24), date(2026, 9, 18)),
    ],
)
def test_final_deadline_moves_past_administrative_holidays(
    aware: date, period_end_: date, statutory: date, recommended: date
) -> None:
    d = deadlines_for(
        datetime(aware.year, aware.month, aware.day, 10, 0, tzinfo=JST), False, DeadlineSettings()
    )
    assert (d.final_period_end, d.final, d.final_recommended) == (period_end_, statutory, recommended)


def test_the_60_day_period_moves_too() -> None:
    # 2026-03-04 + 60 days = 2026-05-03 (Sunday, 憲法記念日) → 2026-05-07.
    d = deadlines_for(datetime(2026, 3, 4, 10, 0, tzinfo=JST), True, DeadlineSettings())
    assert (d.final_days, d.final_period_end, d.final, d.final_recommended) == (
        60, date(2026, 5, 3), date(2026, 5, 7), date(2026, 5, 1),
    )  # fmt: skip


def test_the_calendar_is_injectable() -> None:
    d = deadlines_for(
        datetime(2026, 4, 3, 10, 0, tzinfo=JST), False, DeadlineSettings(), calendar=lambda _: False
    )
    assert d.final == d.final_recommended == d.final_period_end == date(2026, 5, 3)


def test_incidents_saved_before_the_holiday_rule_are_read_with_it() -> None:
    old = {"aware_on": "2026-04-03", "preliminary": "2026-04-06", "preliminary_overdue_after": "2026-04-08",
           "final": "2026-05-03", "final_days": 30}  # fmt: skip
    d = Deadlines.model_validate(old)
    assert (d.final_period_end, d.final, d.final_recommended) == (
        date(2026, 5, 3),
        date(2026, 5, 7),
        date(2026, 5, 1),
    )
    assert Deadlines.model_validate_json(d.model_dump_json()) == d


@settings(deadline=None, max_examples=300)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(JST)),
    st.booleans(),
)
def test_statutory_and_recommended_days_bracket_the_period_end(aware: datetime, improper: bool) -> None:
    d = deadlines_for(aware, improper, DeadlineSettings())
    end = d.final_period_end
    assert not is_administrative_holiday(d.final) and not is_administrative_holiday(d.final_recommended)
    assert d.final_recommended <= end <= d.final
    # Every day skipped on either side is a 行政機関の休日: the statutory day is the *next* business
    # day, the recommended one the *last* business day on or before the period's end.
    day = end
    while day < d.final:
        assert is_administrative_holiday(day)
        day += timedelta(days=1)
    day = end
    while day > d.final_recommended:
        assert is_administrative_holiday(day)
        day -= timedelta(days=1)
    if not is_administrative_holiday(end):
        assert d.final == d.final_recommended == end
    # Runs of 行政機関の休日 are short: the longest is a Golden Week such as 2019's (4/27–5/6, ten
    # days), so the statutory and recommended days lie at most 11 days apart.
    assert (d.final - d.final_recommended).days <= 11


@settings(deadline=None, max_examples=300)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_administrative_holidays_include_weekends_and_the_year_end(day: date) -> None:
    if day.weekday() >= 5 or (day.month, day.day) in {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}:
        assert is_administrative_holiday(day)
    if is_national_holiday(day):
        assert is_administrative_holiday(day)
