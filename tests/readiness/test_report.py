"""The readiness report: what the page receives, the Japanese HTML, and the PDF with CJK fonts."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hogo.domain.readiness.assessment import assess_readiness
from hogo.domain.readiness.eol import EolCatalogue
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.score import ScorePoint
from hogo.files.readiness_inventory import read_inventory_file
from hogo.reports.readiness.context import ReadinessReport, build
from hogo.reports.readiness.render import render_html, render_pdf
from tests.readiness.conftest import asset

DATA = Path(__file__).parent / "data" / "inventory.yaml"
DAY = date(2026, 11, 27)


@pytest.fixture()
def report(catalogue: EolCatalogue) -> ReadinessReport:
    inventory, answers = read_inventory_file(DATA)
    result = assess_readiness(inventory, catalogue, DAY, answers)
    history = [ScorePoint(datetime(2026, 10, 1, tzinfo=UTC), 35, "E")]
    return build(result, inventory, catalogue, history, organisation="サンプル商事株式会社")


def test_context(report: ReadinessReport) -> None:
    assert report.failed[0].severity == "critical"  # most severe first
    severities = [f.severity for f in report.failed]
    assert severities == sorted(severities, key=["critical", "high", "medium", "low"].index)
    titles = {(f.subject, f.title) for f in report.failed}
    assert ("本社VPN", "インターネットに公開されたリモート接続に多要素認証がない") in titles
    assert ("経理端末", "リモートデスクトップ(RDP)がインターネットに直接公開") in titles
    assert all(f.fix and f.rationale and f.reference for f in report.failed)
    assert {q.check_id for q in report.questions} >= {"q.incident.no_ransom", "q.training.staff"}
    vpn = next(a for a in report.assets if a.id == "vpn-1")
    assert vpn.eol == "2025年9月30日" and vpn.kind == "VPN機器" and vpn.mfa == "なし" and vpn.failed > 0
    [fs] = report.backups
    assert (fs.source, fs.copies, fs.media, fs.offsite, fs.isolated) == (
        "ファイルサーバ",
        3,
        3,
        1,
        1,
    )  # the asset's name, not its id


def test_html_is_japanese_and_escaped(report: ReadinessReport, catalogue: EolCatalogue) -> None:
    html = render_html(report)
    assert '<html lang="ja">' in html and "ランサムウェア対策 準備状況レポート" in html
    assert "サンプル商事株式会社" in html and "VPN 機器 68%" in html and "18.9%" in html
    assert "NO MORE RANSOM" in html and f">{report.score}<" in html
    # Dates for people (2025年9月30日), device kinds by name, no ISO dates, no question ids.
    assert not re.search(r"\d{4}-\d{2}-\d{2}", html) and "対象:  —" not in html
    assert "2025年9月30日" in html and "VPN機器" in html
    hostile = Inventory(assets=(asset(name="<script>x</script>", owner=""),))
    page = render_html(build(assess_readiness(hostile, catalogue, DAY), hostile, catalogue))
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_english(report: ReadinessReport, catalogue: EolCatalogue) -> None:
    inventory, answers = read_inventory_file(DATA)
    english = build(assess_readiness(inventory, catalogue, DAY, answers), inventory, catalogue, lang="en")
    html = render_html(english)
    assert '<html lang="en">' in html and "Ransomware readiness report" in html
    assert "Internet-facing remote access without MFA" in html


def _pdf_skip_reason() -> str | None:
    if importlib.util.find_spec("weasyprint") is None:
        return "WeasyPrint is not installed (pip install 'weasyprint>=62,<71')"
    if shutil.which("fc-list") is None:
        return "fontconfig (fc-list) not found: cannot check for the Noto CJK font"
    fonts = subprocess.run(
        ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=False
    ).stdout
    if "Noto Sans CJK JP" not in fonts and "Noto Serif CJK JP" not in fonts:
        return "Noto CJK font missing (apt-get install fonts-noto-cjk)"
    return None


def test_pdf(report: ReadinessReport) -> None:
    reason = _pdf_skip_reason()
    if reason:
        pytest.skip(reason)
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF-")
    assert b"Noto-Sans-CJK-JP" in _inflated(pdf)  # the Japanese font is embedded


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams expanded (font names live in object streams)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"".join(parts)
