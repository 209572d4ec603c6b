"""Render the readiness report to HTML (Jinja2) and PDF (WeasyPrint, Noto CJK for Japanese).

WeasyPrint needs Pango and a Japanese font on the machine (Debian: `fonts-noto-cjk`); it is
imported only when a PDF is asked for, so HTML and the rest of hogo work without it.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from hogo.domain.display import date_text, datetime_text
from hogo.reports.pdf import html_to_pdf
from hogo.reports.readiness.context import ReadinessReport
from hogo.reports.readiness.labels import LABELS

_env = Environment(
    loader=PackageLoader("hogo.reports.readiness", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: ReadinessReport) -> str:
    labels = LABELS.get(report.lang, LABELS["ja"])
    return _env.get_template("report.html").render(
        r=report,
        t=labels,
        day=lambda d: date_text(d, report.lang),
        when=lambda d: datetime_text(d, report.lang),
    )


def render_pdf(report: ReadinessReport) -> bytes:
    return html_to_pdf(render_html(report))
