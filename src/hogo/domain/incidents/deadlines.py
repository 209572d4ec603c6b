"""Deadlines for the reports to the PPC (規則8条), counted as the Civil Code counts periods.

Periods run in calendar days, weekends and holidays included, from the business's awareness of
the incident. Under 民法140条 the day of awareness itself is not counted, so a period of N days
ends at the end of (awareness date in JST + N days): awareness on 4/1 gives a 30-day deadline at
the end of 5/1. Month ends and leap days need no special case because the count is in days.

The final-report periods (30 days, 60 days for 規則7条3号) are the rule's own. A report to the PPC
is a filing with an administrative organ, so under 行政機関の休日に関する法律 2条 a final-report
period that ends on a 行政機関の休日 ends on the next day that is not one (`final`, the statutory
last day); `final_recommended` is the last business day on or before the period's own end, the
safe day to file. The preliminary report is due "promptly" (速やかに), which the PPC guidance
reads as about 3–5 days: that is not a statutory period, so its two figures are settings counted
in calendar days and never moved.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from hogo.domain.clock import to_jst
from hogo.domain.incidents.gov_calendar import (
    HolidayCalendar,
    is_administrative_holiday,
    last_business_day_by,
    statutory_last_day,
)
from hogo.domain.model import Frozen

#: 規則8条2項: the final report (確報) within 30 days, 60 days for a 規則7条3号 case.
FINAL_REPORT_DAYS = 30
FINAL_REPORT_DAYS_IMPROPER_PURPOSE = 60


class DeadlineSettings(Frozen):
    """The two figures that interpret 速やかに for the preliminary report (速報, 規則8条1項)."""

    preliminary_due_days: int = Field(default=3, ge=0, le=60)
    preliminary_overdue_after_days: int = Field(default=5, ge=0, le=60)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.preliminary_overdue_after_days < self.preliminary_due_days:
            raise ValueError("preliminary_overdue_after_days must not be before preliminary_due_days")
        return self


class Deadlines(Frozen):
    """Dates are inclusive: the report is on time if made by the end of that day (JST).

    `final` is the statutory last day of the final report (moved past 行政機関の休日, 法2条);
    `final_period_end` the period's own last day; `final_recommended` the last business day on or
    before it. `preliminary*` are calendar days (速やかに is not a period; never moved).
    """

    aware_on: date
    preliminary: date
    preliminary_overdue_after: date
    final: date
    final_days: int
    final_period_end: date
    final_recommended: date

    @model_validator(mode="before")
    @classmethod
    def _from_before_the_holiday_rule(cls, data: object) -> object:
        """Incidents saved before the 行政機関の休日 rule stored the period's end as `final`."""
        if isinstance(data, dict) and "final_period_end" not in data and "final" in data:
            end = data["final"] if isinstance(data["final"], date) else date.fromisoformat(str(data["final"]))
            data = {
                **data,
                "final_period_end": end,
                "final": statutory_last_day(end),
                "final_recommended": last_business_day_by(end),
            }
        return data


def period_end(aware_at: datetime, days: int) -> date:
    """Last day of a period of `days` days from `aware_at` (the first day not counted, 民法140条)."""
    if days < 0:
        raise ValueError("a period has a non-negative number of days")
    return to_jst(aware_at).date() + timedelta(days=days)


def deadlines_for(
    aware_at: datetime,
    improper_purpose: bool,
    settings: DeadlineSettings,
    calendar: HolidayCalendar = is_administrative_holiday,
) -> Deadlines:
    final_days = FINAL_REPORT_DAYS_IMPROPER_PURPOSE if improper_purpose else FINAL_REPORT_DAYS
    end = period_end(aware_at, final_days)
    return Deadlines(
        aware_on=to_jst(aware_at).date(),
        preliminary=period_end(aware_at, settings.preliminary_due_days),
        preliminary_overdue_after=period_end(aware_at, settings.preliminary_overdue_after_days),
        final=statutory_last_day(end, calendar),
        final_days=final_days,
        final_period_end=end,
        final_recommended=last_business_day_by(end, calendar),
    )


class DeadlineState(StrEnum):
    open = "open"  # still within the period
    due_passed = "due_passed"  # past the due date, not yet past the outer limit (速報 only)
    overdue = "overdue"
    done = "done"


def days_left(deadline: date, now: datetime) -> int:
    """Whole days from today (JST) to the deadline; 0 on the last day, negative once passed."""
    return (deadline - to_jst(now).date()).days


def preliminary_state(deadlines: Deadlines, now: datetime, reported: bool) -> DeadlineState:
    if reported:
        return DeadlineState.done
    today = to_jst(now).date()
    if today > deadlines.preliminary_overdue_after:
        return DeadlineState.overdue
    if today > deadlines.preliminary:
        return DeadlineState.due_passed
    return DeadlineState.open


def final_state(deadlines: Deadlines, now: datetime, reported: bool) -> DeadlineState:
    if reported:
        return DeadlineState.done
    return DeadlineState.overdue if to_jst(now).date() > deadlines.final else DeadlineState.open
