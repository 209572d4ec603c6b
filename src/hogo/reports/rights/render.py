"""Render the answer to a rights request: the notice of the result (and the reasons for what
is not done, 法36条), with what a disclosure or a notification of purposes gives enclosed.

A disclosure's contents are the disclosure answer's own (`reports.disclosure`): one document
of what hogo holds about a person, whether asked for by the officer or by the person.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from hogo.domain.display import country_name, date_text, datetime_text, pick
from hogo.domain.rights.answer import Notice
from hogo.domain.rights.kinds import RequestKind
from hogo.domain.rights.request import DisclosureSection
from hogo.reports.disclosure.render import render_body
from hogo.reports.pdf import html_to_pdf

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(
    when=lambda v: datetime_text(datetime.fromisoformat(v)) if v else "—",
    day=lambda v: date_text(datetime.fromisoformat(v)) if v else "—",
    country=country_name,
)

TITLE = ("本人からの請求に対する回答", "Answer to your request")
#: The answer's formats and their media types (every front end that serves it uses these).
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


def answer_json(
    notice: Notice, content: dict[str, Any] | None, organization: dict[str, Any]
) -> dict[str, Any]:
    """The answer as data: the notice, the business answering, and what it encloses."""
    return {
        "title": TITLE[0],
        "organization": organization,
        "notice": notice.model_dump(mode="json"),
        "kind_title": {"ja": notice.kind.ja, "en": notice.kind.en},
        "outcome_title": {"ja": notice.outcome.ja, "en": notice.outcome.en},
        "content": content,
    }


def _context(
    notice: Notice, content: dict[str, Any] | None, organization: dict[str, Any], lang: str
) -> dict[str, Any]:
    enclosed = ""  # the disclosure's own page body, already rendered by an autoescaping template
    if content is not None and notice.kind is RequestKind.disclosure:
        enclosed = render_body(content)
    return {
        "n": notice,
        "org": organization,
        "purposes": (content or {}).get("purposes_of_use", [])
        if notice.kind is RequestKind.purpose_notice
        else [],
        "enclosed": Markup(enclosed),
        "withheld": [DisclosureSection(w).text(lang) for w in (content or {}).get("withheld", [])],
        "lang": lang,
        "title": pick(TITLE, lang),
    }


def render_html(
    notice: Notice, content: dict[str, Any] | None, organization: dict[str, Any], lang: str = "ja"
) -> str:
    return _ENV.get_template("answer.html").render(_context(notice, content, organization, lang))


def render_fragment(
    notice: Notice, content: dict[str, Any] | None, organization: dict[str, Any], lang: str = "ja"
) -> Markup:
    """The answer's body without the page around it, for a page that shows it (the privacy
    center); escaped as the whole document is."""
    return Markup(
        _ENV.get_template("_answer_body.html").render(_context(notice, content, organization, lang))
    )


def render_pdf(notice: Notice, content: dict[str, Any] | None, organization: dict[str, Any]) -> bytes:
    return html_to_pdf(render_html(notice, content, organization))


def render_bytes(
    fmt: str, notice: Notice, content: dict[str, Any] | None, organization: dict[str, Any], lang: str = "ja"
) -> bytes:
    """The answer in `fmt` (html, pdf or json)."""
    if fmt == "pdf":
        return render_pdf(notice, content, organization)
    if fmt == "json":
        doc = answer_json(notice, content, organization)
        return json.dumps(doc, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return render_html(notice, content, organization, lang).encode("utf-8")
