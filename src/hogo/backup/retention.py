"""Which generations to keep: the newest few, then one per day, week and month back in time.

Ransomware can sit unnoticed for weeks; generations spread over months give a clean copy from
before the infection, while daily ones keep recent work. Pure: it decides, the caller deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime

from pydantic import Field

from hogo.domain.model import Frozen


class RetentionPolicy(Frozen):
    keep_last: int = Field(default=7, ge=1)  # never below one: the newest generation always stays
    keep_daily: int = Field(default=14, ge=0)
    keep_weekly: int = Field(default=8, ge=0)
    keep_monthly: int = Field(default=24, ge=0)


def _bucketed(ordered: list[datetime], count: int, bucket: Callable[[datetime], Hashable]) -> set[datetime]:
    """The newest generation of each of the `count` most recent buckets."""
    kept: set[datetime] = set()
    seen: set[Hashable] = set()
    for t in ordered:
        if len(seen) >= count:
            break
        b = bucket(t)
        if b not in seen:
            seen.add(b)
            kept.add(t)
    return kept


def select_kept(created: Iterable[datetime], policy: RetentionPolicy) -> set[datetime]:
    ordered = sorted(set(created), reverse=True)
    kept = set(ordered[: policy.keep_last])
    kept |= _bucketed(ordered, policy.keep_daily, lambda t: t.date())
    kept |= _bucketed(ordered, policy.keep_weekly, lambda t: t.isocalendar()[:2])
    kept |= _bucketed(ordered, policy.keep_monthly, lambda t: (t.year, t.month))
    return kept
