"""A bound row's canonical text straight from the database driver's values, for the full verify.

Why: `hogo ledger verify` recomputes the digest of every bound row. Going the general way —
each converted column through its SQLAlchemy result processor (a datetime parsed from SQLite's
text, given its zone), `domain.binding.plain` (the datetime written back as ISO text) and a fresh
JSON encoding — cost about 5 µs a row, more than hashing it. Most values need none of that:
text, numbers and NULLs are written by JSON as the driver gives them, and a datetime that SQLite
holds as ``YYYY-MM-DD HH:MM:SS.ffffff`` (as hogo writes it) *is* its canonical form but for the
``T`` and the zone. So each bound table gets a `RowCodec`, made once per database dialect: it
turns only the columns that have a result processor straight into their `plain` form, by a
converter that accepts just the values whose result it knows, and encodes the row with the same
JSON encoder settings in one call of the C encoder. Any value a converter or the encoder does not
take (another text form, a type hogo never writes) sends the whole row the general way
(`RowCodec.convert` + `domain.binding.row_text`), so the text — and any error — is exactly the
general path's (tests/store/test_bound_rows.py compares both on generated rows).

On SQLite, where a column's type says what the driver gives (text, an integer, or text or 0/1
under a known converter), the row's text is one f-string compiled per table (`_compiled`), as
`collections.namedtuple` and `dataclasses` compile theirs: each string through the JSON encoder's
own `encode_basestring`, the converters' results written in place. It costs half the C
encoder's call with its list of values and join (0.95 against 1.8 µs a consent_events row),
and gives the same text: any value it does not take raises, and the row goes the way above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import Boolean, Date, Dialect, Integer, String

from hogo.domain import binding as b
from hogo.store.types import UTCDateTime

#: A converter: a driver's value to its `plain` form, or `_Slow` for the general path.
Converter = Callable[[Any], Any]


class _Slow(Exception):
    """A value the fast path does not take: the row goes the general way."""


def _other(value: Any) -> Any:
    """A value JSON cannot write itself: a date as `plain` writes it (psycopg gives dates as
    such); anything else goes the general way."""
    if type(value) is date:
        return value.isoformat()
    raise _Slow


#: `domain.binding`'s row encoder (compact, not ASCII-escaped, no NaN, keys unsorted) as the C
#: encoder itself, made once; None where Python has no C encoder (every row goes the general way).
_ENCODE = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _other, encode_basestring, None, ":", ",", False, False, False)
)

_SQLITE_INSTANT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_from_datetime = datetime.fromisoformat
_from_date = date.fromisoformat


def _sqlite_instant(value: Any) -> Any:
    """SQLite's text of a UTC instant as hogo writes it: SQLAlchemy reads it with
    `datetime.fromisoformat` (which also refuses an impossible date, as here) and `UTCDateTime`
    makes it UTC, so its `plain` form is the same text with ``T`` and ``+00:00``."""
    if value is None:
        return None
    if type(value) is not str or not _SQLITE_INSTANT.fullmatch(value):
        raise _Slow
    _from_datetime(value)
    return f"{value[:10]}T{value[11:]}+00:00"


def _pg_instant(value: Any) -> Any:
    """psycopg's naive datetime of a ``timestamp`` column, which `UTCDateTime` makes UTC."""
    if value is None:
        return None
    if type(value) is not datetime or value.tzinfo is not None:
        raise _Slow
    return f"{value.isoformat(timespec='microseconds')}+00:00"


def _sqlite_date(value: Any) -> Any:
    """SQLite's ``YYYY-MM-DD`` text, read with `date.fromisoformat`: its `plain` form is itself."""
    if value is None:
        return None
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        raise _Slow
    _from_date(value)
    return value


_FLAGS = {0: False, 1: True}


def _sqlite_flag(value: Any) -> Any:
    """SQLite's 0 or 1 of a boolean column (SQLAlchemy reads any other value as its truth)."""
    if value is None:
        return None
    if type(value) is not int or value not in _FLAGS:
        raise _Slow
    return _FLAGS[value]


def _null_only(value: Any) -> Any:
    if value is None:
        return None
    raise _Slow


