"""Render the disclosure answer; autoescaped, since every value comes from stored data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(answer: dict[str, Any]) -> str:
    return _ENV.get_template("disclosure.html").render(a=answer)
