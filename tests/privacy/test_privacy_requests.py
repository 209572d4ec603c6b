"""Rights requests from the privacy center over HTTP: the person files each kind with plain forms
(identity as the session's, channel `privacy_center`), sees them with status and deadline, and
reads the answer — in the page and as PDF/JSON/HTML — only for their own requests; withheld
parts of a disclosure stay withheld; the API tells the officer what became of the notice mail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain.consent import SubjectPatch
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestKind,
    RequestOutcome,
    RequestState,
    VerificationLevel,
)
from hogo.domain.rights.request import Decision, Partial
from hogo.http.limits import body_limit
from hogo.services import rights_requests as svc
from hogo.services import sites
from hogo.services.subjects import patch_subjects
from hogo.store.database import read_scope, write_scope
from tests.api.env import Env, client
from tests.privacy.helpers import enter, form_token, link_token, provide, register


@pytest.fixture(scope="module")
def key(env: Env) -> sites.NewKey:
    return register(env.db)


@pytest.fixture()
def person(env: Env, key: sites.NewKey) -> Iterator[tuple[TestClient, str]]:
    subject = env.uncovered_subject()
    with client(env) as c:
        enter(c, link_token(key, subject))
        yield c, subject


def _file(c: TestClient, kind: str, **fields: str | list[str]) -> tuple[int, str]:
    page = c.get("/privacy")
    r = c.post(
        "/privacy/requests",
        data={"csrf_token": form_token(page.text), "kind": kind, **fields},
        follow_redirects=False,
    )
    return r.status_code, r.headers.get("location", "") if r.status_code == 303 else r.text


def _answer(env: Env, request_id: str, decision: Decision, partial: Partial | None = None) -> None:
    with write_scope(env.db) as s:
        svc.decide_request(s, request_id, decision)
        if decision.outcome is not RequestOutcome.refused:
            svc.carry_out(s, request_id, partial=partial)
        svc.answer(s, request_id)


def test_the_page_offers_a_form_per_kind_with_labels(person: tuple[TestClient, str]) -> None:
    c, _ = person
    html = c.get("/privacy").text
    assert '<a href="#requests">' in html and 'id="requests"' in html
    for kind in RequestKind:
        assert f'id="request-form-{kind.value}"' in html and f'name="kind" value="{kind.value}"' in html
    assert 'for="corr-email"' in html and 'id="corr-email"' in html  # each field labelled
    assert "開示を請求する" in html and "訂正等を請求する" in html  # Japanese first
    english = c.get("/privacy", params={"lang": "en"}).text
    assert "Request disclosure" in english and "Purposes concerned" in english


def test_each_kind_is_filed_as_the_person_with_the_sessions_identity(
    env: Env, person: tuple[TestClient, str]
) -> None:
    c, subject = person
    filed = [
        _file(c, "disclosure", method="paper", text="第三者提供記録も含めてください"),
        _file(c, "purpose_notice"),
        _file(c, "correction", email="new@example.jp", delete=["phone"]),
        _file(c, "stop_use", claim="not_needed", purposes=["ad_partners"]),
        _file(c, "stop_provision", claim="provision_breach"),
    ]
    assert all(status == 303 and "/privacy?filed=RR-" in where for status, where in filed), filed
    with read_scope(env.db) as s:
        mine = {v.kind: v for v in svc.requests_of(s, subject)}
    assert set(mine) == {
        RequestKind.disclosure, RequestKind.purpose_notice, RequestKind.correction,
        RequestKind.stop_use, RequestKind.stop_provision,
    }  # fmt: skip
    for view in mine.values():
        assert view.channel.value == "privacy_center" and view.verification is not None
        assert view.verification.value == "signed_link" and view.state is RequestState.identity_verified
    assert mine[RequestKind.disclosure].case.details.method.value == "paper"
    assert mine[RequestKind.correction].case.details.corrections == {"email": "new@example.jp", "phone": None}
    assert mine[RequestKind.stop_use].case.details.purposes == ("ad_partners",)
    html = c.get("/privacy").text
    for view in mine.values():
        row = html[html.index(f'id="my-request-{view.request_id}"') :].split("</tr>")[0]
        assert 'data-state="identity_verified"' in row and "本人確認済み" in row
        assert f"{view.deadline.astimezone(UTC).year}年" in row  # the deadline is shown


def test_a_refused_form_names_the_problem_and_files_nothing(env: Env, person: tuple[TestClient, str]) -> None:
    c, subject = person
    for kind, fields in (
        ("erasure", {}),  # a 法35 request needs its reason
        ("correction", {}),  # nothing to correct
        ("correction", {"birth_date": "not a date"}),
        ("stop_use", {"claim": "provision_breach"}),  # a reason of 35条3項 for stopping use
        ("nonsense", {}),
    ):
        status, text = _file(c, kind, **fields)
        assert status == 422 and 'role="alert"' in text, (kind, status)
        if kind != "nonsense":
            assert f'id="req-error-{kind}"' in text
    with read_scope(env.db) as s:
        assert svc.requests_of(s, subject) == []


def test_a_refused_form_names_the_field_as_the_page_labels_it(person: tuple[TestClient, str]) -> None:
    c, _ = person
    for kind, fields, label in (
        ("erasure", {}, "「請求の理由」: "),
        ("correction", {}, "「訂正等(訂正・追加・削除)」: "),
        ("correction", {"birth_date": "not a date"}, "「生年月日の正しい内容」: "),
    ):
        status, text = _file(c, kind, **fields)
        shown = text.split(f'id="req-error-{kind}">')[1].split("</p>")[0]
        assert status == 422 and shown.startswith(label), (kind, shown)
        assert "項目" not in shown and "claim" not in shown and "corrections" not in shown
    c.get("/privacy?lang=en")
    status, text = _file(c, "erasure")
    assert status == 422 and 'id="req-error-erasure">Why you ask: ' in text
    c.get("/privacy?lang=ja")


def test_the_language_switch_on_a_refused_request_opens_the_page(person: tuple[TestClient, str]) -> None:
    c, _ = person
    status, text = _file(c, "erasure")
    assert status == 422 and 'href="/privacy?lang=en"' in text and "/privacy/requests?lang" not in text
    assert c.get("/privacy?lang=en").status_code == 200
    c.get("/privacy?lang=ja")


def test_no_form_without_the_sessions_csrf_token(env: Env, person: tuple[TestClient, str]) -> None:
    c, subject = person
    r = c.post("/privacy/requests", data={"csrf_token": "forged", "kind": "disclosure"})
    assert r.status_code == 403
    with read_scope(env.db) as s:
        assert svc.requests_of(s, subject) == []


def test_long_words_fit_the_request_forms_body_limit(person: tuple[TestClient, str]) -> None:
    c, _ = person
    assert body_limit("POST", "/privacy/requests") > body_limit("POST", "/privacy/consents")
    status, where = _file(c, "purpose_notice", text="請" * 4000)
    assert status == 303, where


def test_the_person_reads_their_answer_and_withheld_parts_stay_withheld(
    env: Env, person: tuple[TestClient, str]
) -> None:
    c, subject = person
    record = provide(env.db, subject, "pc-req-answer")
    _, where = _file(c, "disclosure")
    rid = where.split("filed=")[1].split("#")[0]
    page = c.get(f"/privacy/requests/{rid}")
    assert page.status_code == 200 and 'id="answer"' not in page.text and "回答期限" in page.text
    assert c.get(f"/privacy/requests/{rid}/answer.json").status_code == 404  # not answered yet
    _answer(
        env,
        rid,
        Decision(outcome=RequestOutcome.partly, grounds=("RIGHTS_DISCLOSURE_HINDRANCE",)),
        Partial(withhold=("third_party_provision_records",)),
    )
    page = c.get(f"/privacy/requests/{rid}")
    assert page.status_code == 200 and 'id="answer"' in page.text
    assert "法33条2項2号" in page.text and "開示しない項目" in page.text
    assert (
        "第三者提供記録(法29条)" in page.text
        and record.recipient_name not in page.text.split('id="answer"')[1]
    )
    doc = c.get(f"/privacy/requests/{rid}/answer.json")
    assert doc.status_code == 200 and doc.headers["cache-control"] == "no-store"
    body = json.loads(doc.content)
    assert body["content"]["third_party_provision_records"] == []
    assert body["content"]["withheld"] == ["third_party_provision_records"]
    assert body["content"]["subject"]["subject_id"] == subject
    pdf = c.get(f"/privacy/requests/{rid}/answer.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = c.get(f"/privacy/requests/{rid}/answer.html")
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]
    listing = c.get("/privacy").text
    assert f'href="/privacy/requests/{rid}#answer"' in listing


def test_another_persons_request_is_not_found(
    env: Env, key: sites.NewKey, person: tuple[TestClient, str]
) -> None:
    c, _ = person
    other = env.uncovered_subject()
    with write_scope(env.db) as s:
        theirs = svc.file_request(
            s, other, RequestKind.purpose_notice, svc.details_of({}), None, RequestChannel.post
        ).request_id
        svc.verify(s, theirs, VerificationLevel.officer_check)
    _answer(env, theirs, Decision(outcome=RequestOutcome.allowed))
    for path in ("", "/answer.json", "/answer.pdf", "/answer.html"):
        r = c.get(f"/privacy/requests/{theirs}{path}")
        assert r.status_code == 404, path
    assert c.get("/privacy/requests/RR-1999-9999").status_code == 404
    with client(env) as anonymous:
        assert anonymous.get(f"/privacy/requests/{theirs}").status_code == 401


def test_a_person_who_is_in_is_not_sent_back_to_the_way_in(person: tuple[TestClient, str]) -> None:
    """A number that is not theirs (or an answer not ready yet) is 404 with the way back to their
    page and the sign-out button, not the entry page asking them to identify themself again."""
    c, _ = person
    for path in ("/privacy/requests/RR-1999-9999", "/privacy/requests/RR-1999-9999/answer.pdf"):
        r = c.get(path)
        assert r.status_code == 404 and "その請求は登録されていません。" in r.text, path
        assert 'href="/privacy">' in r.text and 'action="/privacy/logout"' in r.text
        assert 'id="enter-code"' not in r.text and "プライバシーセンターに入る" not in r.text
    assert c.get("/privacy").status_code == 200  # still in


def test_the_api_says_whether_the_person_was_told_by_mail(env: Env, api: TestClient) -> None:
    subject = env.uncovered_subject()
    with write_scope(env.db) as s:
        patch_subjects(s, [SubjectPatch(subject_id=subject, email=None)])
        rid = svc.file_request(
            s, subject, RequestKind.purpose_notice, svc.details_of({}), VerificationLevel.signed_link,
            RequestChannel.api,
        ).request_id  # fmt: skip
        svc.decide_request(s, rid, Decision(outcome=RequestOutcome.allowed))
        svc.carry_out(s, rid)
    r = api.post(f"/api/v1/requests/{rid}/answer", json={}, headers=env.headers(Role.privacy_officer))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "answered" and r.json()["answer_mail"] == "no_address"
    assert (
        api.get(f"/api/v1/requests/{rid}", headers=env.headers(Role.operator)).json()["answer_mail"] is None
    )
    assert datetime.now(UTC) >= datetime.fromisoformat(r.json()["answered_at"])


def test_a_member_site_files_for_the_person_and_reads_their_requests(env: Env, api: TestClient) -> None:
    """Issue 14 item 6: the site's own API token (an operator: read and record_consent) files a
    request once per Idempotency-Key and reads the status of the person's requests."""
    subject = env.uncovered_subject()
    site = {**env.headers(Role.operator), "Idempotency-Key": f"site-{subject}"}
    body = {"subject_id": subject, "kind": "disclosure", "verification": "signed_link"}
    first = api.post("/api/v1/requests", json=body, headers=site)
    again = api.post("/api/v1/requests", json=body, headers=site)
    assert first.status_code == again.status_code == 201, first.text
    rid = first.json()["request_id"]
    assert again.json()["request_id"] == rid and first.json()["channel"] == "api"
    changed = api.post("/api/v1/requests", json={**body, "kind": "purpose_notice"}, headers=site)
    assert changed.status_code == 409  # the same key with another body is refused
    listed = api.get("/api/v1/requests", params={"subject_id": subject}, headers=env.headers(Role.operator))
    assert listed.status_code == 200
    assert [(i["request_id"], i["state"]) for i in listed.json()["items"]] == [(rid, "identity_verified")]
    status = api.get(f"/api/v1/requests/{rid}", headers=env.headers(Role.operator)).json()
    assert status["deadline"] and status["days_left"] >= 13 and status["overdue"] is False
    nobody = api.get(
        "/api/v1/requests", params={"subject_id": "M9999999"}, headers=env.headers(Role.operator)
    )
    assert nobody.status_code == 200 and nobody.json()["items"] == []
