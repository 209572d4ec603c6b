"""A person's consent history: the one reader, for one person and for everyone in chunks.

Every decision reads what it looks at (the person's birth date and identity check, consent
events, recorded legal exceptions) here, so the CLI, the API, the console and the dashboard
counts see the same history. Rows are read as plain columns and built without a second
validation: they were validated as domain models when they were recorded, and on the consent
check's hot path the ORM's identity map and re-validation would cost more than the decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from itertools import groupby
from operator import attrgetter
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from hogo.domain.consent import (
    ConsentAction,
    ConsentEvent,
    ConsentMethod,
    ExceptionGround,
    LegalException,
    Subject,
    SubjectHistory,
)
from hogo.domain.ids import is_record_id
from hogo.errors import NotFound
from hogo.store.tables import ConsentEventRow, LegalExceptionRow, SubjectRow

_M = TypeVar("_M", bound=BaseModel)

#: Persons read per round trip by `histories`: their events and exceptions are held at once.
CHUNK = 2_000

_S, _E, _X = SubjectRow, ConsentEventRow, LegalExceptionRow


def _columns(table: Any, model: type[BaseModel]) -> list[Any]:
    """The table's columns named as the model's fields: the rows read back what was recorded."""
    return [getattr(table, name) for name in model.model_fields]


# Statements are built once: constructing a SELECT costs more than running it on the check path.
_SUBJECT = select(*_columns(_S, Subject)).where(_S.subject_id == bindparam("sid"))
_EVENTS = (
    select(*_columns(_E, ConsentEvent))
    .where(_E.subject_id == bindparam("sid"))
    .order_by(_E.collected_at, _E.event_id)
)
#: Exceptions in the order they were recorded: a decision cites the first one that applies.
_EXCEPTIONS = (
    select(*_columns(_X, LegalException))
    .where(_X.subject_id == bindparam("sid"))
    .order_by(_X.recorded_at, _X.exception_id)
)

# The bulk form: a page of persons after a key, then the events and exceptions of that id range.
_SUBJECT_PAGE = (
    select(*_columns(_S, Subject))
    .where(_S.subject_id > bindparam("after"))
    .order_by(_S.subject_id)
    .limit(bindparam("n"))
)
_EVENTS_RANGE = (
    select(*_columns(_E, ConsentEvent))
    .where(_E.subject_id.between(bindparam("lo"), bindparam("hi")))
    .order_by(_E.subject_id, _E.collected_at, _E.event_id)
)
_EXCEPTIONS_RANGE = (
    select(*_columns(_X, LegalException))
    .where(_X.subject_id.between(bindparam("lo"), bindparam("hi")))
    .order_by(_X.subject_id, _X.recorded_at, _X.exception_id)
)


def _lean(model: type[_M], row: Row[Any], **enums: type[StrEnum]) -> _M:
    """A domain value from a row of `_columns(…, model)`, without a second validation; only the
    enums stored as text are restored."""
    values = row._asdict()
    for name, kind in enums.items():
        values[name] = kind(values[name])
    return model.model_construct(**values)


def _history(subject: Row[Any], events: Iterable[Row[Any]], exceptions: Iterable[Row[Any]]) -> SubjectHistory:
    return SubjectHistory.model_construct(
        subject=_lean(Subject, subject),
        events=tuple(_lean(ConsentEvent, r, action=ConsentAction, method=ConsentMethod) for r in events),
        exceptions=tuple(_lean(LegalException, r, ground=ExceptionGround) for r in exceptions),
    )


def history(session: Session, subject_id: str) -> SubjectHistory:
    """One person's history, events in the order they were collected (NotFound if unknown)."""
    # An id that cannot exist is never sent to the store (PostgreSQL refuses NUL in text).
    if not is_record_id(subject_id):
        raise NotFound("本人が登録されていません。", "no such subject.")
    # Read on the connection (rows the session holds are flushed first): the ORM's handling of
    # a statement cost more than the statement on the consent notice's path (issue 15).
    session.flush()
    conn = session.connection()
    found = conn.execute(_SUBJECT, {"sid": subject_id}).first()
    if found is None:
        raise NotFound("本人が登録されていません。", "no such subject.")
    events = conn.execute(_EVENTS, {"sid": subject_id}).all()
    exceptions = conn.execute(_EXCEPTIONS, {"sid": subject_id}).all()
    return _history(found, events, exceptions)


def histories(session: Session, chunk: int = CHUNK) -> Iterator[SubjectHistory]:
    """Every person's history in id order, read `chunk` persons at a time.

    Memory stays bounded by one chunk (its persons, events and exceptions) however large the
    store: pages are found by key (the last id read), not by offset, so each page costs the same.
    """
    after = ""  # below every id: ids are at least one character long
    while subjects := session.execute(_SUBJECT_PAGE, {"after": after, "n": chunk}).all():
        bounds = {"lo": subjects[0].subject_id, "hi": subjects[-1].subject_id}
        events = _by_subject(session.execute(_EVENTS_RANGE, bounds).all())
        exceptions = _by_subject(session.execute(_EXCEPTIONS_RANGE, bounds).all())
        for s in subjects:
            yield _history(s, events.get(s.subject_id, ()), exceptions.get(s.subject_id, ()))
        after = bounds["hi"]


def _by_subject(rows: Sequence[Row[Any]]) -> dict[str, list[Row[Any]]]:
    """Rows ordered by subject id, grouped by it (each group keeps its order)."""
    return {sid: list(group) for sid, group in groupby(rows, key=attrgetter("subject_id"))}
