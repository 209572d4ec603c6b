"""Console text, Japanese first with English; legal terms as the Act writes them.

The console's own sentences and headings are in messages.toml next to this module; the titles of
codes (purposes' kinds, actions, incident types …) are the domain's (`Labelled.text(lang)`), so
the console, the CLI and the documents name a code alike. The language comes from `?lang=`
(remembered in a cookie), then the cookie, then the setting.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib import resources

from hogo.domain import reasons as R
from hogo.domain.display import pick

LANGS = ("ja", "en")

_CATALOGUE = tomllib.loads(resources.files(__package__).joinpath("messages.toml").read_text(encoding="utf-8"))


def _texts(table: str) -> dict[str, tuple[str, str]]:
    """One table of messages.toml: each key's [Japanese, English] as a pair."""
    return {key: (ja, en) for key, (ja, en) in _CATALOGUE[table].items()}


MESSAGES = _texts("messages")
#: Why persons were left out of a release, per reason code, written for a count of persons.
EXCLUSION_TEXTS = _texts("exclusions")
#: What each reason of a decision means, said to the person in the privacy center.
MEMBER_REASONS = _texts("member_reasons")


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        text = pick(MESSAGES[key], lang)
        return text.format(**values) if values else text

    return t


def exclusion_text(code: str, lang: str) -> tuple[str, str]:
    """(explanation, article) for a reason code; unknown codes fall back to the catalogue."""
    kind = R.BY_CODE.get(code)
    article = kind.article if kind is not None and "{" not in kind.article else ""
    if code in EXCLUSION_TEXTS:
        return pick(EXCLUSION_TEXTS[code], lang), article
    return ("other reason in the policy" if lang == "en" else "ポリシー上のその他の理由"), article


def member_reason(code: str, lang: str) -> str:
    """A reason in the person's words; the formal message stands beside it on the page."""
    known = MEMBER_REASONS.get(code)
    return pick(known, lang) if known else ""
