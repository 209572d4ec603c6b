"""The verifiable log over the API: the latest head, issuing heads, proofs, receipts with proofs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.domain import transparency
from hogo.http.app import create_app
from tests.api.env import SECRET, Env, build_env


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, TestClient, Path]]:
    tmp = Path(tmp_path_factory.mktemp("ledger-api"))
    env = build_env(tmp, subjects=30)
    key = tmp / "ledger.pem"
    key.write_bytes(transparency.generate_private_key_pem())
    settings = Settings(database_url=env.database_url, secret_key=SECRET, ledger_signing_key_file=key)
    with TestClient(create_app(settings, db=env.db)) as c:
        yield env, c, key
    env.db.dispose()


def test_heads_are_issued_by_auditors_and_read_by_readers(keyed: tuple[Env, TestClient, Path]) -> None:
    env, api, _key = keyed
    assert api.post("/api/v1/ledger/heads", headers=env.headers(Role.operator)).status_code == 403
    issued = api.post("/api/v1/ledger/heads", headers=env.headers(Role.auditor))
    assert issued.status_code == 200
    latest = api.get("/api/v1/ledger/head", headers=env.headers(Role.operator)).json()
    assert latest == issued.json()
    status = api.get("/api/v1/ledger/status", headers=env.headers(Role.operator)).json()
    assert latest["tree_size"] == status["entries"]


def test_proofs_and_receipts_verify_offline_and_hide_payloads_without_permission(
    keyed: tuple[Env, TestClient, Path],
) -> None:
    env, api, key = keyed
    public = transparency.load_private_key(key.read_bytes()).public_key()
    full = api.get("/api/v1/ledger/entries/3/proof", headers=env.headers(Role.admin)).json()
    assert "payload" in full["entry"] and transparency.verify_receipt(full, public).entry_checked
    bare = api.get("/api/v1/ledger/entries/3/proof", headers=env.headers(Role.auditor)).json()
    assert set(bare["entry"]) == {"seq", "hash"} and transparency.verify_receipt(bare, public).ok
    assert (
        api.get("/api/v1/ledger/entries/999999/proof", headers=env.headers(Role.auditor)).status_code == 404
    )
    h = env.headers(Role.auditor)
    events = api.get("/api/v1/consents", params={"subject_id": "M0000001"}, headers=h).json()["items"]
    receipt = api.get(f"/api/v1/consents/{events[0]['event_id']}/receipt", headers=h).json()
    assert transparency.verify_receipt(receipt, public).ok
