"""Consent events from a CSV a column at a time, for bulk imports of any size.

Why: `hogo consent import` built one pydantic model per row, and normalised, validated and
encoded each cell in Python: about 25 µs a row, most of an import's time. Here a batch of rows
is read by the csv module, turned into columns, and each column is normalised and checked as a
whole (a compiled pattern over the column; set membership for codes). A row any check doubts
goes through the reference path, `consent_csv.parse_events`'s row parser, so every problem
keeps its row, field and message exactly, and every value is the one `ConsentEvent` would hold
(tests/files/test_event_columns.py compares both paths on generated cells).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hogo.domain.clock import parse_instant, storable
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentAction, ConsentEvent, ConsentMethod
from hogo.domain.ids import NAME_ID_CHARS, NAME_ID_MAX, RECORD_ID_CHARS, RECORD_ID_MAX
from hogo.files.consent_csv import (
    _FALSE,
    _TRUE,
    EVENT_COLUMNS,
    EVENT_OPTIONAL,
    REJECT_COLUMNS,
    RowProblem,
    _event_fields,
    _parse,
)
from hogo.files.csv_table import CsvRow, iter_csv_batches, normalise_cell

#: The fields of a consent event, in the order `EventColumns` holds them.
FIELDS = (
    "event_id", "subject_id", "purpose_id", "action", "terms_version", "method", "collected_at",
    "evidence", "guardian_name", "guardian_relation", "foreign_transfer_info_given",
)  # fmt: skip


@dataclass
class EventColumns:
    """Valid consent events, one list per field, as `ConsentEvent` holds them: codes as their
    values (`action`, `method`), `collected_at` aware, blanks as None; `rows` their row numbers."""

    rows: list[int] = field(default_factory=list)
    event_id: list[str] = field(default_factory=list)
    subject_id: list[str] = field(default_factory=list)
    purpose_id: list[str] = field(default_factory=list)
    action: list[str] = field(default_factory=list)
    terms_version: list[str | None] = field(default_factory=list)
    method: list[str] = field(default_factory=list)
    collected_at: list[datetime] = field(default_factory=list)
    evidence: list[str | None] = field(default_factory=list)
    guardian_name: list[str | None] = field(default_factory=list)
    guardian_relation: list[str | None] = field(default_factory=list)
    foreign_transfer_info_given: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_events(cls, events: Sequence[ConsentEvent], rows: Sequence[int]) -> EventColumns:
        if len(events) != len(rows):
            raise ValueError("one row number per event")
        values = [_event_values(e) for e in events]
        columns = [list(c) for c in zip(*values, strict=True)] if values else [[] for _ in FIELDS]
        return cls(list(rows), *columns)

    def events(self) -> list[ConsentEvent]:
        """The same events as models (tests, small files)."""
        return [
            ConsentEvent.model_validate(dict(zip(FIELDS, values, strict=True)))
            for values in zip(*self.columns(), strict=True)
        ]

    def columns(self) -> list[list[object]]:
        """The field lists in `FIELDS` order."""
        return [getattr(self, name) for name in FIELDS]


def _event_values(e: ConsentEvent) -> tuple[object, ...]:
    return (
        e.event_id, e.subject_id, e.purpose_id, e.action.value, e.terms_version, e.method.value,
        e.collected_at, e.evidence, e.guardian_name, e.guardian_relation, e.foreign_transfer_info_given,
    )  # fmt: skip


@dataclass
class EventBatch:
    """One batch of a file: its valid events, and its bad rows with their problems."""

    columns: EventColumns
    problems: list[RowProblem] = field(default_factory=list)
    rejected: list[CsvRow] = field(default_factory=list)


def iter_event_columns(path: Path, batch: int = 50_000) -> Iterator[EventBatch]:
    """The file's events in batches of rows (only one batch is held), with the problems and
    rejected rows `consent_csv.parse_events` would report for those rows."""
    header, batches = iter_csv_batches(path, EVENT_COLUMNS, EVENT_OPTIONAL + REJECT_COLUMNS, batch)
    for numbers, cells in batches:
        yield event_batch(header, numbers, cells)


# --- one batch ----------------------------------------------------------------------------------

#: A cell `normalise_cell` leaves as it is: printable ASCII (NFKC changes none of it) without
#: whitespace at either end and not starting with the `'` a formula-safe writer may have added.
_CLEAN = re.compile(r"(?:[!-&(-~](?:[ -~]*[!-~])?)?")
_CLEAN_ALL = re.compile(r"(?:[!-&(-~](?:[ -~]*+(?<! ))?+)?+(?:\n(?:[!-&(-~](?:[ -~]*+(?<! ))?+)?+)*+")
_RECORD_ID = re.compile(rf"[{RECORD_ID_CHARS}]{{1,{RECORD_ID_MAX}}}")
_RECORD_IDS = re.compile(
    rf"[{RECORD_ID_CHARS}]{{1,{RECORD_ID_MAX}}}+(?:\n[{RECORD_ID_CHARS}]{{1,{RECORD_ID_MAX}}}+)*+"
)
_PURPOSE = re.compile(rf"\*|[{NAME_ID_CHARS}]{{1,{NAME_ID_MAX}}}")
_PURPOSES = re.compile(
    rf"(?:\*|[{NAME_ID_CHARS}]{{1,{NAME_ID_MAX}}}+)(?:\n(?:\*|[{NAME_ID_CHARS}]{{1,{NAME_ID_MAX}}}+))*+"
)
_ACTIONS = frozenset(a.value for a in ConsentAction)
_METHODS = frozenset(m.value for m in ConsentMethod)
_BOOLS = {**dict.fromkeys(_FALSE, False), **dict.fromkeys(_TRUE, True)}


def _max_lengths(names: Sequence[str]) -> dict[str, int]:
    """The longest text `ConsentEvent` holds in each free-text field (its bound, read from the model)."""
    properties = ConsentEvent.model_json_schema()["properties"]
    bounded = {name: [t for t in properties[name]["anyOf"] if "maxLength" in t] for name in names}
    return {name: int(text["maxLength"]) for name, (text,) in bounded.items()}


_TEXT_MAX = _max_lengths(("terms_version", "evidence", "guardian_name", "guardian_relation"))


def event_batch(header: Sequence[str], numbers: list[int], records: Sequence[list[str]]) -> EventBatch:
    """Rows (their numbers, raw cells under `header`) into columns; doubtful rows by the row parser."""
    raw = list(zip(*records, strict=True))
    cells = {h: raw[i] for i, h in enumerate(header) if h in FIELDS}
    doubts: set[int] = set()
    columns = EventColumns(numbers, *(_field(name, cells, len(numbers), doubts) for name in FIELDS))
    _doubt_bundled(columns, doubts)
    if not doubts:
        return EventBatch(columns)
    return _with_row_parser(header, records, columns, sorted(doubts))


def _normalised(cells: Sequence[str], whole: re.Pattern[str] = _CLEAN_ALL) -> list[str]:
    """`normalise_cell` of each cell; a column `whole` matches (joined by newlines) is clean
    as it is (one pattern over the column instead of a call per cell)."""
    if _all_match(whole, cells):
        return list(cells)
    clean = _CLEAN.fullmatch
    return [c if clean(c) else normalise_cell(c) for c in cells]


def _all_match(pattern: re.Pattern[str], cells: Sequence[str]) -> bool:
    """Whether every cell matches: `pattern` is one cell's pattern repeated after newlines,
    matched once over the column joined by newlines (a cell holding a newline never passes)."""
    joined = "\n".join(cells)
    return joined.count("\n") == len(cells) - 1 and pattern.fullmatch(joined) is not None


def _misfits(values: Sequence[Any], ok: Callable[[Any], object], doubts: set[int]) -> None:
    """Add the positions whose value `ok` refuses (the whole column is checked at once first)."""
    if not all(map(ok, values)):
        doubts.update(i for i, v in enumerate(values) if not ok(v))


def _field(name: str, cells: Mapping[str, Sequence[str]], n: int, doubts: set[int]) -> list[Any]:
    """One field's values as `ConsentEvent` holds them; positions that may be invalid go to
    `doubts` (the row parser then decides, with its message)."""
    given = cells.get(name)
    if given is None:  # an optional column the file leaves out
        return [False] * n if name == "foreign_transfer_info_given" else [None] * n
    return _READERS[name](given, doubts)


def _record_ids(cells: Sequence[str], doubts: set[int]) -> list[Any]:
    if _all_match(_RECORD_IDS, cells):  # valid ids are clean cells: nothing to normalise
        return list(cells)
    values = _normalised(cells)
    _misfits(values, _RECORD_ID.fullmatch, doubts)
    return values


def _purposes(cells: Sequence[str], doubts: set[int]) -> list[Any]:
    if _all_match(_PURPOSES, cells):
        return list(cells)
    values = _normalised(cells)
    _misfits(values, _PURPOSE.fullmatch, doubts)
    return values


def _actions(cells: Sequence[str], doubts: set[int]) -> list[Any]:
    if _ACTIONS.issuperset(cells):
        return list(cells)
    lowered = [v.lower() for v in _normalised(cells)]
    _misfits(lowered, _ACTIONS.__contains__, doubts)
    return lowered


def _methods(cells: Sequence[str], doubts: set[int]) -> list[Any]:
    if _METHODS.issuperset(cells):
        return list(cells)
    lowered = [v.lower() if v else ConsentMethod.other.value for v in _normalised(cells)]
    _misfits(lowered, _METHODS.__contains__, doubts)
    return lowered


def _flags(cells: Sequence[str], doubts: set[int]) -> list[Any]:
    values = _normalised(cells)
    meaning = {v: _BOOLS.get(v.lower()) for v in set(values)}
    flags = [meaning[v] for v in values]
    _misfits(flags, _is_given, doubts)
    return flags


def _is_given(value: object) -> bool:
    return value is not None


def _text(limit: int) -> Callable[[Sequence[str], set[int]], list[Any]]:
    """Optional free text: a blank cell is None; a longer one than the model holds is doubted."""

    def read(cells: Sequence[str], doubts: set[int]) -> list[Any]:
        values = [v or None for v in _normalised(cells)]
        _misfits(values, lambda v: v is None or len(v) <= limit, doubts)
        return values

    return read


def _instants(cells: Sequence[str], doubts: set[int]) -> list[Any]:
    """`parse_instant` and the model's `storable` of each cell, once per distinct text."""
    seen: dict[str, datetime | None] = {}
    out: list[Any] = []
    for i, text in enumerate(_normalised(cells)):
        if text in seen:
            value = seen[text]
        else:
            try:
                value = storable(parse_instant(text))
            except ValueError:
                value = None
            seen[text] = value
        if value is None:
            doubts.add(i)
        out.append(value)
    return out


