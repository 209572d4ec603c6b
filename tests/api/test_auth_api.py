"""Bearer tokens: 401 without or with a bad/revoked token, 403 under-privileged, never data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.services import auth
from hogo.store.database import write_scope
from tests.api.env import Env

READ_PATHS = [
    "/api/v1/policy",
    "/api/v1/subjects?q=M",
    "/api/v1/subjects/M0000001",
    "/api/v1/subjects/M0000001/timeline",
    "/api/v1/consents?subject_id=M0000001",
    "/api/v1/consents/check?subject_id=M0000001&purpose_id=ad_partners",
    "/api/v1/ledger/status",
]


@pytest.mark.parametrize("path", READ_PATHS)
def test_no_token_is_401_without_data(api: TestClient, path: str) -> None:
    r = api.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert set(r.json()) == {"error"}
    assert "M0000001" not in r.text


@pytest.mark.parametrize("header", ["Bearer hogo_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_bad_credentials_are_401(api: TestClient, header: str) -> None:
    r = api.get("/api/v1/policy", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_every_role_reads(api: TestClient, env: Env) -> None:
    for role in Role:
        r = api.get("/api/v1/me", headers=env.headers(role))
        assert r.status_code == 200
        assert r.json()["role"] == role.value
        assert r.json()["kind"] == "token"


def test_auditor_cannot_record(api: TestClient, env: Env) -> None:
    body = {"subject_id": "M0000002", "choices": [{"purpose_id": "marketing_mail", "action": "grant"}]}
    before = api.get("/api/v1/ledger/status", headers=env.headers(Role.auditor)).json()["entries"]
    r = api.post("/api/v1/consents", json=body, headers=env.headers(Role.auditor))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    r = api.put("/api/v1/subjects", json={"subject_id": "X-auditor"}, headers=env.headers(Role.auditor))
    assert r.status_code == 403
    after = api.get("/api/v1/ledger/status", headers=env.headers(Role.auditor)).json()["entries"]
    assert after == before


def test_full_verification_needs_permission(api: TestClient, env: Env) -> None:
    assert api.get("/api/v1/ledger/status?verify=true", headers=env.headers(Role.operator)).status_code == 403
    r = api.get("/api/v1/ledger/status?verify=true", headers=env.headers(Role.auditor))
    assert r.status_code == 200
    assert r.json()["verified"] is True
    assert r.json()["ok"] is True


def test_revoked_token_stops_working(api: TestClient, env: Env) -> None:
    with write_scope(env.db) as session:
        token, info = auth.create_token(session, "short-lived", Role.operator)
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    with write_scope(env.db) as session:
        auth.revoke_token(session, info.id)
    assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_are_stored_only_as_hashes(env: Env) -> None:
    with write_scope(env.db) as session:
        token, info = auth.create_token(session, "hash-check", Role.auditor)
    with env.db.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM auth_tokens").fetchall())
    assert token not in dump
    assert info.hint == token[:10]
