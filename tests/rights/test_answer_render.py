"""The answer to a rights request as HTML, JSON and PDF (Noto CJK): the result, the grounds with
their articles (法36条), the recipients (法35条), and a disclosure's own document enclosed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hogo.domain.clock import JST
from hogo.domain.rights import request as rr
from hogo.domain.rights.answer import notice
from hogo.domain.rights.kinds import RequestClaim, RequestKind, RequestOutcome, VerificationLevel
from hogo.reports.rights.render import render_bytes, render_html
from tests.incidents.test_documents import _pdf_text, _weasyprint_ready

T0 = datetime(2026, 4, 1, 10, tzinfo=JST)
ORG = {"name": "保護商事株式会社", "address": "東京都千代田区1-1", "representative": "代表 太郎"}
RECIPIENTS = [
    {"recipient_id": "adco", "name": "広告株式会社", "country": "JP", "last_provided_on": "2024-06-01"}
]


def _partly_stopped() -> rr.RightsRequest:
    case = rr.new_request(
        RequestKind.stop_provision, rr.Details(claim=RequestClaim.harm), T0, 14, VerificationLevel.signed_link
    )
    decision = rr.Decision(
        outcome=RequestOutcome.partly, grounds=("RIGHTS_NEED_COSTLY",), note="一部は紙の台帳です"
    )
    case = rr.decide_request(case, decision, T0 + timedelta(days=1))
    case = rr.carry_out(case, T0 + timedelta(days=2), {"recipients": RECIPIENTS, "events": 1})
    return rr.answer(case, T0 + timedelta(days=3))


def test_html_answer_names_grounds_articles_and_recipients() -> None:
    html = render_html(notice("RR-2026-0007", _partly_stopped()), None, ORG)
    assert "RR-2026-0007" in html and "保護商事株式会社" in html
    assert "法35条6項ただし書" in html and "法35条7項・法36条" in html and "一部は紙の台帳です" in html
    assert "広告株式会社" in html and "2024年6月1日" in html and "日本" in html
    assert "<script" not in render_html(
        notice(
            "RR-1",
            _partly_stopped().model_copy(
                update={
                    "decision": rr.Decision(
                        outcome=RequestOutcome.partly,
                        grounds=("RIGHTS_NEED_COSTLY",),
                        note="<script>x</script>",
                    )
                }
            ),
        ),
        None,
        ORG,
    )  # escaped


def test_json_answer_keeps_codes_and_iso_times() -> None:
    doc = json.loads(render_bytes("json", notice("RR-2026-0007", _partly_stopped()), None, ORG))
    assert doc["notice"]["grounds"][0]["code"] == "RIGHTS_NEED_COSTLY"
    assert (
        doc["notice"]["answered_at"].startswith("2026-04-04T10:00")
        and doc["notice"]["recipients"] == RECIPIENTS
    )
    assert doc["outcome_title"]["ja"] == "一部を行わない"


def test_english_answer() -> None:
    html = render_html(notice("RR-2026-0007", _partly_stopped()), None, ORG, lang="en")
    assert "Answer to your request" in html and "Part of the request is not done" in html


@pytest.mark.slow
@pytest.mark.skipif(_weasyprint_ready() is not None, reason=str(_weasyprint_ready()))
def test_pdf_answer_in_japanese(tmp_path: Path) -> None:
    pdf = render_bytes("pdf", notice("RR-2026-0007", _partly_stopped()), None, ORG)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path).replace(" ", "")
    assert "本人からの請求に対する回答" in text and "法35条6項" in text and "広告株式会社" in text
