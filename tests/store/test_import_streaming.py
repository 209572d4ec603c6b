"""Imports read the CSV row by row (issue 10 findings 4/19: a 2.9 MB CSV took 714 MB, 1M rows
2.6 GB): the streaming reader gives exactly what the whole-file reader gives, batch by batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from hogo.errors import InputError
from hogo.files.consent_csv import EVENT_COLUMNS, EVENT_OPTIONAL, parse_events
from hogo.files.csv_table import iter_csv, read_csv
from hogo.files.event_columns import iter_event_columns

ROWS = "".join(
    f"e{i},S{i % 3},ad_partners,grant,2021-07,web_form,2021-08-01T10:00,保護 太郎,父,\n" for i in range(25)
)
HEADER = "event_id,subject_id,purpose_id,action,terms_version,method,collected_at,guardian_name,guardian_relation,evidence\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_streamed_rows_equal_whole_file_rows(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        (HEADER + ROWS + "bad,S1,ad_partners,grant,2021-07,web_form,not-a-time,,,\n").encode(encoding)
    )
    assert list(iter_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)) == read_csv(
        path, EVENT_COLUMNS, EVENT_OPTIONAL
    )
    whole = parse_events(path)
    batches = list(iter_event_columns(path, batch=10))
    assert [len(b.columns) + len(b.rejected) for b in batches] == [10, 10, 6]
    assert [e for b in batches for e in b.columns.events()] == whole.items
    assert [r for b in batches for r in b.columns.rows] == whole.rows
    assert [r for b in batches for r in b.rejected] == whole.rejected
    assert [p for b in batches for p in b.problems] == whole.problems


def test_a_file_in_no_accepted_encoding_is_refused_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        HEADER.encode() + b"e1,S1,ad_partners,grant,2021-07,web_form,2021-08-01T10:00," + b"\x82\xff\n"
    )
    rows = iter_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
    with pytest.raises(InputError, match="not valid UTF-8"):
        next(rows)


ENCODING_CASES = {
    "utf-8": "a,b\n1,日本\n".encode(),
    "utf-8 with BOM": "\ufeffa,b\n1,日本\n".encode(),
    "cp932": "a,b\n1,日本\n".encode("cp932"),
    "cp932 with a pasted UTF-8 line": "a,b\n1,日本\n".encode("cp932") + "2,東京\n".encode(),
    "NUL on line 3": b"a,b\n1,2\n3,\x004\n",
    "utf-16 with BOM": "a,b\n1,2\n".encode("utf-16"),
    "no final newline": "a,b\n1,日本".encode("cp932"),
}


@pytest.mark.parametrize("label", sorted(ENCODING_CASES))
@pytest.mark.parametrize("block", [3, 1 << 20])
def test_streamed_encoding_follows_the_whole_file_rules(tmp_path: Path, label: str, block: int) -> None:
    """The streaming reader settles the encoding block by block exactly as `decode` does on the
    whole file: the same encoding, or the same refusal naming the same line."""
    from hogo.files.csv_table import decode, detect_encoding

    data = ENCODING_CASES[label]
    path = tmp_path / "f.csv"
    path.write_bytes(data)

    def outcome(run: object) -> str:
        try:
            return str(run())  # type: ignore[operator]
        except InputError as exc:
            return f"refused: {exc.en}"

    assert outcome(lambda: detect_encoding(path, block)) == outcome(lambda: decode(data, str(path))[1])
