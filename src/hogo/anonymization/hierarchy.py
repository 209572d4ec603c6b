"""Generalisation hierarchies: one row per original value, one column per level, `*` on top.

Why this shape: it is the ARX interchange format (`;`-separated, level 0 = the original value,
each column coarser than the last), so hierarchies from ARX and other tools work unchanged, and
it maps straight onto a lookup table the engine joins against.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from hogo.errors import InputError
from hogo.files import csv_table

TOP = "*"


@dataclass(frozen=True)
class Hierarchy:
    """A full-domain generalisation hierarchy for one attribute.

    ``rows[i][j]`` is the generalisation of original value ``rows[i][0]`` at level ``j``.
    """

    attribute: str
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        if not self.rows:
            raise InputError("階層が空です。", "hierarchy is empty", field=self.attribute)
        width = len(self.rows[0])
        seen: dict[str, int] = {}
        parent: list[dict[str, str]] = [{} for _ in range(width)]
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise InputError(
                    "階層の列数が行ごとに異なります。",
                    "hierarchy rows have different numbers of levels",
                    row=number,
                    field=self.attribute,
                )
            if row[0] in seen:
                raise InputError(
                    "階層に同じ元の値が二度あります。",
                    "an original value appears twice in the hierarchy",
                    row=number,
                    field=self.attribute,
                )
            seen[row[0]] = number
            for j in range(1, width):
                earlier = parent[j].setdefault(row[j - 1], row[j])
                if earlier != row[j]:
                    raise InputError(
                        f"階層が木になっていません（レベル {j}）。",
                        f"hierarchy is not a tree at level {j}",
                        row=number,
                        field=self.attribute,
                    )
        if len({row[-1] for row in self.rows}) != 1:
            raise InputError(
                "階層の最上位レベルが一つの値になっていません。",
                "the top level of the hierarchy is not a single value",
                field=self.attribute,
            )

    @property
    def height(self) -> int:
        """The highest level number (level 0 is the original value)."""
        return len(self.rows[0]) - 1

    @property
    def values(self) -> list[str]:
        return [row[0] for row in self.rows]

    def to_arrow(self) -> pa.Table:
        """The lookup table the engine joins: columns ``v`` and ``g0`` … ``g<height>``."""
        columns: dict[str, list[str]] = {"v": [row[0] for row in self.rows]}
        for j in range(self.height + 1):
            columns[f"g{j}"] = [row[j] for row in self.rows]
        return pa.table(columns)

    def write_csv(self, path: Path, delimiter: str = ";") -> None:
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, delimiter=delimiter).writerows(self.rows)

    @classmethod
    def from_rows(cls, attribute: str, rows: Sequence[Sequence[str]]) -> Hierarchy:
        return cls(attribute, tuple(tuple(str(cell) for cell in row) for row in rows))


def read_arx_csv(path: str | Path, attribute: str | None = None, delimiter: str = ";") -> Hierarchy:
    """Read an ARX hierarchy file (no header row) by the rules of every spreadsheet hogo reads
    (`files.csv_table`): UTF-8, UTF-8 with BOM or Shift_JIS from Excel; a file in no encoding,
    cut short or with a broken record is refused naming its line, never a traceback."""
    p = Path(path)
    name = attribute or p.stem
    if not p.is_file():
        raise InputError("階層ファイルが見つかりません。", "hierarchy file not found", field=name)
    text, _ = csv_table.decode(p.read_bytes(), p.name)
    rows = [row for _, row in csv_table.records(text, delimiter) if row and any(cell for cell in row)]
    return Hierarchy.from_rows(name, rows)
