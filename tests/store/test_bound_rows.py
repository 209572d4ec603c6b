"""The full verify writes a bound row's canonical text straight from the driver's values
(`services.bound_rows`): it must be the general path's text — each value converted as SQLAlchemy
converts it for readers, then `domain.binding.row_text` — for any value a column may hold,
including ones hogo never writes (another text form of a time, an impossible date, a boolean
column holding 2), where the general path raises the same error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Dialect, create_engine, select

from hogo.domain import binding as b
from hogo.services import binding
from hogo.services.bound_rows import RowCodec

_DIALECTS: dict[str, Dialect] = {
    "sqlite": create_engine("sqlite://").dialect,
    "postgresql": create_engine("postgresql+psycopg://nobody@localhost/none").dialect,
}

_instants = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(max_size=4),
    _instants.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f")),  # as SQLite keeps an instant
    _instants.map(lambda d: d.isoformat()),
    _instants.map(lambda d: d.strftime("%Y-%m-%d")),
    st.from_regex(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", fullmatch=True),  # impossible ones too
    st.from_regex(r"\d{4}-\d\d-\d\d", fullmatch=True),
    _instants,  # as psycopg gives a timestamp
    _instants.map(lambda d: d.replace(tzinfo=timezone(timedelta(hours=9)))),
    _instants.map(lambda d: d.replace(tzinfo=UTC)),
    _instants.map(lambda d: d.date()),
)


def _codec(dialect: Dialect, t: b.BoundTable) -> RowCodec:
    table = binding.table_of(t)
    stmt = select(table.c.ledger_seq, *[table.c[c] for c in t.columns])
    query = binding._compile(dialect, stmt)
    return RowCodec(dialect, t, [c.type for c in stmt.selected_columns], query.processors)


def _general(codec: RowCodec, t: b.BoundTable, raw: tuple[Any, ...]) -> tuple[str, str | None]:
    try:
        return "text", b.row_text(t, codec.convert(raw)[1:])
    except Exception as exc:  # the error the general path raises
        return "error", type(exc).__name__


def _fast(codec: RowCodec, raw: tuple[Any, ...]) -> tuple[str, str | None]:
    try:
        return "text", codec.text(raw)
    except Exception as exc:
        return "error", type(exc).__name__


@pytest.mark.parametrize("dialect", sorted(_DIALECTS))
@pytest.mark.parametrize("t", b.BOUND, ids=lambda t: t.name)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_fast_text_is_the_general_paths(dialect: str, t: b.BoundTable, data: st.DataObject) -> None:
    codec = _codec(_DIALECTS[dialect], t)
    raw = (1, *data.draw(st.tuples(*[_values for _ in t.columns])))
    assert _fast(codec, raw) == _general(codec, t, raw)


def test_rows_as_hogo_writes_them_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The values hogo itself stores never need the general path (it is there for the rest)."""
    codec = _codec(_DIALECTS["sqlite"], b.CONSENT_EVENTS)
    raw = (
        7,
        "E1",
        "S1",
        "ad",
        "grant",
        "2021-07",
        "web_form",
        "2024-01-02 03:04:05.000006",
        None,
        "親",
        None,
        1,
    )
    general = b.row_text(b.CONSENT_EVENTS, codec.convert(raw)[1:])

    def refused(*args: object) -> str:
        raise AssertionError("the general path was taken")

    monkeypatch.setattr(b, "row_text", refused)
    assert (
        codec.text(raw)
        == general
        == (
            '["consent_events",["E1","S1","ad","grant","2021-07","web_form",'
            '"2024-01-02T03:04:05.000006+00:00",null,"親",null,true]]'
        )
    )
