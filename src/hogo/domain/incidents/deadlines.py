"""Deadlines for the reports to the PPC (規則8条), counted as the Civil Code counts periods.

Periods run in calendar days, weekends and holidays included, from the business's awareness of
the incident. Under 民法140条 the day of awareness itself is not counted, so a period of N days
ends at the end of (awareness date in JST + N days): awareness on 4/1 gives a 30-day deadline at
the end of 5/1. Month ends and leap days need no special case because the count is in days.

The final-report periods (30 days, 60 days for 規則7条3号) are the rule's own; the preliminary
report is due "promptly" (速やかに), which the PPC guidance reads as about 3–5 days, so the two
figures for it are settings.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hogo.domain.clock import to_jst

#: 規則8条2項: the final report (確報) within 30 days, 60 days for a 規則7条3号 case.
FINAL_REPORT_DAYS = 30
FINAL_REPORT_DAYS_IMPROPER_PURPOSE = 60


class DeadlineSettings(BaseModel):
    """The two figures that interpret 速やかに for the preliminary report (速報, 規則8条1項)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    preliminary_due_days: int = Field(default=3, ge=0, le=60)
    preliminary_overdue_after_days: int = Field(default=5, ge=0, le=60)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.preliminary_overdue_after_days < self.preliminary_due_days:
            raise ValueError("preliminary_overdue_after_days must not be before preliminary_due_days")
        return self


class Deadlines(BaseModel):
    """Dates are inclusive: the report is on time if made by the end of that day (JST)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aware_on: date
    preliminary: date
    preliminary_overdue_after: date
    final: date
    final_days: int


def period_end(aware_at: datetime, days: int) -> date:
    """Last day of a period of `days` days from `aware_at` (the first day not counted, 民法140条)."""
    if days < 0:
        raise ValueError("a period has a non-negative number of days")
    return to_jst(aware_at).date() + timedelta(days=days)


def deadlines_for(aware_at: datetime, improper_purpose: bool, settings: DeadlineSettings) -> Deadlines:
    final_days = FINAL_REPORT_DAYS_IMPROPER_PURPOSE if improper_purpose else FINAL_REPORT_DAYS
    return Deadlines(
        aware_on=to_jst(aware_at).date(),
        preliminary=period_end(aware_at, settings.preliminary_due_days),
        preliminary_overdue_after=period_end(aware_at, settings.preliminary_overdue_after_days),
        final=period_end(aware_at, final_days),
        final_days=final_days,
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
