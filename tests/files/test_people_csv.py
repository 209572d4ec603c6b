"""CSV for people is formula-safe (issue 10 finding 3): every export, every kind of dangerous cell.

A cell starting with `=`, `+`, `-`, `@`, tab or CR runs as a formula in Excel/LibreOffice; the one
writer prefixes `'`. JSON and YAML keep the raw value.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from hogo.domain.inventory import Dataset, Inventory
from hogo.files.consent_csv import RowProblem, write_rejects
from hogo.files.csv_headers import HeaderStyle
from hogo.files.csv_table import CsvRow, parse_csv
from hogo.files.inventory_io import (
    dump_inventory_csv,
    dump_inventory_yaml,
    parse_inventory_csv,
    parse_inventory_yaml,
)
from hogo.files.people_csv import formula_safe, people_csv
from hogo.reports.incidents.render import Recipient, notification_csv

DANGEROUS = {
    "equals": '=HYPERLINK("http://evil.example","x")',
    "plus": "+1+2",
    "minus": "-2+3",
    "at": "@SUM(1,2)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}
HARMLESS = ["", "A-1", "a@example.jp", "会員 = 顧客", "1+1", "03-0000-0000"]


@pytest.mark.parametrize("kind", sorted(DANGEROUS))
def test_each_formula_start_is_neutralised(kind: str) -> None:
    value = DANGEROUS[kind]
    assert formula_safe(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_harmless_cells_are_unchanged(value: str) -> None:
    assert formula_safe(value) == value


def _cells(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def _no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("kind", sorted(DANGEROUS))
def test_people_csv_writes_every_cell_safely(kind: str) -> None:
    rows = _cells(people_csv(["a", "b"], [[DANGEROUS[kind], "ok"]]))
    _no_formula(rows)
    assert rows[1] == ["'" + DANGEROUS[kind], "ok"]


@pytest.mark.parametrize("kind", sorted(DANGEROUS))
def test_notification_list(kind: str) -> None:
    value = DANGEROUS[kind]
    data = notification_csv(
        [Recipient(value, value, None), Recipient("S1", None, value)], headers=HeaderStyle.machine
    )
    rows = _cells(data)
    _no_formula(rows)
    assert ["'" + value, "email", "'" + value, ""] in rows
    assert ["S1", "phone", "", "'" + value] in rows


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
@pytest.mark.parametrize("kind", sorted(DANGEROUS))
def test_inventory_export_and_yaml_keeps_raw(kind: str, encoding: str) -> None:
    value = DANGEROUS[kind]
    inventory = Inventory(
        datasets=(Dataset(id="crm", name=value, owner=value, location=value, retention=value),)
    )
    rows = _cells(dump_inventory_csv(inventory, encoding), encoding)
    _no_formula(rows)
    stored = inventory.datasets[0].name  # the model trims; what remains still starts a formula
    assert rows[1][1] == "'" + stored and rows[1][2] == "'" + stored
    assert parse_inventory_yaml(dump_inventory_yaml(inventory)).datasets[0].name == stored


def test_inventory_export_reads_back_to_the_raw_values() -> None:
    inventory = Inventory(datasets=(Dataset(id="crm", name="=1+1", owner="@営業部", retention="-3年"),))
    again = parse_inventory_csv(dump_inventory_csv(inventory))
    assert (again.datasets[0].name, again.datasets[0].owner, again.datasets[0].retention) == (
        "=1+1",
        "@営業部",
        "-3年",
    )


@pytest.mark.parametrize("kind", sorted(DANGEROUS))
def test_rejects_file(kind: str, tmp_path: Path) -> None:
    value = DANGEROUS[kind]
    target = tmp_path / "x.rejects.csv"
    write_rejects(
        target, [RowProblem(2, "subject_id", "bad")], [CsvRow(2, {"subject_id": value, "name": "ok"})]
    )
    rows = _cells(target.read_bytes())
    _no_formula(rows)
    assert rows[0] == ["行", "問題", "本人ID", "氏名"]
    assert rows[1] == ["2", "本人ID: bad", "'" + value, "ok"]


def test_a_quoted_formula_cell_reads_back_as_written() -> None:
    rows = parse_csv(b"id,name\r\nA,'=1+1\r\nB,'x\r\n", ["id", "name"])
    assert [r.values["name"] for r in rows] == ["=1+1", "'x"]
