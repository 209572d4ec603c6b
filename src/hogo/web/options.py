"""The options of a select or a radio group: each code with its title in the page's language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hogo.domain.display import Labelled


@dataclass(frozen=True)
class Option:
    value: str
    label: str


def options(codes: Iterable[Labelled], lang: str) -> tuple[Option, ...]:
    """One option per code, in the enum's order (str() of a StrEnum member is its value)."""
    return tuple(Option(str(code), code.text(lang)) for code in codes)
