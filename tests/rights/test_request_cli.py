"""`hogo request …` over a fresh SQLite store: the officer's flow from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run, hogo, policy_file

__all__ = ["hogo", "policy_file"]


def _setup(hogo: Run, policy_file: Path) -> None:
    hogo("init")
    hogo("policy", "apply", str(policy_file))
    hogo("subject", "add", "M1", "--email", "m1@example.jp", "--phone", "090-1111-2222")


def test_disclosure_from_filing_to_the_answer_file(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    _setup(hogo, policy_file)
    filed = hogo(
        "request", "file", "M1", "--kind", "disclosure", "--channel", "counter", "--json", as_json=True
    )
    rid = filed["request_id"]
    assert filed["state"] == "received" and filed["days_left"] in (13, 14)
    hogo("request", "decide", rid, "--outcome", "allowed", code=2)  # identity first
    hogo("request", "verify", rid, "--level", "in_person_document")
    hogo("request", "decide", rid, "--outcome", "allowed")
    hogo("request", "carry-out", rid)
    out = tmp_path / "answer.html"
    hogo("request", "answer", rid, "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert "保有個人データの開示" in html and "m1@example.jp" in html and "法33条3項" in html
    assert out.stat().st_mode & 0o777 == 0o600
    shown = hogo("request", "show", rid, "--json", as_json=True)
    assert shown["state"] == "answered"
    assert [s["step"] for s in shown["steps"]] == [
        "received",
        "identity_verified",
        "decided",
        "carried_out",
        "answered",
    ]
    listing = hogo("request", "list", "--all", "--json", as_json=True)
    assert [r["request_id"] for r in listing] == [rid]
    assert hogo("request", "list", "--json", as_json=True) == []
    hogo("ledger", "verify")  # exit status 0: the chain and every bound table reconcile


def test_refusal_with_ground_and_json_answer(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    _setup(hogo, policy_file)
    rid = hogo(
        "request", "file", "M1", "--kind", "stop_use", "--claim", "not_needed", "--verified", "signed_link",
        "--channel", "privacy_center", "--json", as_json=True,
    )["request_id"]  # fmt: skip
    bad = hogo("request", "decide", rid, "--outcome", "refused", code=2)
    assert "法36条" in bad.output
    hogo(
        "request",
        "decide",
        rid,
        "--outcome",
        "refused",
        "--ground",
        "RIGHTS_NEED_NOT_FOUND",
        "--note",
        "必要です",
    )
    out = tmp_path / "answer.json"
    hogo("request", "answer", rid, "--out", str(out))
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["notice"]["grounds"][0]["article"] == "法35条6項" and doc["notice"]["outcome"] == "refused"


def test_extend_and_overdue_listing(hogo: Run, policy_file: Path) -> None:
    _setup(hogo, policy_file)
    rid = hogo(
        "request", "file", "M1", "--kind", "purpose_notice", "--at", "2026-01-05T10:00", "--json", as_json=True
    )["request_id"]  # fmt: skip
    listed = hogo("request", "list", "--at", "2026-01-20T10:00", "--json", as_json=True)
    assert listed[0]["overdue"] is True
    hogo("request", "extend", rid, "--until", "2026-01-30T10:00", "--reason", "調査のため")
    listed = hogo("request", "list", "--at", "2026-01-20T10:00", "--json", as_json=True)
    assert listed[0]["overdue"] is False and listed[0]["extensions"][0]["reason"] == "調査のため"
    text = hogo("request", "list", "--at", "2026-02-05T10:00").output
    assert "超過" in text and rid in text


def test_erasure_then_imports_that_would_bring_the_person_back_report_the_row(
    hogo: Run, policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOGO_TOKEN_KEY", "ef" * 32)
    _setup(hogo, policy_file)
    hogo("subject", "add", "M2", "--email", "m2@example.jp")
    rid = hogo(
        "request", "file", "M2", "--kind", "stop_provision", "--claim", "harm", "--verified", "email_code",
        "--json", as_json=True,
    )["request_id"]  # fmt: skip
    hogo("request", "decide", rid, "--outcome", "allowed")
    hogo("request", "carry-out", rid)
    rid = hogo(
        "request", "file", "M1", "--kind", "erasure", "--claim", "not_needed", "--verified", "signed_link",
        "--json", as_json=True,
    )["request_id"]  # fmt: skip
    hogo("request", "decide", rid, "--outcome", "allowed")
    hogo("request", "carry-out", rid)
    hogo("request", "answer", rid)
    hogo("ledger", "verify")
    people = tmp_path / "people.csv"
    people.write_text("subject_id,email\nM7,m7@example.jp\nM8,M1@EXAMPLE.JP\n", encoding="utf-8")
    refused = hogo("subject", "import", str(people), code=2)
    assert "3行目" in refused.output and "email" in refused.output and "example" not in refused.output.lower()
    assert "法35条" in refused.output
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,subject_id,purpose_id,action,terms_version,method,collected_at\n"
        "e1,M2,ad_partners,withdraw,,web_form,2026-12-01T10:00\n"
        "e2,M2,ad_partners,grant,2021-07,web_form,2026-12-01T10:00\n",
        encoding="utf-8",
    )
    refused = hogo("consent", "import", str(events), code=2)
    assert "3行目" in refused.output and "subject_id" in refused.output and "M2" not in refused.output
    assert "法35条" in refused.output


def test_answering_from_the_cli_mails_the_notice_when_public_url_is_set(
    hogo: Run, policy_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail = pytest.importorskip("tests.privacy.test_privacy_mail", reason="pip install aiosmtpd (test extra)")
    from aiosmtpd.controller import Controller

    _setup(hogo, policy_file)
    inbox, port = mail.Inbox(), mail._port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("FROM", "privacy@example.jp"),
                            ("STARTTLS", "false")):  # fmt: skip
            monkeypatch.setenv(f"HOGO_SMTP_{name}", value)
        rid = hogo(
            "request", "file", "M1", "--kind", "purpose_notice", "--verified", "signed_link", "--json",
            as_json=True,
        )["request_id"]  # fmt: skip
        hogo("request", "decide", rid, "--outcome", "allowed")
        hogo("request", "carry-out", rid)
        hogo("request", "answer", rid)  # no HOGO_PUBLIC_URL: the CLI does not know the link
        assert inbox.messages == []
        other = hogo(
            "request", "file", "M1", "--kind", "purpose_notice", "--verified", "signed_link", "--json",
            as_json=True,
        )["request_id"]  # fmt: skip
        hogo("request", "decide", other, "--outcome", "allowed")
        hogo("request", "carry-out", other)
        monkeypatch.setenv("HOGO_PUBLIC_URL", "https://hogo.example.jp/")
        done = hogo("request", "answer", other)
    finally:
        controller.stop()
    assert "sent" in done.output
    [message] = inbox.messages
    text = mail._text(message)
    assert message["To"] == "m1@example.jp" and other in text and "https://hogo.example.jp/privacy" in text
    assert "090-1111-2222" not in text and "M1" not in text.replace(other, "")
