"""Deadline arithmetic: calendar days, the day of awareness not counted (民法140条), JST dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain.clock import JST
from hogo.domain.incidents.deadlines import (
    DeadlineSettings,
    DeadlineState,
    days_left,
    deadlines_for,
    final_state,
    period_end,
    preliminary_state,
)


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
    assert d.preliminary <= d.preliminary_overdue_after < d.final
    assert d.final == aware.date() + timedelta(days=60 if improper else 30)


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
