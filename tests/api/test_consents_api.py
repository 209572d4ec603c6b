"""Consent capture (idempotent, GPC), withdrawal, listing, check and receipts over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from hogo.services import ledger, policy_cache
from hogo.services.consent import check
from hogo.store.database import write_scope
from tests.api.env import Env


def _status(api: TestClient, env: Env) -> int:
    entries: int = api.get("/api/v1/ledger/status", headers=env.headers(Role.auditor)).json()["entries"]
    return entries


def test_capture_then_check_allows(api: TestClient, env: Env) -> None:
    sid = env.uncovered_subject()
    h = env.headers(Role.operator)
    before = api.get(
        "/api/v1/consents/check", params={"subject_id": sid, "purpose_id": "ad_partners"}, headers=h
    )
    assert before.json()["allowed"] is False
    assert before.json()["reasons"][0]["code"] == "TERMS_DID_NOT_INCLUDE_PURPOSE"
    assert before.json()["reasons"][0]["article"] == "法18条1項"
    body = {
        "subject_id": sid,
        "choices": [{"purpose_id": "ad_partners", "action": "grant"}],
        "terms_version": "2021-07",
    }
    r = api.post("/api/v1/consents", json=body, headers=h)
    assert r.status_code == 201
    out = r.json()
    assert out["recorded"] == 1 and out["gpc_objections"] == []
    after = api.get(
        "/api/v1/consents/check", params={"subject_id": sid, "purpose_id": "ad_partners"}, headers=h
    )
    assert after.json()["allowed"] is True
    assert after.json()["basis"] == "consent"
    assert after.json()["event_id"] == out["events"][0]["event_id"]


def test_idempotency_key_replays_and_records_once(api: TestClient, env: Env) -> None:
    h = {**env.headers(Role.operator), "Idempotency-Key": "order-4711"}
    body = {"subject_id": "M0000003", "choices": [{"purpose_id": "marketing_mail", "action": "deny"}]}
    first = api.post("/api/v1/consents", json=body, headers=h)
    entries = _status(api, env)
    second = api.post("/api/v1/consents", json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _status(api, env) == entries
    changed = {**body, "choices": [{"purpose_id": "marketing_mail", "action": "grant"}]}
    conflict = api.post("/api/v1/consents", json=changed, headers=h)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "conflict"
    assert _status(api, env) == entries


def test_idempotency_keys_are_per_caller(api: TestClient, env: Env) -> None:
    body = {"subject_id": "M0000004", "choices": [{"purpose_id": "marketing_mail", "action": "grant"}]}
    a = api.post(
        "/api/v1/consents", json=body, headers={**env.headers(Role.operator), "Idempotency-Key": "k"}
    )
    b = api.post("/api/v1/consents", json=body, headers={**env.headers(Role.admin), "Idempotency-Key": "k"})
    assert a.status_code == b.status_code == 201
    assert a.json()["events"][0]["event_id"] != b.json()["events"][0]["event_id"]


def test_gpc_records_objections_to_provision(api: TestClient, env: Env) -> None:
    sid = "M0000005"
    h = {**env.headers(Role.operator), "Sec-GPC": "1"}
    body = {
        "subject_id": sid,
        "choices": [{"purpose_id": "ad_partners", "action": "grant"}],
        "terms_version": "2021-07",
    }
    r = api.post("/api/v1/consents", json=body, headers=h)
    assert r.status_code == 201
    out = r.json()
    # Every third-party provision purpose of the demo policy is objected to.
    assert sorted(out["gpc_objections"]) == ["ad_partners", "analytics_overseas", "mailing_list"]
    actions = sorted((e["purpose_id"], e["action"]) for e in out["events"])
    assert ("ad_partners", "object") in actions and ("mailing_list", "object") in actions
    for purpose in ("ad_partners", "mailing_list"):
        d = api.get(
            "/api/v1/consents/check", params={"subject_id": sid, "purpose_id": purpose}, headers=h
        ).json()
        assert d["allowed"] is False, purpose
    internal = api.get(
        "/api/v1/consents/check", params={"subject_id": sid, "purpose_id": "service"}, headers=h
    )
    assert internal.json()["allowed"] is True


def test_gpc_alone_is_enough_to_capture(api: TestClient, env: Env) -> None:
    h = {**env.headers(Role.operator), "Sec-GPC": "1"}
    r = api.post("/api/v1/consents", json={"subject_id": "M0000006"}, headers=h)
    assert r.status_code == 201
    assert {e["action"] for e in r.json()["events"]} == {"object"}
    r = api.post("/api/v1/consents", json={"subject_id": "M0000006"}, headers=env.headers(Role.operator))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "choices"


def test_withdraw_and_list(api: TestClient, env: Env) -> None:
    sid = env.uncovered_subject("analytics_overseas")
    h = env.headers(Role.operator)
    grant = {"subject_id": sid, "choices": [{"purpose_id": "marketing_mail", "action": "grant"}]}
    assert api.post("/api/v1/consents", json=grant, headers=h).status_code == 201
    r = api.post(
        "/api/v1/consents/withdrawals", json={"subject_id": sid, "purpose_id": "marketing_mail"}, headers=h
    )
    assert r.status_code == 201
    assert r.json()["events"][0]["action"] == "withdraw"
    listed = api.get(
        "/api/v1/consents", params={"subject_id": sid, "purpose_id": "marketing_mail"}, headers=h
    )
    assert [e["action"] for e in listed.json()["items"]][-1] == "withdraw"
    d = api.get(
        "/api/v1/consents/check", params={"subject_id": sid, "purpose_id": "marketing_mail"}, headers=h
    )
    assert d.json()["reasons"][0]["code"] == "CONSENT_WITHDRAWN"


def test_receipt_carries_ledger_hash(api: TestClient, env: Env) -> None:
    h = env.headers(Role.auditor)
    events = api.get("/api/v1/consents", params={"subject_id": "M0000001"}, headers=h).json()["items"]
    r = api.get(f"/api/v1/consents/{events[0]['event_id']}/receipt", headers=h)
    assert r.status_code == 200
    receipt = r.json()
    assert receipt["schema"].startswith("ISO/IEC TS 27560")
    assert len(receipt["ledger"]["hash"]) == 64
    assert api.get("/api/v1/consents/no-such-event/receipt", headers=h).status_code == 404


def test_errors_name_fields_not_values(api: TestClient, env: Env) -> None:
    h = env.headers(Role.operator)
    secret_value = "山田太郎-090-1234-5678"
    r = api.post(
        "/api/v1/consents",
        json={"subject_id": secret_value, "choices": [{"purpose_id": "ad_partners", "action": "grant"}]},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "body.subject_id"  # outside the id alphabet
    assert secret_value not in r.text
    r = api.post(
        "/api/v1/consents",
        json={"subject_id": "M1", "choices": [{"purpose_id": "x", "action": secret_value}]},
        headers=h,
    )
    assert r.status_code == 422
    assert secret_value not in r.text
    assert r.json()["error"]["details"][0]["field"].startswith("body.choices.0.action")
    r = api.post(
        "/api/v1/consents",
        json={"subject_id": "M0000001", "choices": [{"purpose_id": "nope", "action": "grant"}]},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "purpose_id"


def test_lean_history_equals_the_service_history(env: Env) -> None:
    """The one reader's lean history (the API's hot path, and every other front end's) is what the
    ORM reads back and validates, on the demo data."""
    from hogo.services.histories import history
    from hogo.store.database import write_scope
    from tests.store.test_histories import validated_history

    with write_scope(env.db) as session:
        for n in range(1, 40):
            sid = f"M{n:07d}"
            assert history(session, sid) == validated_history(session, sid), sid


def test_concurrent_captures_are_group_committed_each_with_its_answer(
    api: TestClient, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Captures posted at once go through the group commit (services.capture.captures_queue):
    each gets its own 201 and events, one ledger entry per event, the ledger verifies; a key
    posted twice at once records once and both get the same answer; the same key with another
    body is a 409; the policy is not parsed again (the server's PolicyCache)."""
    parsed: list[int] = []
    real = policy_cache.require_policy
    monkeypatch.setattr(policy_cache, "require_policy", lambda *a: parsed.append(1) or real(*a))
    h = env.headers(Role.operator)
    api.post("/api/v1/consents", json=_grant("M0000021"), headers=h)  # the cache is warm
    members = [env.uncovered_subject("ad_partners") for _ in range(8)]
    before = _status(api, env)
    parsed.clear()
    keyed = {**h, "Idempotency-Key": "group-4712"}
    posts = [(_grant(sid), h) for sid in members] + [(_grant("M0000022"), keyed)] * 2
    posts.append((_grant("M0000023"), keyed))

    def post(item: tuple[dict[str, object], dict[str, str]]) -> httpx.Response:
        return api.post("/api/v1/consents", json=item[0], headers=item[1])

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, posts))
    codes = [a.status_code for a in answers]
    assert codes[:8] == [201] * 8
    # Whichever request of the key came first records; the others replay it or are refused.
    if codes[10] == 201:
        assert codes[8:10] == [409, 409]
    else:
        assert codes[8:] == [201, 201, 409] and answers[8].json() == answers[9].json()
    assert all(a.json()["recorded"] == 1 for a in answers if a.status_code == 201)
    assert parsed == []
    assert _status(api, env) == before + 9
    with write_scope(env.db) as session:
        chain, rows = ledger.verify_all(session)
        assert ledger.verdict(chain, rows).ok
        assert all(check(session, sid, "ad_partners", datetime.now(JST)).allowed for sid in members)


def _grant(sid: str) -> dict[str, object]:
    return {"subject_id": sid, "choices": [{"purpose_id": "ad_partners", "action": "grant"}],
            "terms_version": "2021-07"}  # fmt: skip