def _converter(dialect: Dialect, column_type: Any) -> Converter:
    """The fast converter of a column that has a result processor."""
    sqlite = dialect.name == "sqlite"
    if isinstance(column_type, UTCDateTime):
        if sqlite:
            return _sqlite_instant
        if dialect.name == "postgresql":
            return _pg_instant
    elif sqlite and isinstance(column_type, Boolean):
        return _sqlite_flag
    elif sqlite and isinstance(column_type, Date):
        return _sqlite_date
    return _null_only


_JSON_FLAGS = {True: "true", False: "false", None: "null"}


def _instant_json(value: Any) -> str:
    return "null" if value is None else f'"{_sqlite_instant(value)}"'


def _date_json(value: Any) -> str:
    return "null" if value is None else f'"{_sqlite_date(value)}"'


def _flag_json(value: Any) -> str:
    return _JSON_FLAGS[_sqlite_flag(value)]


def _integer_json(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is not int:
        raise _Slow
    return str(value)


#: SQLite: a column's JSON text by its type — the converter's, for a type that has one.
_SQLITE_JSON: tuple[tuple[type[Any], Callable[[Any], str]], ...] = (
    (UTCDateTime, _instant_json),
    (Boolean, _flag_json),
    (Date, _date_json),
    (Integer, _integer_json),
)
#: A text column: the JSON encoder's own string writer (it refuses anything but a str).
_STRING_JSON = "(NULL if r[{i}] is None else EB(r[{i}]))"


def _compiled(table: b.BoundTable, types: Sequence[Any], converted: set[int]) -> Callable[[Any], str] | None:
    """The SQLite row text of ``table`` as one f-string over the selected row ``r`` (ledger_seq,
    then the columns), or None where a column's type is not one whose driver value it knows."""
    pieces = [repr(f"[{encode_basestring(table.name)},[")]
    for i in range(1, len(table.columns) + 1):
        kind = types[i]
        writer = next((w for t, w in _SQLITE_JSON if isinstance(kind, t)), None)
        if writer is not None:
            expression = f"{writer.__name__}(r[{i}])"
        elif isinstance(kind, String) and i not in converted:
            expression = _STRING_JSON.format(i=i)
        else:
            return None
        pieces += ([] if i == 1 else ["','"]) + [f"f'{{{expression}}}'"]
    pieces.append("']]'")
    source = f"def text(r):\n    return {' '.join(pieces)}\n"
    scope: dict[str, Any] = {"EB": encode_basestring, "NULL": "null"}
    scope.update((w.__name__, w) for _, w in _SQLITE_JSON)
    exec(compile(source, f"<row text of {table.name}>", "exec"), scope)  # our own source, made above
    compiled: Callable[[Any], str] = scope["text"]
    return compiled


class RowCodec:
    """One bound table's rows as read by its stream query (``ledger_seq``, then the table's
    columns in canonical order, then anything else): canonical text and converted values."""

    def __init__(
        self,
        dialect: Dialect,
        table: b.BoundTable,
        types: Sequence[Any],
        processors: Sequence[tuple[int, Callable[[Any], Any]]],
    ) -> None:
        """``types``: the selected columns' types; ``processors``: (index, result processor) of
        the selected columns that have one, as SQLAlchemy converts them for every reader."""
        self.table = table
        self._n = len(table.columns) + 1
        self._processors = tuple(processors)
        self._converters = tuple(
            (i - 1, _converter(dialect, types[i])) for i, _ in processors if 1 <= i < self._n
        )
        converted = {i for i, _ in processors}
        self._compiled = _compiled(table, types, converted) if dialect.name == "sqlite" else None

    def convert(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        """The selected row as SQLAlchemy converts it for every reader."""
        row = list(raw)
        for i, process in self._processors:
            row[i] = process(row[i])
        return tuple(row)

    def text(self, raw: Sequence[Any]) -> str:
        """The canonical text of a selected row (`domain.binding.row_text` of its converted
        columns)."""
        if self._compiled is not None:
            try:
                return self._compiled(raw)
            except (_Slow, TypeError):
                pass  # a value the compiled text does not take: the general way
        cols = list(raw[1 : self._n])
        try:
            if _ENCODE is None:
                raise _Slow
            for i, fast in self._converters:
                cols[i] = fast(cols[i])
            return "".join(_ENCODE([self.table.name, cols], 0))
        except _Slow:
            return b.row_text(self.table, self.convert(raw)[1 : self._n])
