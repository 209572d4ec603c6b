"""Rights requests over the API: the officer's flow, refusals with grounds, permissions,
idempotent writes, the answer in three formats, and the board's order."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from tests.api.env import Env

URL = "/api/v1/requests"


@pytest.fixture(autouse=True)
def token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOGO_TOKEN_KEY", "ab" * 32)


@pytest.fixture()
def officer(env: Env) -> dict[str, str]:
    return env.headers(Role.privacy_officer)


def _file(api: TestClient, headers: dict[str, str], subject: str, **body: object) -> dict[str, object]:
    r = api.post(URL, json={"subject_id": subject, "kind": "disclosure", **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_disclosure_flow_and_answer_formats(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    filed = _file(
        api, env.headers(Role.operator), "M0000101", verification="signed_link", channel="privacy_center"
    )
    rid = filed["request_id"]
    assert filed["state"] == "identity_verified" and filed["overdue"] is False
    assert [s["step"] for s in filed["steps"]] == ["received", "identity_verified"]
    r = api.post(f"{URL}/{rid}/decision", json={"outcome": "allowed"}, headers=env.headers(Role.operator))
    assert r.status_code == 403  # the officer's step needs personal_data
    assert api.get(f"{URL}/{rid}/answer", headers=officer).status_code == 409  # not decided yet
    r = api.post(f"{URL}/{rid}/decision", json={"outcome": "allowed"}, headers=officer)
    assert r.status_code == 201 and r.json()["state"] == "decided"
    assert api.post(f"{URL}/{rid}/carry-out", json={}, headers=officer).json()["state"] == "carried_out"
    done = api.post(f"{URL}/{rid}/answer", json={}, headers=officer).json()
    assert done["state"] == "answered" and done["answered_at"]
    html = api.get(f"{URL}/{rid}/answer", headers=officer)
    assert html.status_code == 200 and "保有個人データの開示" in html.text and "法33条3項" in html.text
    doc = api.get(f"{URL}/{rid}/answer", params={"format": "json"}, headers=officer).json()
    assert doc["notice"]["outcome"] == "allowed" and doc["content"]["subject"]["subject_id"] == "M0000101"
    assert api.get(f"{URL}/{rid}/answer", headers=env.headers(Role.auditor)).status_code == 403
    shown = api.get(f"{URL}/{rid}", headers=env.headers(Role.auditor)).json()
    assert [s["step"] for s in shown["steps"]][-1] == "answered"


def test_refusal_needs_a_fitting_ground(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    rid = _file(api, officer, "M0000102", kind="stop_provision", details={"claim": "provision_breach"})[
        "request_id"
    ]
    api.post(f"{URL}/{rid}/verification", json={"level": "officer_check"}, headers=officer)
    r = api.post(f"{URL}/{rid}/decision", json={"outcome": "refused"}, headers=officer)
    assert r.status_code == 422 and r.json()["error"]["field"] == "grounds"
    body = {"outcome": "refused", "grounds": ["RIGHTS_PROVISION_NO_VIOLATION"], "note": "同意を得ています"}
    assert api.post(f"{URL}/{rid}/decision", json=body, headers=officer).status_code == 201
    assert api.post(f"{URL}/{rid}/carry-out", json={}, headers=officer).status_code == 422
    api.post(f"{URL}/{rid}/answer", json={}, headers=officer)
    doc = api.get(f"{URL}/{rid}/answer", params={"format": "json"}, headers=officer).json()
    assert doc["notice"]["grounds"][0]["article"] == "法35条4項"
    assert doc["notice"]["notice_article"] == "法35条7項・法36条"


def test_writes_are_idempotent(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    headers = {**officer, "Idempotency-Key": "file-103"}
    body = {"subject_id": "M0000103", "kind": "purpose_notice"}
    first = api.post(URL, json=body, headers=headers)
    again = api.post(URL, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["request_id"] == again.json()["request_id"]
    other = api.post(URL, json={**body, "kind": "disclosure"}, headers=headers)
    assert other.status_code == 409


def test_board_overdue_first_and_extension(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    old = _file(api, officer, "M0000104", received_at="2026-01-05T10:00:00+09:00")["request_id"]
    new = _file(api, officer, "M0000105", received_at="2026-01-15T10:00:00+09:00")["request_id"]
    board = api.get(URL, params={"at": "2026-01-20T12:00:00+09:00"}, headers=env.headers(Role.auditor)).json()
    mine = [i for i in board["items"] if i["request_id"] in (old, new)]
    assert [(i["request_id"], i["overdue"]) for i in mine] == [(old, True), (new, False)]
    r = api.post(
        f"{URL}/{old}/extension", json={"until": "2026-02-01T10:00:00+09:00", "reason": ""}, headers=officer
    )
    assert r.status_code == 422
    body = {"until": "2026-02-01T10:00:00+09:00", "reason": "資料の確認に時間を要するため"}
    r = api.post(f"{URL}/{old}/extension", json=body, headers=officer)
    assert r.status_code == 201 and r.json()["extensions"][0]["reason"] == body["reason"]


def test_unknown_person_and_request(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    r = api.post(URL, json={"subject_id": "nobody-here", "kind": "disclosure"}, headers=officer)
    assert r.status_code == 404
    assert api.get(f"{URL}/RR-1999-0001", headers=officer).status_code == 404
    r = api.post(URL, json={"subject_id": "M0000106", "kind": "erasure"}, headers=officer)
    assert r.status_code == 422 and r.json()["error"]["field"] == "claim"


def test_a_partly_refused_disclosure_withholds_sections(
    api: TestClient, env: Env, officer: dict[str, str]
) -> None:
    rid = _file(api, officer, "M0000107", verification="signed_link")["request_id"]
    body = {"outcome": "partly", "grounds": ["RIGHTS_DISCLOSURE_HARM"], "note": "第三者の権利を害するおそれ"}
    assert api.post(f"{URL}/{rid}/decision", json=body, headers=officer).status_code == 201
    r = api.post(f"{URL}/{rid}/carry-out", json={"withhold": ["no_such_section"]}, headers=officer)
    assert r.status_code == 422
    r = api.post(f"{URL}/{rid}/carry-out", json={"withhold": ["decisions"]}, headers=officer)
    assert r.status_code == 201 and r.json()["result"]["partial"] == {"withhold": ["decisions"]}
    doc = api.get(f"{URL}/{rid}/answer", params={"format": "json"}, headers=officer).json()
    assert doc["content"]["decisions"] == [] and doc["content"]["withheld"] == ["decisions"]
