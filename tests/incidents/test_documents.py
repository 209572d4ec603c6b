"""Rendered documents carry the required items: 規則8条 (nine), 規則10条 (1, 2, 4, 5, 9)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from hogo.domain.clock import JST
from hogo.domain.incidents import flow
from hogo.domain.incidents.deadlines import DeadlineSettings
from hogo.domain.incidents.details import RULE8_ITEMS, RULE10_ITEMS, ReportDetails
from hogo.domain.incidents.reportability import assess_reportability
from hogo.domain.incidents.types import IncidentType
from hogo.domain.policy import AppiClass, Organization
from hogo.files.csv_headers import HeaderStyle, machine_names
from hogo.files.playbook_yaml import default_playbooks
from hogo.reports.incidents.context import (
    DRAFT_NAMES,
    FOR_THE_PUBLIC,
    TO_FILL,
    UNDER_INVESTIGATION,
    CategoryLine,
    DocumentKind,
    IncidentRecord,
    build_context,
)
from hogo.reports.incidents.render import (
    NOTIFICATION_COLUMNS,
    Recipient,
    notification_csv,
    render_json,
    render_pdf,
    render_text,
)

from .builders import AWARE, facts

ORG = Organization(
    name="株式会社ほご商事", address="東京都千代田区千代田1-1", representative="代表取締役 保護太郎"
)
TODAY = date(2026, 4, 2)


def _record(details: ReportDetails | None = None) -> IncidentRecord:
    f = facts({"medical_history": AppiClass.sensitive, "email": AppiClass.personal_data}, persons=1)
    a = assess_reportability(IncidentType.missent_email, f, AWARE, DeadlineSettings())
    playbook = default_playbooks().for_type(IncidentType.missent_email)
    assert playbook is not None
    return IncidentRecord(
        incident_id="INC-2026-0001",
        organization=ORG,
        incident_type=IncidentType.missent_email,
        aware_at=AWARE,
        occurred_at=datetime(2026, 4, 1, 11, 0, tzinfo=JST),
        description="健康診断結果を添付したメールを別の顧客に誤送信した。",
        categories=(
            CategoryLine("medical_history", "病歴", AppiClass.sensitive),
            CategoryLine("email", "メールアドレス", AppiClass.personal_data),
        ),
        facts=f,
        assessment=a,
        details=details or ReportDetails(cause="宛先の選択誤り", contact="お客様窓口 0120-000-000"),
        tasks=flow.instantiate(playbook, AWARE, a),
    )


def test_ppc_final_context_has_all_nine_items() -> None:
    ctx = build_context(_record(), DocumentKind.ppc_final, TODAY)
    assert [i.number for i in ctx.items] == list(range(1, 10))
    assert "病歴(要配慮個人情報)" in ctx.item(2).text
    assert ctx.item(3).text.startswith("1人")
    assert ctx.item(4).text == "宛先の選択誤り"
    assert ctx.item(5).text == TO_FILL and ctx.item(5).missing
    assert "2026年4月4日までに本人へ通知する予定" in ctx.item(6).text
    assert "規則7条1号" in ctx.item(9).text
    assert ctx.final_due == "2026年5月1日"


def test_preliminary_marks_unknowns_as_under_investigation() -> None:
    ctx = build_context(_record(), DocumentKind.ppc_preliminary, TODAY)
    assert ctx.item(8).text == UNDER_INVESTIGATION


def test_notice_has_exactly_the_rule10_items() -> None:
    ctx = build_context(_record(), DocumentKind.notice_letter, TODAY)
    assert tuple(i.number for i in ctx.items) == RULE10_ITEMS
    assert "お問合せ窓口: お客様窓口 0120-000-000" in ctx.item(9).text


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_document_renders_its_items(kind: DocumentKind) -> None:
    ctx = build_context(_record(), kind, TODAY)
    text = render_text(ctx)
    for n, item in enumerate(ctx.items, start=1):
        assert f"{ctx.label(n, item)} {item.title}" in text
    assert ORG.name in text
    assert render_json(ctx)["kind"] == kind.value


def test_html_escapes_what_the_officer_wrote_but_the_email_does_not() -> None:
    record = _record(ReportDetails(cause="<script>x</script> & 誤操作"))
    html = render_text(build_context(record, DocumentKind.ppc_final, TODAY))
    assert "&lt;script&gt;" in html and "<script>" not in html
    mail = render_text(build_context(record, DocumentKind.notice_email, TODAY))
    assert "<script>x</script> & 誤操作" in mail


def test_notification_list_channels() -> None:
    people = [
        Recipient("S2", None, "03-0000-0000"),
        Recipient("S1", "a@example.jp", None),
        Recipient("S3", None, None),
    ]
    data = notification_csv(people, headers=HeaderStyle.machine)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["subject_id"], r["channel"]) for r in rows] == [
        ("S1", "email"),
        ("S2", "phone"),
        ("S3", "none"),
    ]
    # For people (the default): Japanese headers and channel names; either file reads back.
    text = notification_csv(people).decode("utf-8-sig")
    assert text.splitlines()[0] == "本人ID,連絡手段,メールアドレス,電話番号"
    assert "S1,電子メール,a@example.jp," in text and "S3,連絡手段なし(公表等で代替)" in text
    assert machine_names(text.splitlines()[0].split(",")) == list(NOTIFICATION_COLUMNS)


def _weasyprint_ready() -> str | None:
    try:
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401
    except (ImportError, OSError):
        return "WeasyPrint is not installed (pip install weasyprint)"
    if not any(
        Path(p).exists() for p in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")
    ):
        return "no Noto CJK font (apt-get install fonts-noto-cjk)"
    return None


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        if shutil.which("pdftotext") is None:
            pytest.skip("neither pypdf nor pdftotext (poppler-utils) is available to read PDFs")
        path = tmp_path / "doc.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.slow
@pytest.mark.skipif(_weasyprint_ready() is not None, reason=str(_weasyprint_ready()))
@pytest.mark.parametrize(
    ("kind", "numbers"),
    [
        (DocumentKind.ppc_preliminary, tuple(RULE8_ITEMS)),
        (DocumentKind.ppc_final, tuple(RULE8_ITEMS)),
        (DocumentKind.notice_letter, RULE10_ITEMS),
        (DocumentKind.announcement, RULE10_ITEMS),
        (DocumentKind.pmark_report, tuple(RULE8_ITEMS)),
    ],
)
def test_rendered_pdf_contains_the_required_items(
    kind: DocumentKind, numbers: tuple[int, ...], tmp_path: Path
) -> None:
    ctx = build_context(_record(), kind, TODAY)
    pdf = render_pdf(ctx)
    assert pdf.startswith(b"%PDF")
    text = "".join(_pdf_text(pdf, tmp_path).split())  # line breaks fall anywhere in Japanese text
    assert "".join(ctx.title.split()) in text
    for position, n in enumerate(numbers, start=1):
        assert (f"{position}." if kind in FOR_THE_PUBLIC else f"({n})") in text, n
        assert "".join(RULE8_ITEMS[n][0].split()) in text, RULE8_ITEMS[n][0]
    assert "株式会社ほご商事" in text
    assert "病歴" in text


def test_documents_for_the_persons_number_their_sections_in_order() -> None:
    """Issue 17: the customer notice counts 1, 2, 3 … (not the rule's item numbers 1, 2, 4, 6 …),
    while the PPC reports keep 規則8条's item numbers, which the PPC form follows."""
    record = _record()
    mail = render_text(build_context(record, DocumentKind.notice_email, TODAY))
    numbers = [int(m) for m in re.findall(r"^■(\d+)\. ", mail, flags=re.MULTILINE)]
    assert numbers == list(range(1, len(RULE10_ITEMS) + 1))
    assert "■(" not in mail
    letter = render_text(build_context(record, DocumentKind.notice_letter, TODAY))
    assert f"<th>{len(RULE10_ITEMS)}. " in letter and "<th>(" not in letter
    report = render_text(build_context(record, DocumentKind.ppc_final, TODAY))
    assert "<th>(9) " in report


def test_the_two_notice_drafts_have_distinct_names() -> None:
    names = [DRAFT_NAMES[k][0] for k in DocumentKind]
    assert len(set(names)) == len(names)
    assert "書面" in DRAFT_NAMES[DocumentKind.notice_letter][0]
    assert "電子メール" in DRAFT_NAMES[DocumentKind.notice_email][0]
