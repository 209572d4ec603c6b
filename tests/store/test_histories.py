"""The one reader of consent histories (`services.histories`): one person, and everyone in chunks,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from hogo.domain.consent import (
    ConsentAction,
    ConsentEvent,
    ConsentMethod,
    ExceptionGround,
    LegalException,
    SubjectHistory,
)
from hogo.errors import NotFound
from hogo.services.consent import record_events, record_exception
from hogo.services.histories import histories, history
from hogo.services.policy import apply_policy
from hogo.services.subjects import get_subject, upsert_subjects
from hogo.store.database import write_scope
from hogo.store.tables import ConsentEventRow, LegalExceptionRow
from tests.factories import at, person, policy
from tests.factories import event as consent_event

IDS = ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]


def _seed(engine: Engine) -> None:
    """Seven persons: with and without events, exceptions, birth dates and identity checks."""
    with write_scope(engine) as s:
        apply_policy(s, policy())
        upsert_subjects(
            s,
            [
                person("S1"),
                person("S2", birth=None, verified=False),
                person("S3", birth=date(2012, 3, 4)),
                person("S4"),
                person("S5"),
                person("S6"),
                person("S7"),
            ],
        )
        record_events(
            s,
            [
                consent_event("S1", when="2022-01-01T10:00"),
                consent_event("S1", action="withdraw", when="2023-01-01T10:00"),
                consent_event("S1", purpose="*", terms_version="2021-07", when="2023-02-01T10:00"),
                consent_event(
                    "S3",
                    purpose="profiling",
                    terms_version="2020-04",
                    method=ConsentMethod.paper,
                    evidence="sha256:abc",
                    guardian_name="保護者 花子",
                    guardian_relation="母",
                ),
                consent_event("S4", purpose="overseas", foreign_transfer_info_given=True),
                consent_event("S4", purpose="service", action=ConsentAction.object, when="2022-01-01T10:00"),
                consent_event("S6", purpose="profiling", action="deny", when="2021-05-05T05:05"),
            ],
        )
        for n, (sid, ground) in enumerate(
            [
                ("S5", ExceptionGround.laws),
                ("S5", ExceptionGround.life_body_property),
                ("S7", ExceptionGround.laws),
            ]
        ):
            record_exception(
                s,
                LegalException(
                    exception_id=f"x-{n}",
                    subject_id=sid,
                    purpose_id="health_share",
                    recipient_id="broker" if n == 1 else None,
                    ground=ground,
                    recorded_at=at(f"2023-0{n + 1}-01T00:00"),
                    valid_until=at("2030-01-01T00:00") if n == 0 else None,
                    note="test",
                ),
            )


def validated_history(session: Session, subject_id: str) -> SubjectHistory:
    """What the ORM reads back, validated afresh as domain models: the lean reader must build the same."""
    e, x = ConsentEventRow, LegalExceptionRow
    events = session.scalars(select(e).where(e.subject_id == subject_id).order_by(e.collected_at, e.event_id))
    exceptions = session.scalars(
        select(x).where(x.subject_id == subject_id).order_by(x.recorded_at, x.exception_id)
    )
    return SubjectHistory(
        subject=get_subject(session, subject_id),
        events=tuple(
            ConsentEvent.model_validate({k: getattr(r, k) for k in ConsentEvent.model_fields}) for r in events
        ),
        exceptions=tuple(
            LegalException.model_validate({k: getattr(r, k) for k in LegalException.model_fields})
            for r in exceptions
        ),
    )


def test_the_lean_reading_is_what_validation_gives(store: Engine) -> None:
    _seed(store)
    with write_scope(store) as s:
        for sid in IDS:
            assert history(s, sid) == validated_history(s, sid), sid
        assert [x.exception_id for x in history(s, "S5").exceptions] == ["x-0", "x-1"]
        assert history(s, "S3").events[0].guardian_relation == "母"


@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
def test_the_bulk_form_reads_everyone_as_the_single_form_does(store: Engine, chunk: int) -> None:
    _seed(store)
    with write_scope(store) as s:
        assert list(histories(s, chunk=chunk)) == [history(s, sid) for sid in IDS]


def test_the_bulk_form_reads_one_chunk_at_a_time(store: Engine) -> None:
    """Three statements per chunk (persons, their events, their exceptions), issued as it is consumed."""
    _seed(store)
    statements: list[str] = []

    def count(*args: Any) -> None:
        if not args[2].startswith("BEGIN"):  # the unit of work's own BEGIN (IMMEDIATE on SQLite)
            statements.append(args[2])

    event.listen(store, "before_cursor_execute", count)
    try:
        with write_scope(store) as s:
            read = histories(s, chunk=3)
            first = next(read)
            assert first.subject.subject_id == "S1" and len(statements) == 3
            rest = list(read)
    finally:
        event.remove(store, "before_cursor_execute", count)
    assert [h.subject.subject_id for h in rest] == IDS[1:]
    assert len(statements) == 3 * 3 + 1  # pages of 3, 3 and 1 person(s), then an empty page


def test_unknown_and_impossible_ids_are_not_found(store: Engine) -> None:
    _seed(store)
    with write_scope(store) as s:
        for sid in ("S9", "S\x001", ""):  # NUL is never sent to the store (PostgreSQL refuses it)
            with pytest.raises(NotFound):
                history(s, sid)


def test_an_empty_store_has_no_histories(store: Engine) -> None:
    with write_scope(store) as s:
        assert list(histories(s)) == []
