"""How the console shows a run (a release, a profile job): its summary in a list, and its
manifest read for its page — the sections found there, figures with their labels, the exclusions
with their reasons in words, the bases of the persons included, and a failed run's error in the
page's language.

A manifest is JSON written by the run; a section missing or of another type reads as empty, so
a page shows what there is and never fails on an old or partial manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol, TypeVar

from hogo.domain.display import pick, title_pair
from hogo.domain.policy import Policy
from hogo.web.i18n import exclusion_text


@dataclass(frozen=True)
class Figure:
    label: str
    value: int


@dataclass(frozen=True)
class ExclusionRow:
    code: str
    text: str
    article: str
    persons: int


def error_text(text: str | None, lang: str) -> str | None:
    """Errors are stored as Japanese, a line break, English (or one line for both)."""
    if text is None:
        return None
    ja, _, en = text.partition("\n")
    return en if lang == "en" and en else ja


def as_int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def section(manifest: dict[str, Any], key: str) -> dict[str, Any]:
    value = manifest.get(key)
    return value if isinstance(value, dict) else {}


def exclusions(manifest: dict[str, Any], lang: str) -> tuple[ExclusionRow, ...]:
    """Each exclusion count with its reason in words (the manifest's `excluded_by_reason`)."""
    rows = []
    for code, n in section(manifest, "excluded_by_reason").items():
        text, article = exclusion_text(str(code), lang)
        rows.append(ExclusionRow(str(code), text, article, as_int(n)))
    return tuple(sorted(rows, key=lambda r: (-r.persons, r.code)))


def bases(manifest: dict[str, Any], lang: str) -> tuple[Figure, ...]:
    """How many persons were included on each legal basis (the manifest's `bases`)."""
    return tuple(
        Figure(pick(title_pair("Basis", b), lang), as_int(n)) for b, n in section(manifest, "bases").items()
    )


class Run(Protocol):
    """What the services record of a run (`ReleaseInfo`, `ProfileInfo`) that a summary names."""

    @property
    def purpose(self) -> str: ...

    @property
    def status(self) -> str: ...


Summary = TypeVar("Summary")


def run_summary(cls: type[Summary], info: Run, policy: Policy | None, lang: str, **computed: Any) -> Summary:
    """A run's line in a list (a dataclass): the purpose's title and the status in words, what
    the caller computes, and every other field read from `info` by its name."""
    purpose = policy.purpose(info.purpose) if policy else None
    computed |= {
        "purpose_title": purpose.title if purpose else info.purpose,
        "status_label": pick(title_pair("ReleaseStatus", info.status), lang),
    }
    names = (f.name for f in fields(cls))  # type: ignore[arg-type]
    return cls(**{n: computed[n] if n in computed else getattr(info, n) for n in names})
