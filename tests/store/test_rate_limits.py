"""The consent notice's budgets are counted in the store (issue 15): they hold across server
processes, a refused call uses nothing up, a new minute starts afresh and old minutes go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from hogo.services.rate_limits import Budget, RateLimited, spend
from hogo.store.database import make_db, read_scope, write_scope
from hogo.store.sites import RateWindowRow

SECRET = "rate-test-secret-0123456789abcdefghijklmnop"
PER_SITE = Budget("embed-site", 3)
PER_PERSON = Budget("embed-person", 2)
T0 = datetime(2026, 12, 7, 5, 0, 10, tzinfo=UTC)


def _spend(db: Engine, person: str, at: datetime = T0) -> None:
    with write_scope(db) as s:
        spend(s, [(PER_SITE, "shop"), (PER_PERSON, f"shop\x1f{person}")], secret_key=SECRET, now=at)


def test_budgets_hold_across_processes_and_refusals_use_nothing_up(store: Engine) -> None:
    other = make_db(store.url.render_as_string(hide_password=False))  # a second server process
    try:
        _spend(store, "M1")
        _spend(other, "M1")
        with pytest.raises(RateLimited) as person_spent:
            _spend(store, "M1")  # the person's third call this minute, whichever process serves it
        assert person_spent.value.retry_after == 50  # the rest of the minute
        _spend(other, "M2")  # the refused call above was not counted against the site
        with pytest.raises(RateLimited):
            _spend(store, "M3")  # the site's fourth
        with read_scope(store) as s:
            rows = {(r.minute, r.hits) for r in s.execute(select(RateWindowRow)).scalars()}
            keys = s.execute(select(RateWindowRow.key)).scalars().all()
        assert rows == {
            (int(T0.timestamp()) // 60, 3),
            (int(T0.timestamp()) // 60, 2),
            (int(T0.timestamp()) // 60, 1),
        }
        assert not any("M1" in k or "shop" in k for k in keys)  # keyed: no person's id is stored
    finally:
        other.dispose()


def test_a_new_minute_starts_afresh_and_earlier_minutes_are_deleted(store: Engine) -> None:
    for person in ("M1", "M2", "M3"):
        _spend(store, person)
    later = T0 + timedelta(minutes=1)
    _spend(store, "M4", later)
    with read_scope(store) as s:
        minutes = set(s.execute(select(RateWindowRow.minute)).scalars())
        count = s.execute(select(func.count()).select_from(RateWindowRow)).scalar_one()
    assert minutes == {int(later.timestamp()) // 60} and count == 2
