"""How hogo writes dates, times and countries for people: 2023年4月12日 9:00 (Japan time), 日本.

One place, so the console, the reason messages, the documents and the CLI's human output say a
moment the same way; JSON and the API keep ISO-8601 and codes. Pure functions (no I/O): the
domain builds its reason messages with them. Country names come from CLDR through Babel, a
maintained source, rather than a hand-kept table.

The titles of hogo's own codes (purposes' kinds, consent actions, incident types, roles …) are
kept once, in titles.toml next to this module, and read through `Labelled` enums and
`title_pair`: every front end and document shows a code by the same words.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache
from importlib import resources
from typing import cast

from babel import Locale

from hogo.domain.clock import to_jst

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_text(day: date | datetime | None, lang: str = "ja") -> str:
    """2024年6月1日 / 1 Jun 2024; a datetime is first taken to Japan time; None is 「—」."""
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = to_jst(day).date()
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def datetime_text(value: datetime | None, lang: str = "ja") -> str:
    """A moment in Japan time, to the minute: 2023年4月12日 9:00 / 12 Apr 2023 9:00."""
    if value is None:
        return "—"
    jst = to_jst(value)
    return f"{date_text(jst.date(), lang)} {jst.hour}:{jst.minute:02d}"


def pick(pair: tuple[str, str], lang: str = "ja") -> str:
    """The English of a (Japanese, English) pair for "en", else the Japanese."""
    return pair[1] if lang == "en" else pair[0]


@cache
def _titles() -> dict[str, dict[str, tuple[str, str]]]:
    """titles.toml, read once: it ships with the package (constant data, like Babel's CLDR)."""
    text = resources.files(__package__).joinpath("titles.toml").read_text(encoding="utf-8")
    catalogue = tomllib.loads(text)
    return {table: {key: (ja, en) for key, (ja, en) in rows.items()} for table, rows in catalogue.items()}


def title_pair(table: str, key: str) -> tuple[str, str]:
    """(Japanese, English) title of `key` in the catalogue's `table`; a key without one is shown as is."""
    return _titles()[table].get(key, (key, key))


def title_keys(table: str) -> frozenset[str]:
    """The keys the catalogue titles in `table` (tests hold the enums and the catalogue in step)."""
    return frozenset(_titles()[table])


class Labelled:
    """Mixin for an enum people read by its title: `class Encryption(Labelled, StrEnum)`.

    The value stays the code machines see; the title is the catalogue's entry [ClassName] name.
    """

    __slots__ = ()

    @property
    def titles(self) -> tuple[str, str]:
        member = cast(Enum, self)
        return title_pair(type(member).__name__, member.name)

    @property
    def ja(self) -> str:
        return self.titles[0]

    @property
    def en(self) -> str:
        return self.titles[1]

    def text(self, lang: str = "ja") -> str:
        return pick(self.titles, lang)


@dataclass(frozen=True, slots=True)
class Named:
    """Something people know by its title and machines by its id (a purpose, a recipient …)."""

    id: str
    title: str
    title_en: str | None = None

    def text(self, lang: str = "ja") -> str:
        return (self.title_en or self.title) if lang == "en" else self.title


def value_text(value: object, lang: str = "ja") -> str:
    """Any value as a person reads it inside a sentence: titles, dates and times as above."""
    if isinstance(value, Named):
        return value.text(lang)
    if isinstance(value, datetime):
        return datetime_text(value, lang)
    if isinstance(value, date):
        return date_text(value, lang)
    return str(value)


def machine_text(value: object) -> str:
    """The same value for machines (JSON, the API): the id, ISO-8601 for dates and times."""
    if isinstance(value, Named):
        return value.id
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@cache
def _territories(lang: str) -> dict[str, str]:
    return dict(Locale("en" if lang == "en" else "ja").territories)


def country_name(code: str, lang: str = "ja") -> str:
    """日本 for JP (CLDR's name); an unknown code is shown as given."""
    return _territories(lang).get(code.upper(), code) if code else "—"
