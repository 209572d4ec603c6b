"""Errors a user can cause, with a message in Japanese and English and no personal data."""

from __future__ import annotations


class HogoError(Exception):
    """Base for errors shown to users; `ja` first, `en` for the English interface."""

    #: The stable category machines branch on (API error bodies, `--json` errors of the CLI).
    code = "rejected"

    def __init__(self, ja: str, en: str | None = None) -> None:
        super().__init__(en or ja)
        self.ja = ja
        self.en = en or ja

    def __str__(self) -> str:
        return f"{self.ja} / {self.en}" if self.en != self.ja else self.ja


class InputError(HogoError):
    """Bad input: a file, a row or a field. Always names where, never the value itself."""

    code = "invalid_input"

    def __init__(self, ja: str, en: str | None = None, *, row: int | None = None, field: str | None = None):
        where_ja = "".join([f"{row}行目 " if row is not None else "", f"項目 {field}: " if field else ""])
        where_en = "".join([f"row {row} " if row is not None else "", f"field {field}: " if field else ""])
        super().__init__(where_ja + ja, where_en + (en or ja))
        self.row = row
        self.field = field
        #: The problem without where it is, for a form that names the field by its own label.
        self.problem = (ja, en or ja)


class NotFound(HogoError):
    code = "not_found"


class Conflict(HogoError):
    code = "conflict"


def cut(value: object, limit: int = 32) -> str:
    """A value shortened for an error message (the one helper for it): at most `limit` characters,
    control characters shown as `?`. Use only for values that are not personal data (column
    names, keys, ids an operator typed); personal values are never shown at all."""
    text = str(value)
    head = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return head if len(text) <= limit else head[: limit - 1] + "…"


def cut_list(values: list[str] | tuple[str, ...], shown: int = 5) -> str:
    """The first few values, each cut short, and how many more: a 100k-column header stays one line."""
    more = len(values) - shown
    return ", ".join(cut(v) for v in values[:shown]) + (f" (+{more})" if more > 0 else "")


class StoreBusy(HogoError):
    """Another writer held the store's lock longer than the lock timeout: nothing was changed."""

    code = "busy"

    def __init__(self) -> None:
        super().__init__(
            "データベースが他の処理(一括取込み等)で使用中のため、処理できませんでした。何も変更されていません。"
            "しばらくしてから再度お試しください。",
            "the store is busy with another operation (e.g. a bulk import); nothing was changed. "
            "Try again shortly.",
        )
