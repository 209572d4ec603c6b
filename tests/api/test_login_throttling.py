"""Log-in throttling slows guessing without letting a stranger lock the owner out (issue 10.6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hogo.auth.roles import Role
from hogo.domain.ledger import EntryKind
from hogo.services import auth, ledger
from hogo.services.auth import AuthenticationFailed, LoggedIn, LoginLimits, TooManyAttempts
from hogo.store.auth import UserRow
from hogo.store.database import write_scope
from tests.concurrently import overlapping

PASSWORD = "correct horse battery staple"
LIMITS = LoginLimits(per_account=20, per_client=20, window=timedelta(minutes=15), before_delay=5)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _try(store: Engine, client: str, at: datetime, password: str = "wrong password!!") -> LoggedIn:
    """One attempt in its own transaction, as a request would make it (failures are kept)."""
    with write_scope(store) as session:
        try:
            return auth.login(session, "hanako", password, client, LIMITS, timedelta(hours=1), now=at)
        except AuthenticationFailed:
            session.commit()
            raise


def _fail(store: Engine, client: str, at: datetime) -> None:
    with pytest.raises(AuthenticationFailed):
        _try(store, client, at)


def _user(store: Engine) -> int:
    with write_scope(store) as session:
        return auth.create_user(session, "hanako", PASSWORD, Role.privacy_officer).id


def test_strangers_cannot_lock_the_owner_out_of_a_known_address(store: Engine) -> None:
    _user(store)
    _try(store, "192.0.2.10", T0 - timedelta(days=3), PASSWORD)  # the owner's usual address
    # Thirty addresses each guess a little: far past the account's ceiling of twenty.
    for n in range(30):
        with pytest.raises((AuthenticationFailed, TooManyAttempts)):
            _try(store, f"198.51.100.{n}", T0 + timedelta(seconds=n))
    at = T0 + timedelta(seconds=31)
    # A new address is slowed down now, even with the right password ...
    with pytest.raises(TooManyAttempts) as slowed:
        _try(store, "203.0.113.7", at, PASSWORD)
    assert slowed.value.retry_after > 0
    # ... but the owner, from where they logged in before, gets in at once.
    assert _try(store, "192.0.2.10", at, PASSWORD).principal.name == "hanako"


def test_attempts_sent_at_once_do_not_slip_past_the_delay(store: Engine) -> None:
    """Two attempts on one account at once must not both count the failures before the other's
    (PostgreSQL runs them side by side): the one that makes the fifth failure delays the next."""
    _user(store)
    for n in range(LIMITS.before_delay - 1):
        _fail(store, "198.51.100.9", T0 + timedelta(seconds=n))
    at = T0 + timedelta(seconds=10)

    def fifth(session: Session) -> str:
        with pytest.raises(AuthenticationFailed):
            auth.login(
                session, "hanako", "wrong password!!", "198.51.100.9", LIMITS, timedelta(hours=1), now=at
            )
        return "failed"

    def sixth() -> str:
        try:
            _try(store, "198.51.100.9", at)
        except (AuthenticationFailed, TooManyAttempts) as exc:
            return type(exc).__name__
        return "logged in"

    assert overlapping(store, fifth, sixth) == ("failed", "TooManyAttempts")


def test_attempts_from_one_address_on_other_accounts_at_once_keep_to_its_limit(store: Engine) -> None:
    """The address's own ceiling (`per_client`) counts failures on every account, existing or not;
    two attempts at once on two other accounts must not both count without the other's."""

    def attempt(session: Session, username: str) -> None:
        auth.login(session, username, "wrong password!!", "198.51.100.77", LIMITS, timedelta(hours=1), now=at)

    for n in range(LIMITS.per_client - 1):
        with write_scope(store) as session, pytest.raises(AuthenticationFailed):
            attempt_at = T0 + timedelta(seconds=n)
            auth.login(
                session, f"nobody{n}", "x" * 16, "198.51.100.77", LIMITS, timedelta(hours=1), now=attempt_at
            )
    at = T0 + timedelta(seconds=30)

    def last_allowed(session: Session) -> str:
        with pytest.raises(AuthenticationFailed):
            attempt(session, "ghost-a")
        return "failed"

    def next_one() -> str:
        with write_scope(store) as session:
            try:
                attempt(session, "ghost-b")
            except (AuthenticationFailed, TooManyAttempts) as exc:
                return type(exc).__name__
        return "logged in"

    assert overlapping(store, last_allowed, next_one) == ("failed", "TooManyAttempts")


