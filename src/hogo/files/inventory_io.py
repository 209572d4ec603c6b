"""The 管理台帳 as files: CSV (UTF-8, UTF-8 with BOM or CP932, as Excel writes them) and YAML.

Reading is all-or-nothing: the whole file is checked and the first bad row stops the import with
its row number and column, never its value. Lists inside a CSV cell are separated by `;`. The
subject query column reads `all`, `id_prefix:<prefix>` or is empty; an explicit list of subject
ids goes in `subject_ids` (and makes the scope `listed`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hogo.domain.inventory import Dataset, Inventory, SubjectQueryKind
from hogo.errors import InputError
from hogo.files.csv_headers import INVENTORY_HEADERS, HeaderStyle, header_row
from hogo.files.csv_table import CsvRow, parse_csv
from hogo.files.people_csv import people_csv
from hogo.files.yaml_document import invalid, parse_mapping

COLUMNS = (
    "id",
    "name",
    "owner",
    "location_kind",
    "location",
    "data_categories",
    "purposes",
    "subjects",
    "subject_ids",
    "count",
    "retention",
    "access_roles",
    "encryption",
    "outsourcees",
)
REQUIRED = ("id", "name")
_LISTS = ("data_categories", "purposes", "access_roles", "outsourcees")
_SCALARS = ("name", "owner", "location_kind", "location", "retention", "encryption")
CSV_ENCODINGS = ("utf-8", "utf-8-sig", "cp932")


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _scope(values: dict[str, str], number: int) -> dict[str, Any]:
    query = values.get("subjects", "")
    ids = _split(values.get("subject_ids", ""))
    if ids:
        if query:
            raise InputError(
                "subjects と subject_ids は同時に指定できません。",
                "give either a subject query or a subject list, not both.",
                row=number,
                field="subjects",
            )
        return {"kind": SubjectQueryKind.listed.value, "subject_ids": ids}
    if not query:
        return {"kind": SubjectQueryKind.none.value}
    if query == "all":
        return {"kind": SubjectQueryKind.all.value}
    if query.startswith("id_prefix:") and query.removeprefix("id_prefix:"):
        return {"kind": SubjectQueryKind.id_prefix.value, "value": query.removeprefix("id_prefix:")}
    raise InputError(
        "all、id_prefix:<接頭辞>、又は空欄で指定してください。",
        "expected all, id_prefix:<prefix> or empty.",
        row=number,
        field="subjects",
    )


def _dataset(row: CsvRow) -> Dataset:
    v = row.values
    data: dict[str, Any] = {"id": v.get("id", "")}
    for key in _SCALARS:
        if v.get(key):
            data[key] = v[key]
    for key in _LISTS:
        data[key] = _split(v.get(key, ""))
    if v.get("count"):
        data["count"] = v["count"].replace(",", "")
    data["subjects"] = _scope(v, row.number)
    try:
        return Dataset.model_validate(data)
    except ValidationError as exc:
        loc = exc.errors(include_url=False, include_input=False)[0]["loc"]
        field = str(loc[0]) if loc else None
        raise InputError("値が正しくありません。", "invalid value.", row=row.number, field=field) from None


def parse_inventory_csv(data: bytes, source: str = "CSV") -> Inventory:
    """Either header style reads: an export edited in Excel imports again as it is."""
    optional = [c for c in COLUMNS if c not in REQUIRED]
    rows = parse_csv(data, REQUIRED, optional, source=source, headers=INVENTORY_HEADERS)
    datasets: list[Dataset] = []
    seen: set[str] = set()
    for row in rows:
        dataset = _dataset(row)
        if dataset.id in seen:
            raise InputError("id が重複しています。", "duplicate id.", row=row.number, field="id")
        seen.add(dataset.id)
        datasets.append(dataset)
    return Inventory(datasets=tuple(datasets))


def parse_inventory_yaml(text: str, source: str = "YAML") -> Inventory:
    data = parse_mapping(text, source, "datasets の一覧を書いてください。", "expected `datasets:`.")
    try:
        return Inventory.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, source, text=text, field=_field(exc)) from None


def _field(exc: ValidationError) -> str | None:
    """The first error's key path (`datasets.1.count`); its line is found by `invalid`."""
    loc = exc.errors(include_url=False, include_input=False)[0]["loc"]
    return ".".join(str(p) for p in loc) or None


def load_inventory(path: Path) -> Inventory:
    """By extension: .yaml/.yml as YAML, anything else as CSV."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(
                f"{path}: UTF-8で保存してください。", f"{path}: save the file as UTF-8."
            ) from None
        return parse_inventory_yaml(text, str(path))
    return parse_inventory_csv(data, str(path))


def _cells(d: Dataset) -> list[str]:
    scope = d.subjects
    query = {
        SubjectQueryKind.all: "all",
        SubjectQueryKind.id_prefix: f"id_prefix:{scope.value}",
    }.get(scope.kind, "")
    return [
        d.id,
        d.name,
        d.owner,
        d.location_kind.value,
        d.location,
        ";".join(d.data_categories),
        ";".join(d.purposes),
        query,
        ";".join(scope.subject_ids),
        str(d.count),
        d.retention,
        ";".join(d.access_roles),
        d.encryption.value,
        ";".join(d.outsourcees),
    ]


def dump_inventory_csv(
    inventory: Inventory, encoding: str = "utf-8-sig", headers: HeaderStyle = HeaderStyle.ja
) -> bytes:
    """CP932 for older Excel; a character CP932 lacks stops the export instead of turning into '?'.

    Japanese headings by default (the officer's 台帳); `HeaderStyle.machine` for scripts. Cell
    values stay codes (`nas`, `at_rest`), which is what the import reads back."""
    if encoding not in CSV_ENCODINGS:
        raise InputError(f"未対応の文字コードです: {encoding}", f"unsupported encoding: {encoding}")
    header = header_row(COLUMNS, headers, INVENTORY_HEADERS)
    return people_csv(header, (_cells(d) for d in inventory.datasets), encoding)


def dump_inventory_yaml(inventory: Inventory) -> str:
    data = inventory.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data or {"datasets": []}, allow_unicode=True, sort_keys=False, width=1000)
