"""The rights-request pages: the board (overdue first), filing from the console, one request
worked through its steps by the officer, refusals shown at their form, English, permissions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from hogo.domain.clock import JST
from hogo.domain.rights.kinds import RequestChannel, RequestClaim, RequestKind, VerificationLevel
from hogo.domain.rights.request import Details
from hogo.services import rights_requests as svc
from hogo.store.database import write_scope
from hogo.web.views.requests import RequestBoardPage, RequestPage
from tests.api.env import Env


@pytest.fixture(autouse=True)
def token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOGO_TOKEN_KEY", "cd" * 32)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_board_shows_overdue_first_with_the_deadline(env: Env, auditor: TestClient) -> None:
    with write_scope(env.db) as s:
        old = svc.file_request(
            s, "M0000111", RequestKind.disclosure, Details(), None, RequestChannel.post,
            received_at=datetime.now(JST) - timedelta(days=20),
        ).request_id  # fmt: skip
        new = svc.file_request(
            s, "M0000112", RequestKind.purpose_notice, Details(), None, RequestChannel.post
        ).request_id
    r = auditor.get("/requests")
    assert r.status_code == 200
    page = r.context["page"]  # type: ignore[attr-defined]
    assert isinstance(page, RequestBoardPage) and page.form is None  # the auditor files nothing
    ids = [line.view.request_id for line in page.lines]
    assert ids.index(old) < ids.index(new) and page.lines[ids.index(old)].overdue
    assert 'data-overdue="true"' in r.text and "期限超過" in r.text and "本人からの請求" in r.text
    assert "Overdue" in auditor.get("/requests?lang=en").text
    assert auditor.post(f"/requests/{old}/verify", data={"level": "officer_check"}).status_code == 403


def test_officer_files_and_works_a_request_through(env: Env, officer: TestClient) -> None:
    board = officer.get("/requests").text
    token = _csrf(board)
    r = officer.post(
        "/requests",
        data={"csrf_token": token, "subject_id": "M0000113", "kind": "disclosure", "channel": "counter"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    page = officer.get(url)
    assert isinstance(page.context["page"], RequestPage) and 'id="step-verify"' in page.text  # type: ignore[attr-defined]
    for path, data in (
        ("verify", {"level": "in_person_document"}),
        ("decide", {"outcome": "allowed"}),
        ("carry-out", {}),
    ):
        r = officer.post(f"{url}/{path}", data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == 303, (path, r.text)
    answer = officer.get(f"{url}/answer")
    assert answer.status_code == 200 and "保有個人データの開示" in answer.text
    assert officer.get(f"{url}/answer?format=json").json()["notice"]["outcome"] == "allowed"
    r = officer.post(f"{url}/answer", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    done = officer.get(url)
    assert 'data-state="answered"' in done.text
    assert [s.step.value for s in done.context["page"].steps][-1] == "answered"  # type: ignore[attr-defined]


def test_a_refused_filing_names_the_field_as_the_form_labels_it(officer: TestClient) -> None:
    data = {"csrf_token": _csrf(officer.get("/requests").text), "subject_id": "M0000114", "kind": "erasure",
            "channel": "counter"}  # fmt: skip
    r = officer.post("/requests", data=data)
    shown = r.text.split('id="file-error" data-field="claim">')[1].split("</p>")[0]
    assert r.status_code == 422 and shown.startswith("「理由(法35条の請求のみ)」: "), shown
    assert "項目" not in shown


def test_a_refusal_without_ground_is_shown_at_its_form(env: Env, officer: TestClient) -> None:
    with write_scope(env.db) as s:
        rid = svc.file_request(
            s, "M0000114", RequestKind.stop_provision, Details(claim=RequestClaim.provision_breach),
            VerificationLevel.signed_link, RequestChannel.privacy_center,
        ).request_id  # fmt: skip
    url = f"/requests/{rid}"
    token = _csrf(officer.get(url).text)
    r = officer.post(f"{url}/decide", data={"csrf_token": token, "outcome": "refused"})
    assert r.status_code == 422 and 'id="error-decide"' in r.text and 'data-field="grounds"' in r.text
    assert "法35条4項" in r.text  # the grounds that fit are offered with their articles
    data = {"csrf_token": token, "outcome": "refused", "grounds": "RIGHTS_PROVISION_NO_VIOLATION"}
    assert officer.post(f"{url}/decide", data=data, follow_redirects=False).status_code == 303
    page = officer.get(url).text
    assert "法35条4項" in page and 'id="step-answer"' in page and 'id="step-carry-out"' not in page
    r = officer.post(f"{url}/extend", data={"csrf_token": token, "until": "2099-01-01T10:00", "reason": "x"})
    assert r.status_code == 422 and 'data-field="until"' in r.text


def test_unknown_request_is_404(officer: TestClient) -> None:
    assert officer.get("/requests/RR-1999-9999").status_code == 404


def test_a_partial_stop_is_carried_out_for_the_purposes_ticked(env: Env, officer: TestClient) -> None:
    with write_scope(env.db) as s:
        rid = svc.file_request(
            s, "M0000115", RequestKind.stop_use, Details(claim=RequestClaim.not_needed),
            VerificationLevel.signed_link, RequestChannel.privacy_center,
        ).request_id  # fmt: skip
    url = f"/requests/{rid}"
    token = _csrf(officer.get(url).text)
    data = {
        "csrf_token": token,
        "outcome": "partly",
        "grounds": "RIGHTS_NEED_COSTLY",
        "note": "一部のみ停止します",
    }
    assert officer.post(f"{url}/decide", data=data, follow_redirects=False).status_code == 303
    page = officer.get(url)
    purposes = [o.value for o in page.context["page"].purposes]  # type: ignore[attr-defined]
    assert len(purposes) > 1 and 'name="narrowed" value="purposes"' in page.text
    chosen = purposes[0]
    r = officer.post(
        f"{url}/carry-out",
        data={"csrf_token": token, "narrowed": "purposes", "purposes": chosen},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with write_scope(env.db) as s:
        assert svc.get(s, rid).case.result["objected_purposes"] == [chosen]