def test_a_deactivation_during_a_log_in_does_not_deadlock(store: Engine) -> None:
    """A log-in locks the user's row and may then append to the ledger (a throttling entry); a
    deactivation meanwhile must wait for the row before it takes the ledger's head."""
    user_id = _user(store)

    def log_in(session: Session) -> None:  # what `login` holds once it has read the account
        session.scalar(select(UserRow).where(UserRow.id == user_id).with_for_update())

    def deactivate() -> bool:
        with write_scope(store) as session:
            return auth.set_active(session, user_id, False).active

    def throttled(session: Session) -> None:  # what `login` appends at a limit
        ledger.append(session, EntryKind.access, f"user:{user_id}", {"change": "login_throttled"})

    assert overlapping(store, log_in, deactivate, throttled) == (None, False)


def test_one_address_waits_longer_after_each_failure(store: Engine) -> None:
    _user(store)
    for n in range(5):
        _fail(store, "198.51.100.1", T0 + timedelta(seconds=n))
    last = T0 + timedelta(seconds=4)
    with pytest.raises(TooManyAttempts) as wait:
        _try(store, "198.51.100.1", last + timedelta(seconds=10), PASSWORD)
    assert wait.value.retry_after == 20
    # Another address is not held up by this one's failures.
    assert _try(store, "192.0.2.10", last + timedelta(seconds=10), PASSWORD).principal.name == "hanako"
    _fail(store, "198.51.100.1", last + timedelta(seconds=30))  # the first delay (30 s) is over
    with pytest.raises(TooManyAttempts) as longer:
        _try(store, "198.51.100.1", last + timedelta(seconds=31), PASSWORD)
    assert longer.value.retry_after == 59  # doubled to 60 s after the sixth failure
    assert _try(store, "198.51.100.1", last + timedelta(seconds=90), PASSWORD).principal.name == "hanako"


def test_an_address_guessing_many_accounts_waits_for_the_window(store: Engine) -> None:
    _user(store)
    limits = LoginLimits(per_account=20, per_client=3, window=timedelta(minutes=15))
    for n in range(3):
        with write_scope(store) as session, pytest.raises(AuthenticationFailed):
            auth.login(session, f"user{n}", "x" * 12, "198.51.100.9", limits, timedelta(hours=1), now=T0)
    with write_scope(store) as session, pytest.raises(TooManyAttempts) as wait:
        auth.login(session, "hanako", PASSWORD, "198.51.100.9", limits, timedelta(hours=1), now=T0)
    assert wait.value.retry_after == 900


def test_throttling_is_on_the_record_with_ids_and_roles_only(store: Engine) -> None:
    user_id = _user(store)
    for n in range(5):
        _fail(store, "198.51.100.1", T0 + timedelta(minutes=n))
    for n in range(15):
        _fail(store, f"203.0.113.{n}", T0 + timedelta(minutes=5, seconds=n))
    with write_scope(store) as session:
        changes = [
            json.loads(e[4])
            for e in ledger.iter_rows(session)
            if e[1] == "access" and e[2] == f"user:{user_id}"
        ]
        throttled = [c for c in changes if c["change"] == "login_throttled"]
        assert throttled == [
            {"change": "login_throttled", "scope": "address", "role": "privacy_officer", "failures": 5},
            {"change": "login_throttled", "scope": "account", "role": "privacy_officer", "failures": 20},
        ]
        text = json.dumps(changes)
        assert "hanako" not in text and "198.51" not in text and "203.0" not in text
        assert ledger.verify_ledger(session).ok
