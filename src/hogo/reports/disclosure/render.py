"""Render the disclosure answer; autoescaped, since every value comes from stored data."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hogo.domain.consent import ConsentMethod
from hogo.domain.display import country_name, date_text, datetime_text

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _method(value: str) -> str:
    """A consent method's Japanese name; a value this version does not know is shown as stored."""
    known = ConsentMethod._value2member_map_.get(value)
    return known.ja if isinstance(known, ConsentMethod) else value


def _when(value: str | None) -> str:
    """The answer (JSON) keeps ISO-8601; the person reads 2023年4月12日 9:00."""
    return datetime_text(datetime.fromisoformat(value)) if value else "—"


def _day(value: str | None) -> str:
    return date_text(date.fromisoformat(value[:10])) if value else "—"


_ENV.filters.update(
    when=_when,
    day=_day,
    country=country_name,
    method=_method,
)


def render_html(answer: dict[str, Any]) -> str:
    titles = {p["id"]: p["title"] for p in answer.get("purposes_of_use", [])}
    return _ENV.get_template("disclosure.html").render(a=answer, titles=titles)


def render_body(answer: dict[str, Any]) -> str:
    """The answer's contents without the page around them, for a document that encloses them
    (the answer to a rights request, `reports.rights`); escaped like the whole page."""
    titles = {p["id"]: p["title"] for p in answer.get("purposes_of_use", [])}
    return _ENV.get_template("_body.html").render(a=answer, titles=titles)
