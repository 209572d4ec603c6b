"""The recipient's confirmation file: per identifier, when and how it obtained the person's consent.

Read whole and checked before anything is exported: an empty or repeated identifier, a time that
is not a time, an empty method or a `foreign_info_given` that is neither true nor false stops the
export, every problem named by its row and field (never the value), because a confirmation file
that cannot be read cannot confirm anything (法31条1項). CSV as spreadsheets in Japan save it:
UTF-8, UTF-8 with BOM or CP932 (`hogo.files.csv_table`).
"""

from __future__ import annotations

from pathlib import Path

from hogo.domain.clock import parse_instant
from hogo.domain.related_info import Confirmation
from hogo.errors import InputError
from hogo.files.consent_csv import RowProblem, parse_bool, raise_for_problems
from hogo.files.csv_table import CsvRow, read_csv

REQUIRED = ("identifier", "consent_obtained_at", "method")
OPTIONAL = ("foreign_info_given",)
#: A method is a short description (a web form, an app's consent screen); longer is refused.
METHOD_CHARS = 200


def read_confirmations(path: Path) -> dict[str, Confirmation]:
    """Each identifier's confirmation; any problem refuses the whole file (row and field named)."""
    found: dict[str, Confirmation] = {}
    problems: list[RowProblem] = []
    for row in read_csv(path, REQUIRED, OPTIONAL):
        confirmation = _parsed(row, problems)
        if confirmation is None:
            continue
        if confirmation.identifier in found:
            problems.append(RowProblem(row.number, "identifier", "重複しています / duplicate"))
            continue
        found[confirmation.identifier] = confirmation
    try:
        raise_for_problems(problems)
    except InputError as exc:
        raise InputError(
            f"提供先の確認結果を読めないため、何も提供しません(法31条1項1号)。{exc.ja}",
            f"the recipient's confirmations cannot be read, so nothing is provided (art. 31(1)(i)). {exc.en}",
            field="confirmations.path",
        ) from None
    return found


def _parsed(row: CsvRow, problems: list[RowProblem]) -> Confirmation | None:
    values, before = row.values, len(problems)
    identifier, method = values["identifier"], values["method"]
    if not identifier:
        problems.append(RowProblem(row.number, "identifier", "空欄です / empty"))
    if not method or len(method) > METHOD_CHARS:
        length = f"1〜{METHOD_CHARS}文字で書いてください / 1–{METHOD_CHARS} characters"
        problems.append(RowProblem(row.number, "method", length))
    try:
        obtained = parse_instant(values["consent_obtained_at"])
    except ValueError:
        problems.append(RowProblem(row.number, "consent_obtained_at", "日時ではありません / not a date-time"))
    given: bool | None = None
    if values.get("foreign_info_given"):
        try:
            given = parse_bool(values["foreign_info_given"])
        except ValueError as exc:
            problems.append(RowProblem(row.number, "foreign_info_given", str(exc)))
    if len(problems) > before:
        return None
    return Confirmation(row.number, identifier, obtained, method, given)
