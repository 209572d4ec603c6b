"""Read the device and backup inventory from the spreadsheet a company already keeps, or YAML.

Excel in Japan saves CSV as CP932; newer versions write UTF-8 with a BOM. Both are read. Headers
may be the English field names or the Japanese ones below. A file with an unknown column, a bad
date or a bad flag is refused as a whole, naming the row and the field, never the value.
Rows are numbered as the spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hogo.domain.readiness.assets import Asset
from hogo.domain.readiness.backups import BackupJob
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import QUESTION_IDS, Answer
from hogo.errors import InputError, cut
from hogo.files import csv_table
from hogo.files.yaml_document import line_of, load_user_yaml

M = TypeVar("M", bound=BaseModel)

ASSET_HEADERS: dict[str, str] = {
    "ID": "id", "種別": "kind", "名称": "name", "メーカー": "vendor", "機種": "model", "型番": "model",
    "バージョン": "version", "ファームウェア": "version", "EOL製品": "eol_product",
    "製造日": "manufactured_on", "購入日": "purchased_on", "公開ポート": "exposed_ports", "多要素認証": "mfa",
    "初期パスワード変更済": "default_password_changed", "最終更新日": "last_patched_on",
    "管理責任者": "owner",
    "テレワーク": "telework", "所有": "ownership",
}  # fmt: skip
BACKUP_HEADERS: dict[str, str] = {
    "ID": "id", "対象": "source", "保存先": "target", "媒体": "media", "世代数": "generations",
    "オフライン": "offline", "イミュータブル": "immutable", "遠隔地": "offsite",
    "最終復元テスト日": "last_restore_test_on", "復元テストエラー数": "restore_test_errors",
}  # fmt: skip
_BOOL_FIELDS = {"mfa", "default_password_changed", "telework", "offline", "immutable", "offsite"}
_DATE_FIELDS = {"manufactured_on", "purchased_on", "last_patched_on", "last_restore_test_on"}
_TRUE = {"yes", "y", "true", "1", "はい", "あり", "有", "済", "○", "〇"}
_FALSE = {"no", "n", "false", "0", "いいえ", "なし", "無", "未", "×"}


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else CP932 (Excel's Japanese CSV)."""
    return csv_table.decode(raw, "inventory")[0]


def _flag(text: str, row: int, name: str) -> bool | None:
    t = text.strip().casefold()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise InputError("はい/いいえ(yes/no)で記入してください", "write yes or no", row=row, field=name)


def _date(text: str, row: int, name: str) -> date | None:
    t = text.strip()
    if not t:
        return None
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", t)
    try:
        if m is None:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise InputError("日付は YYYY-MM-DD(または YYYY/MM/DD)で記入してください",
                         "dates are YYYY-MM-DD (or YYYY/MM/DD)", row=row, field=name) from None  # fmt: skip


def _ports(text: str, row: int) -> list[int]:
    parts = [p for p in re.split(r"[\s,;、/]+", text.strip()) if p]
    if not all(p.isdigit() for p in parts):
        ja = "ポート番号を数字で区切って記入してください(例: 443;3389)"
        raise InputError(
            ja, "list port numbers separated by ';' (e.g. 443;3389)", row=row, field="exposed_ports"
        )
    return [int(p) for p in parts]


def _cell(name: str, text: str, row: int) -> Any:
    if name in _BOOL_FIELDS:
        return _flag(text, row, name)
    if name in _DATE_FIELDS:
        return _date(text, row, name)
    if name == "exposed_ports":
        return _ports(text, row)
    if name in ("generations", "restore_test_errors"):
        t = text.strip()
        if not t:
            return None
        if not t.isdigit():
            raise InputError("0 以上の整数で記入してください", "write a whole number", row=row, field=name)
        return int(t)
    return text.strip()


def _validate(model: type[M], values: Mapping[str, Any], row: int) -> M:
    clean = {k: v for k, v in values.items() if v is not None and v != ""}
    try:
        return model.model_validate(clean)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise InputError(
            f"値が不正です({err['type']})", f"invalid value: {err['msg']}", row=row, field=field
        ) from None


