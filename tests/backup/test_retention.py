"""Retention: the newest generations, then one per day, week and month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hogo.backup.retention import RetentionPolicy, select_kept

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_daily_backups_for_a_year() -> None:
    created = [T0 + timedelta(days=d, hours=2) for d in range(365)]
    kept = select_kept(created, RetentionPolicy(keep_last=3, keep_daily=7, keep_weekly=4, keep_monthly=12))
    newest = max(created)
    assert newest in kept
    assert all(newest - t < timedelta(days=7) for t in sorted(kept)[-7:])
    months = {(t.year, t.month) for t in kept}
    assert len(months) == 12  # one generation per month reaches back a year
    assert len(kept) <= 3 + 7 + 4 + 12


policies = st.builds(
    RetentionPolicy,
    keep_last=st.integers(1, 5),
    keep_daily=st.integers(0, 5),
    keep_weekly=st.integers(0, 5),
    keep_monthly=st.integers(0, 5),
)
times = st.lists(st.integers(0, 400 * 24).map(lambda h: T0 + timedelta(hours=h)), min_size=1, max_size=60)


@given(times, policies)
def test_properties(created: list[datetime], policy: RetentionPolicy) -> None:
    kept = select_kept(created, policy)
    assert kept <= set(created)
    assert max(created) in kept
    limit = policy.keep_last + policy.keep_daily + policy.keep_weekly + policy.keep_monthly
    assert len(kept) <= limit
    assert select_kept(kept, policy) == kept  # pruning twice removes nothing more
    assert len(kept) >= min(len(set(created)), policy.keep_last)