_READERS: dict[str, Callable[[Sequence[str], set[int]], list[Any]]] = {
    "event_id": _record_ids,
    "subject_id": _record_ids,
    "purpose_id": _purposes,
    "action": _actions,
    "method": _methods,
    "collected_at": _instants,
    "foreign_transfer_info_given": _flags,
    **{name: _text(limit) for name, limit in _TEXT_MAX.items()},
}


def _doubt_bundled(columns: EventColumns, doubts: set[int]) -> None:
    """Acceptance of a whole terms version must name it (the model's own rule)."""
    if ALL_PURPOSES_IN_TERMS not in columns.purpose_id:
        return
    for i, (p, a, t) in enumerate(
        zip(columns.purpose_id, columns.action, columns.terms_version, strict=True)
    ):
        if p == ALL_PURPOSES_IN_TERMS and a == ConsentAction.grant.value and t is None:
            doubts.add(i)


def _with_row_parser(
    header: Sequence[str], records: Sequence[list[str]], columns: EventColumns, doubts: list[int]
) -> EventBatch:
    """The doubtful rows parsed one by one as `parse_events` does; valid ones rejoin the columns
    in row order."""
    rows = [
        CsvRow(columns.rows[i], {h: normalise_cell(v) for h, v in zip(header, records[i], strict=True) if h})
        for i in doubts
    ]
    parsed = _parse(rows, ConsentEvent, _event_fields, ("foreign_transfer_info_given",))
    fixed = dict(zip(parsed.rows, parsed.items, strict=True))
    keep = set(range(len(columns))) - set(doubts)
    table = list(zip(columns.rows, *columns.columns(), strict=True))
    merged: list[tuple[object, ...]] = []
    for i, row in enumerate(table):
        if i in keep:
            merged.append(row)
        elif row[0] in fixed:
            merged.append((row[0], *_event_values(fixed[row[0]])))
    lists = [list(c) for c in zip(*merged, strict=True)] if merged else [[] for _ in range(len(FIELDS) + 1)]
    return EventBatch(EventColumns(*lists), parsed.problems, parsed.rejected)