def read_csv(raw: bytes) -> Inventory:
    """One CSV: assets (has a kind/種別 column) or backup jobs (has a source/対象 column)."""
    reader = csv_table.records(decode(raw))
    first = next(reader, None)
    if first is None or not first[1]:
        raise InputError("CSV が空です", "the CSV is empty")
    header = [csv_table.normalise_cell(h) for h in first[1]]
    is_backup = any(h in ("source", "対象") for h in header)
    aliases = BACKUP_HEADERS if is_backup else ASSET_HEADERS
    model: type[Asset] | type[BackupJob] = BackupJob if is_backup else Asset
    names = [aliases.get(h, h) for h in header]
    known = set(model.model_fields)
    for col, name in enumerate(names, start=1):
        if name not in known:
            raise InputError(
                f"{col} 列目の見出しは不明な項目です",
                f"column {col} is not a known field",
                row=1,
                field=cut(name),
            )
    if len(set(names)) != len(names):
        raise InputError("見出しが重複しています", "a column appears twice", row=1)
    items: list[Any] = []
    seen: set[str] = set()
    for row, cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            raise InputError(
                f"列の数が見出しと違います({len(cells)} 列)",
                f"{len(cells)} cells, header has {len(names)}",
                row=row,
            )
        values = {n: _cell(n, csv_table.normalise_cell(c), row) for n, c in zip(names, cells, strict=True)}
        item = _validate(model, values, row)
        _unique_id(item.id, seen, row)
        items.append(item)
    return Inventory(backups=tuple(items)) if is_backup else Inventory(assets=tuple(items))


def _unique_id(item_id: str, seen: set[str], row: int) -> None:
    if item_id in seen:
        raise InputError("ID が重複しています", "duplicate id", row=row, field="id")
    seen.add(item_id)


def _answer(value: Any, key: str) -> Answer:
    if value is True:  # YAML reads a bare yes/no as a boolean
        return Answer.yes
    if value is False:
        return Answer.no
    try:
        return Answer(str(value).strip())
    except ValueError:
        ja = "回答は yes/partial/no/unknown/not_applicable のいずれかです"
        en = "answer with yes, partial, no, unknown or not_applicable"
        raise InputError(ja, en, field=f"answers.{cut(key)}") from None


def read_answers(data: Any) -> dict[str, Answer]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InputError(
            "answers は「質問ID: 回答」の対応表です", "answers maps question ids to answers", field="answers"
        )
    result: dict[str, Answer] = {}
    for key, value in data.items():
        if key not in QUESTION_IDS:
            raise InputError("不明な質問 ID です", "unknown question id", field=f"answers.{cut(key)}")
        result[str(key)] = _answer(value, str(key))
    return result


def read_yaml(raw: bytes) -> tuple[Inventory, dict[str, Answer]]:
    """`assets:`, `backups:` and `answers:` sections; errors name the item's line in the file."""
    text = decode(raw)
    data = load_user_yaml(text, "inventory") or {}
    if not isinstance(data, Mapping):
        raise InputError("YAML の最上位は assets/backups/answers の対応表です", "top level must be a mapping")
    extra = set(data) - {"assets", "backups", "answers"}
    if extra:
        raise InputError("不明な項目があります", "unknown section", field=cut(sorted(map(str, extra))[0]))
    parsed: dict[str, list[Any]] = {"assets": [], "backups": []}
    sections: tuple[tuple[str, type[Asset] | type[BackupJob]], ...] = (
        ("assets", Asset),
        ("backups", BackupJob),
    )
    for section, model in sections:
        seen: set[str] = set()
        items = data.get(section)
        items = [] if items is None else items
        if not isinstance(items, list):
            raise InputError("一覧(リスト)で記入してください", "must be a list", field=section)
        for i, item in enumerate(items):
            line = line_of(text, (section, i)) or i + 1
            if not isinstance(item, Mapping):
                raise InputError(
                    "各項目は対応表で記入してください", "each item is a mapping", row=line, field=section
                )
            parsed_item = _validate(model, dict(item), line)
            _unique_id(parsed_item.id, seen, line)
            parsed[section].append(parsed_item)
    inventory = Inventory(assets=tuple(parsed["assets"]), backups=tuple(parsed["backups"]))
    return inventory, read_answers(data.get("answers"))


def read_inventory_file(path: Path) -> tuple[Inventory, dict[str, Answer]]:
    try:
        raw = path.read_bytes()
    except OSError:
        raise InputError("ファイルを読めません", "cannot read the file", field=path.name) from None
    if path.suffix.casefold() in (".yaml", ".yml"):
        return read_yaml(raw)
    if path.suffix.casefold() == ".csv":
        return read_csv(raw), {}
    raise InputError("CSV か YAML のファイルを指定してください", "give a .csv or .yaml file", field=path.name)


def merge(parts: list[Inventory]) -> Inventory:
    """Several files into one inventory; a repeated id is an error, not a silent overwrite."""
    try:
        return Inventory(
            assets=tuple(a for p in parts for a in p.assets),
            backups=tuple(b for p in parts for b in p.backups),
        )
    except ValidationError:
        raise InputError(
            "複数のファイルで ID が重複しています", "an id appears in two files", field="id"
        ) from None
