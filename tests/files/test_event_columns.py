"""The column reader of bulk imports gives exactly what the row parser gives (issue 13): the same
events, row numbers, problems (row, field, message) and rejected rows, for clean and messy cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hogo.files.consent_csv import parse_events
from hogo.files.csv_table import normalise_cell
from hogo.files.event_columns import _CLEAN_ALL, EventColumns, _all_match, _normalised, iter_event_columns

HEADER = [
    "event_id", "subject_id", "purpose_id", "action", "terms_version", "method", "collected_at",
    "guardian_name", "guardian_relation", "foreign_transfer_info_given", "evidence",
]  # fmt: skip

_ids = st.sampled_from(
    ["e1", "E\n6", "E-2", "urn:x@t", " E3 ", "Ｅ４", "'=E5", "", "bad id", "x" * 129, "e\u00e9"]
)
_purposes = st.sampled_from(["ad_partners", "*", "Ａｄ", "bad:purpose", "", "p" * 65])
_actions = st.sampled_from(["grant", "GRANT", "deny", " withdraw ", "object", "", "ok"])
_terms = st.sampled_from(["2021-07", "", "  ", "v'1", "「版」", "v" * 65, "版" * 64])
_methods = st.sampled_from(["web_form", "", "Paper", "import", "fax"])
_times = st.sampled_from(
    [
        "2021-08-01T10:00", "2021-08-01", "2021-08-01T10:00:00Z", "2021-08-01T10:00:00.5+05:30",
        "２０２１-０８-０１", "1899-12-31", "2100-01-01", "not-a-time", "", "2021-08-01T10:00:00+05:45:30",
    ]
)  # fmt: skip
_texts = st.sampled_from(
    ["", "保護 太郎", ' "quoted" ', "back\\slash", "tab\there", "line\nbreak", "'-1", "x" * 65, "名" * 257]
)
_flags = st.sampled_from(["", "true", "はい", "○", "No", "maybe", " 1 "])
_evidence = st.sampled_from(["", "form#1", "x" * 513, "ｘ" * 512])

_rows = st.lists(
    st.tuples(_ids, _ids, _purposes, _actions, _terms, _methods, _times, _texts, _texts, _flags, _evidence),
    min_size=1,
    max_size=12,
)


def _write(path: Path, rows: list[tuple[str, ...]], blank_every: int) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for i, row in enumerate(rows):
        writer.writerow(row)
        if blank_every and i % blank_every == 0:
            writer.writerow([""] * len(HEADER))  # skipped, but counted in the row numbers
    path.write_text(buffer.getvalue(), encoding="utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_rows, blank_every=st.integers(0, 3), batch=st.integers(1, 5))
def test_columns_equal_the_row_parser(
    tmp_path: Path, rows: list[tuple[str, ...]], blank_every: int, batch: int
) -> None:
    path = tmp_path / "events.csv"
    _write(path, rows, blank_every)
    whole = parse_events(path)
    batches = list(iter_event_columns(path, batch=batch))
    assert [e for b in batches for e in b.columns.events()] == whole.items
    assert [n for b in batches for n in b.columns.rows] == whole.rows
    assert [p for b in batches for p in b.problems] == whole.problems
    assert [r for b in batches for r in b.rejected] == whole.rejected


def test_from_events_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    _write(path, [("e1", "S1", "ad_partners", "grant", "2021-07", "", "2021-08-01T10:00", "", "", "", "")], 0)
    items = parse_events(path).items
    columns = EventColumns.from_events(items, [2])
    assert columns.events() == items and columns.rows == [2]


@given(st.lists(st.text(alphabet=" a'=\t\n\r\u3000Ａ-~\x7f", max_size=4), min_size=1, max_size=6))
def test_a_column_is_taken_as_it_is_only_when_every_cell_is_clean(cells: list[str]) -> None:
    """The column-wide pattern agrees with `normalise_cell` cell by cell (newlines inside cells too)."""
    assert _normalised(cells) == [normalise_cell(c) for c in cells]
    if _all_match(_CLEAN_ALL, cells):
        assert all(normalise_cell(c) == c for c in cells)
