"""Render incident documents: HTML (Jinja2), PDF (WeasyPrint with Noto CJK), JSON, and the
notification list as CSV.

WeasyPrint needs Pango and a Japanese font (Debian: `fonts-noto-cjk`); it is imported only when a
PDF is asked for, so the rest of hogo works without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from hogo.errors import HogoError
from hogo.files.csv_headers import HeaderStyle, cell, header_row
from hogo.files.people_csv import people_csv
from hogo.reports.incidents.context import DocumentContext, DocumentKind
from hogo.reports.pdf import html_to_pdf

_env = Environment(
    loader=PackageLoader("hogo.reports.incidents", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)

_TEMPLATES: dict[DocumentKind, str] = {
    DocumentKind.ppc_preliminary: "ppc_report.html",
    DocumentKind.ppc_final: "ppc_report.html",
    DocumentKind.notice_letter: "notice_letter.html",
    DocumentKind.notice_email: "notice_email.html",
    DocumentKind.announcement: "announcement.html",
    DocumentKind.pmark_report: "pmark_report.html",
}


def is_html(kind: DocumentKind) -> bool:
    """Every document is HTML but the e-mail body, which is plain text."""
    return kind is not DocumentKind.notice_email


def render_text(ctx: DocumentContext) -> str:
    """HTML for the printed documents, plain text for the e-mail."""
    return _env.get_template(_TEMPLATES[ctx.kind]).render(c=ctx)


def render_pdf(ctx: DocumentContext) -> bytes:
    if not is_html(ctx.kind):
        raise HogoError(
            "この文書はPDFにできません(メール本文です)。", "this document is an e-mail body, not a PDF."
        )
    return html_to_pdf(render_text(ctx))


def render_json(ctx: DocumentContext) -> dict[str, Any]:
    data = dataclasses.asdict(ctx)
    data["kind"] = ctx.kind.value
    data["organization"] = ctx.organization.model_dump(mode="json")
    return data


@dataclass(frozen=True, slots=True)
class Recipient:
    """One affected person with the channel the notice will go through."""

    subject_id: str
    email: str | None
    phone: str | None

    @property
    def channel(self) -> str:
        if self.email:
            return "email"
        if self.phone:
            return "phone"
        return "none"  # no contact: a public announcement substitutes (規則10条 guidance)


NOTIFICATION_COLUMNS = ("subject_id", "channel", "email", "phone")


def notification_csv(
    recipients: Iterable[Recipient], encoding: str = "utf-8-sig", headers: HeaderStyle = HeaderStyle.ja
) -> bytes:
    """本人ID・連絡手段・連絡先 for people (Japanese headers and channel names), codes for scripts;
    formula-safe (ids and addresses come from outside)."""
    ordered = sorted(recipients, key=lambda r: r.subject_id)
    rows = [(r.subject_id, cell("channel", r.channel, headers), r.email, r.phone) for r in ordered]
    return people_csv(header_row(NOTIFICATION_COLUMNS, headers), rows, encoding)
