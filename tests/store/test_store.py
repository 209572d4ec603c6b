"""The store and its services, over a real connection to SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text

from hogo.domain.consent import ConsentAction
from hogo.errors import Conflict, InputError
from hogo.services import ledger
from hogo.services.consent import check, record_events
from hogo.services.histories import history
from hogo.services.policy import apply_policy, current_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from hogo.store.tables import ConsentEventRow, LedgerEntryRow, SubjectRow
from tests.factories import POLICY, at, event, person, policy


def _seed(engine: Engine) -> None:
    with write_scope(engine) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person("S1"), person("S2", verified=False)])


def test_policy_apply_is_idempotent_and_diffed(store: Engine) -> None:
    with write_scope(store) as s:
        first = apply_policy(s, policy())
        again = apply_policy(s, policy())
    assert first.changed and first.revision == 1 and "purposes" in first.added
    assert not again.changed and again.revision == 1
    changed_terms = [
        *POLICY["terms"],
        {"version": "2024-01", "effective_from": "2024-01-01", "purposes": ["service"]},
    ]
    with write_scope(store) as s:
        change = apply_policy(s, policy(terms=changed_terms))
        assert change.revision == 2 and change.added == {"terms": ["2024-01"]}
        assert current_policy(s) == policy(terms=changed_terms)
        assert ledger.verify_ledger(s).entries == 2


def test_events_are_recorded_once_and_decided(store: Engine) -> None:
    _seed(store)
    evs = [event("S1", when="2022-01-01T10:00"), event("S1", action="withdraw", when="2023-01-01T10:00")]
    with write_scope(store) as s:
        assert record_events(s, evs).recorded == 2
    with write_scope(store) as s:
        again = record_events(s, evs)
        assert (again.recorded, again.already_present) == (0, 2)
        assert check(s, "S1", "ad_partners", at("2022-06-01T00:00")).allowed
        late = check(s, "S1", "ad_partners", at("2024-01-01T00:00"))
        assert not late.allowed and late.reasons[0].code == "CONSENT_WITHDRAWN"
        assert [e.event_id for e in history(s, "S1").events] == [e.event_id for e in evs]
        assert history(s, "S1").events[0].collected_at == evs[0].collected_at


def test_a_changed_event_under_a_known_id_is_refused_and_nothing_is_written(store: Engine) -> None:
    _seed(store)
    original = event("S1")
    with write_scope(store) as s:
        record_events(s, [original])
    tampered = original.model_copy(update={"action": ConsentAction.deny})
    with pytest.raises(Conflict), write_scope(store) as s:
        record_events(s, [event("S2"), tampered])
    with write_scope(store) as s:
        assert s.scalar(select(func.count()).select_from(ConsentEventRow)) == 1
        assert ledger.verify_ledger(s).ok


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose_id": "nope"}, "purpose_id"),
        ({"terms_version": "1999-01"}, "terms_version"),
        ({"subject_id": "S9"}, "subject_id"),
    ],
)
def test_unknown_references_are_input_errors(store: Engine, change: dict[str, str], field: str) -> None:
    _seed(store)
    with pytest.raises(InputError) as info, write_scope(store) as s:
        record_events(s, [event("S1"), event("S1").model_copy(update=change)], rows=[2, 3])
    assert info.value.row == 3 and info.value.field == field
    with write_scope(store) as s:
        assert s.scalar(select(func.count()).select_from(ConsentEventRow)) == 0


def test_subject_reimport_changes_nothing(store: Engine) -> None:
    _seed(store)
    with write_scope(store) as s:
        before = s.scalar(select(func.count()).select_from(LedgerEntryRow))
        changes = upsert_subjects(s, [person("S1"), person("S2", verified=False)])
        assert (changes.added, changes.updated, changes.unchanged) == (0, 0, 2)
        assert s.scalar(select(func.count()).select_from(LedgerEntryRow)) == before
        changes = upsert_subjects(s, [person("S2", verified=True)])
        assert changes.updated == 1
        assert s.get_one(SubjectRow, "S2").identity_verified


def test_rows_written_by_the_drivers_fast_path_fail_as_sqlalchemys_statements_do(store: Engine) -> None:
    """`store.bulk.write_rows` bypasses SQLAlchemy's execution, not its errors: a duplicate key
    is an IntegrityError (a lock timeout a DBAPIError that `is_busy` reads), without the values."""
    from sqlalchemy.exc import IntegrityError

    from hogo.store.bulk import write_rows

    with store.connect() as conn:
        write_rows(conn, "ledger_tallies", ("name", "rows", "digest"), [("@test", 1, "0" * 64)])
        with pytest.raises(IntegrityError) as raised:
            write_rows(conn, "ledger_tallies", ("name", "rows", "digest"), [("@test", 2, "secret-value")])
        assert "secret-value" not in str(raised.value)
        conn.rollback()


def test_rows_written_many_to_a_statement_arrive_whole_and_in_order(store: Engine) -> None:
    """SQLite writes `write_rows`'s rows many to a statement and the rest one by one: every row
    arrives with its own values, whatever the count; a row of the wrong width writes nothing."""
    from sqlalchemy.exc import DBAPIError

    from hogo.store.bulk import write_rows

    columns = ("name", "rows", "digest")
    rows = [(f"@t{i:04d}", i, f"{i:064x}") for i in range(2 * 333 + 5)]  # 333 rows of 3 a statement
    mine = text("SELECT name, rows, digest FROM ledger_tallies WHERE name LIKE :p ORDER BY name")
    with store.connect() as conn:
        write_rows(conn, "ledger_tallies", columns, iter(rows))
        assert [tuple(r) for r in conn.execute(mine, {"p": "@t%"})] == rows
        with pytest.raises(DBAPIError):
            write_rows(conn, "ledger_tallies", columns, [("@u1", 1, "0" * 64), ("@u2", 2)])
        if store.dialect.name == "sqlite":  # a failed COPY aborts PostgreSQL's transaction anyway
            assert conn.execute(mine, {"p": "@u%"}).all() == []
        conn.rollback()
