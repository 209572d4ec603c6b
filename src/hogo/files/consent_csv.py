"""Subjects and consent events from spreadsheets, every bad row reported by number and field."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from hogo.domain.clock import OutOfSpan, parse_instant
from hogo.domain.consent import ConsentEvent, SubjectPatch
from hogo.errors import InputError
from hogo.files.atomic import atomic_text
from hogo.files.csv_headers import JA_HEADERS, HeaderStyle, header_row
from hogo.files.csv_table import CsvRow, read_csv
from hogo.files.people_csv import people_csv_text

SUBJECT_COLUMNS = ("subject_id",)
#: Absent columns and empty cells are "not given": the stored value stays (an update never wipes).
SUBJECT_OPTIONAL = ("birth_date", "identity_verified", "email", "phone")
EVENT_COLUMNS = ("event_id", "subject_id", "purpose_id", "action", "terms_version", "method", "collected_at")
EVENT_OPTIONAL = ("guardian_name", "guardian_relation", "foreign_transfer_info_given", "evidence")
#: The columns a rejects file adds in front (行, 問題): read and ignored, so the fixed rejects
#: file imports again as it is.
REJECT_COLUMNS = ("row", "problems")

_TRUE = {"true", "1", "yes", "y", "はい", "済", "済み", "有", "あり", "○", "〇"}
_FALSE = {"false", "0", "no", "n", "いいえ", "未", "無", "なし", "×", ""}

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    message: str


@dataclass
class Parsed(Generic[M]):
    items: list[M] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    extras: list[dict[str, str]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rejected: list[CsvRow] = field(default_factory=list)


def parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError("true/false (はい/いいえ) で書いてください / expected true or false")


def _subject_fields(values: dict[str, str]) -> dict[str, Any]:
    """Only the cells that say something: an empty cell leaves the stored value as it is."""
    given: dict[str, Any] = {"subject_id": values["subject_id"]}
    for name in ("birth_date", "email", "phone"):
        if (values.get(name) or "").strip():
            given[name] = values[name]
    if (values.get("identity_verified") or "").strip():
        given["identity_verified"] = parse_bool(values["identity_verified"])
    return given


def _event_fields(values: dict[str, str]) -> dict[str, Any]:
    return {
        "event_id": values["event_id"],
        "subject_id": values["subject_id"],
        "purpose_id": values["purpose_id"],
        "action": values["action"].lower(),
        "terms_version": values["terms_version"] or None,
        "method": (values["method"] or "other").lower(),
        "collected_at": parse_instant(values["collected_at"]),
        "guardian_name": values.get("guardian_name") or None,
        "guardian_relation": values.get("guardian_relation") or None,
        "foreign_transfer_info_given": parse_bool(values.get("foreign_transfer_info_given", "")),
        "evidence": values.get("evidence") or None,
    }


def _parse(
    rows: Iterable[CsvRow],
    model: type[M],
    convert: Callable[[dict[str, str]], dict[str, Any]],
    bool_fields: tuple[str, ...],
) -> Parsed[M]:
    result: Parsed[M] = Parsed()
    for row in rows:
        try:
            data = convert(row.values)
        except ValueError as exc:
            bad = _first_bad_field(row.values, bool_fields)
            message = (
                f"日時が扱える範囲の外です / date-time out of range ({exc})"
                if isinstance(exc, OutOfSpan)
                else "値の形式が正しくありません / invalid value"
            )
            result.problems.append(RowProblem(row.number, bad, message))
            result.rejected.append(row)
            continue
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False, include_input=False):
                name = str(err["loc"][0]) if err["loc"] else "(row)"
                result.problems.append(RowProblem(row.number, name, err["msg"].removeprefix("Value error, ")))
            result.rejected.append(row)
            continue
        result.items.append(item)
        result.rows.append(row.number)
        result.extras.append(row.values)
    return result


def _first_bad_field(values: dict[str, str], bool_fields: tuple[str, ...]) -> str:
    for name in bool_fields:
        if name in values:
            try:
                parse_bool(values[name])
            except ValueError:
                return name
    if "collected_at" in values:
        try:
            parse_instant(values["collected_at"])
        except ValueError:
            return "collected_at"
    return "(row)"


def parse_subjects(path: Path) -> Parsed[SubjectPatch]:
    """Subjects; one id twice in a file is a problem on the later row (it would silently win)."""
    rows = read_csv(path, SUBJECT_COLUMNS, SUBJECT_OPTIONAL + REJECT_COLUMNS)
    parsed = _parse(rows, SubjectPatch, _subject_fields, ("identity_verified",))
    first: dict[str, int] = {}
    keep: list[int] = []
    by_number = {r.number: r for r in rows}  # a scan per repeated id was quadratic: hours for 1M rows
    for index, (item, number) in enumerate(zip(parsed.items, parsed.rows, strict=True)):
        if item.subject_id in first:
            earlier = first[item.subject_id]
            message = f"{earlier}行目と同じ本人IDです / same id as row {earlier}"
            parsed.problems.append(RowProblem(number, "subject_id", message))
            parsed.rejected.append(by_number[number])
        else:
            first[item.subject_id] = number
            keep.append(index)
    if len(keep) != len(parsed.items):
        parsed.items = [parsed.items[i] for i in keep]
        parsed.rows = [parsed.rows[i] for i in keep]
        parsed.extras = [parsed.extras[i] for i in keep]
        parsed.problems.sort(key=lambda p: p.row)
    return parsed


def parse_events(path: Path) -> Parsed[ConsentEvent]:
    rows = read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL + REJECT_COLUMNS)
    return _parse(rows, ConsentEvent, _event_fields, ("foreign_transfer_info_given",))


def raise_for_problems(problems: list[RowProblem], limit: int = 20) -> None:
    """All-or-nothing imports: any bad row stops the whole file, naming rows and fields."""
    if not problems:
        return
    shown = problems[:limit]
    more = len(problems) - len(shown)
    detail = "; ".join(f"{p.row}行目 {p.field}: {p.message}" for p in shown)
    detail_en = "; ".join(f"row {p.row} field {p.field}: {p.message}" for p in shown)
    suffix_ja = f" ほか{more}件" if more else ""
    suffix_en = f" and {more} more" if more else ""
    raise InputError(
        f"{len(problems)}件の誤りがあるため、何も取り込みませんでした: {detail}{suffix_ja}",
        f"{len(problems)} problem(s); nothing was imported: {detail_en}{suffix_en}",
    )


def settle_problems(
    parsed: Parsed[Any],
    source: Path,
    rejects: Path | None,
    skip_bad: bool,
    headers: HeaderStyle = HeaderStyle.ja,
) -> Path | None:
    """All or nothing, unless the user chose `--skip-bad`: then the rejects go to a file."""
    if not skip_bad:
        raise_for_problems(parsed.problems)
    if not parsed.problems:
        return None
    path = rejects or source.with_name(source.stem + ".rejects.csv")
    write_rejects(path, parsed.problems, parsed.rejected, headers)
    return path


def write_rejects(
    path: Path, problems: list[RowProblem], rejected: list[CsvRow], headers: HeaderStyle = HeaderStyle.ja
) -> None:
    """The rejected rows with their problems, for the person who fixes the spreadsheet.

    Japanese headings by default (the field in each problem too); the importers read either
    style and skip the 行 / 問題 columns, so the fixed file is imported again as it is."""
    by_row: dict[int, list[str]] = {}
    for p in problems:
        name = p.field if headers is HeaderStyle.machine else JA_HEADERS.get(p.field, p.field)
        by_row.setdefault(p.row, []).append(f"{name}: {p.message}")
    columns = [c for c in (rejected[0].values if rejected else ()) if c not in REJECT_COLUMNS]
    rows = (
        [r.number, " | ".join(by_row.get(r.number, [])), *(r.values.get(c, "") for c in columns)]
        for r in rejected
    )
    with atomic_text(path, encoding="utf-8-sig", newline="") as handle:
        handle.write(people_csv_text(header_row([*REJECT_COLUMNS, *columns], headers), rows))
