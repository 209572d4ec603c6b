"""Readiness over the API: devices with EOL status, the assessment, recording it, the history."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from tests.api.env import Env
from tests.readiness.stored import store_sample_inventory


def test_assets_carry_their_end_of_life_status(api: TestClient, env: Env) -> None:
    store_sample_inventory(env.db)
    r = api.get("/api/v1/readiness/assets?on=2026-11-27", headers=env.headers(Role.auditor))
    assert r.status_code == 200
    items = {a["id"]: a for a in r.json()["items"]}
    assert set(items) == {"vpn-1", "router-branch", "rdp-1", "fs-1", "nas-1"}
    # Windows Server 2012 R2 ended its extended support in 2023.
    assert items["rdp-1"]["eol"]["state"] == "eol" and items["rdp-1"]["eol"]["past_eol"]
    assert items["rdp-1"]["eol"]["product"] == "windows-server"
    # The ELECOM router made before 2017 gets no more firmware (vendor rule).
    assert (
        items["router-branch"]["eol"]["vendor_discontinued"]
        and items["router-branch"]["eol"]["state"] == "eol"
    )
    assert items["fs-1"]["eol"]["state"] == "supported" and items["fs-1"]["eol"]["eol_date"] is not None
    assert items["rdp-1"]["failed_findings"] > 0


def test_assessment_computes_without_recording(api: TestClient, env: Env) -> None:
    store_sample_inventory(env.db)
    before = api.get("/api/v1/readiness/history", headers=env.headers(Role.auditor)).json()["points"]
    r = api.get("/api/v1/readiness/assessment?failed_only=true", headers=env.headers(Role.auditor))
    assert r.status_code == 200
    body = r.json()
    assert body["recorded_id"] is None and body["score"]["grade"] in {"D", "E"}  # open critical findings
    severities = [f["severity"] for f in body["findings"]]
    order = ["critical", "high", "medium", "low"]
    assert severities == sorted(severities, key=order.index) and not any(
        f["passed"] for f in body["findings"]
    )
    rdp = next(f for f in body["findings"] if f["check_id"] == "access.rdp_exposed")
    assert (
        rdp["subject"] == "rdp-1" and rdp["fix_ja"] and rdp["rationale_en"] and "警察庁" in rdp["reference"]
    )
    assert body["score"]["failed_by_severity"]["critical"] == severities.count("critical")
    after = api.get("/api/v1/readiness/history", headers=env.headers(Role.auditor)).json()["points"]
    assert after == before


def test_recording_needs_the_write_permission_and_extends_history(api: TestClient, env: Env) -> None:
    store_sample_inventory(env.db)
    assert api.post("/api/v1/readiness/assessment", headers=env.headers(Role.auditor)).status_code == 403
    assert api.post("/api/v1/readiness/assessment").status_code == 401
    before = api.get("/api/v1/readiness/history", headers=env.headers(Role.auditor)).json()["points"]
    r = api.post("/api/v1/readiness/assessment", headers=env.headers(Role.operator))
    assert r.status_code == 201 and isinstance(r.json()["recorded_id"], int)
    history = api.get("/api/v1/readiness/history", headers=env.headers(Role.auditor)).json()
    assert len(history["points"]) == len(before) + 1
    assert history["points"][-1]["score"] == r.json()["score"]["value"]
    ledger = api.get("/api/v1/ledger/status?verify=true", headers=env.headers(Role.auditor)).json()
    assert ledger["ok"] is True
