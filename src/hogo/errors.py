"""Errors a user can cause, with a message in Japanese and English and no personal data."""

from __future__ import annotations


class HogoError(Exception):
    """Base for errors shown to users; `ja` first, `en` for the English interface."""

    def __init__(self, ja: str, en: str | None = None) -> None:
        super().__init__(en or ja)
        self.ja = ja
        self.en = en or ja

    def __str__(self) -> str:
        return f"{self.ja} / {self.en}" if self.en != self.ja else self.ja


class InputError(HogoError):
    """Bad input: a file, a row or a field. Always names where, never the value itself."""

    def __init__(self, ja: str, en: str | None = None, *, row: int | None = None, field: str | None = None):
        where_ja = "".join([f"{row}行目 " if row is not None else "", f"項目 {field}: " if field else ""])
        where_en = "".join([f"row {row} " if row is not None else "", f"field {field}: " if field else ""])
        super().__init__(where_ja + ja, where_en + (en or ja))
        self.row = row
        self.field = field


class NotFound(HogoError):
    pass


class Conflict(HogoError):
    pass


class StoreBusy(HogoError):
    """Another writer held the store's lock longer than the lock timeout: nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            "データベースが他の処理(一括取込み等)で使用中のため、処理できませんでした。何も変更されていません。"
            "しばらくしてから再度お試しください。",
            "the store is busy with another operation (e.g. a bulk import); nothing was changed. "
            "Try again shortly.",
        )
