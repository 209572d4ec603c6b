"""Policy, subjects and timelines; the GPC declaration; settings that refuse unsafe secrets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from hogo.auth.roles import Role
from hogo.config import Settings
from tests.api.env import Env


def test_policy_shows_what_each_revision_added(api: TestClient, env: Env) -> None:
    r = api.get("/api/v1/policy", headers=env.headers(Role.auditor))
    assert r.status_code == 200
    terms = {t["version"]: t for t in r.json()["terms"]}
    assert terms["2020-04"]["added_purposes"] == []
    assert terms["2021-07"]["added_purposes"] == ["ad_partners", "mailing_list"]
    assert {p["id"] for p in r.json()["purposes"]} >= {"ad_partners", "service"}


def test_subjects_put_search_and_timeline(api: TestClient, env: Env) -> None:
    h = env.headers(Role.operator)
    body = {"subject_id": "W-0001", "birth_date": "2012-05-01", "identity_verified": True}
    first = api.put("/api/v1/subjects", json=body, headers=h)
    again = api.put("/api/v1/subjects", json=body, headers=h)
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    found = api.get("/api/v1/subjects", params={"q": "w-00"}, headers=h).json()["items"]
    assert [s["subject_id"] for s in found] == ["W-0001"]
    # A LIKE wildcard in the query is taken literally.
    assert api.get("/api/v1/subjects", params={"q": "%"}, headers=h).json()["items"] == []
    timeline = api.get("/api/v1/subjects/W-0001/timeline", headers=h).json()
    assert timeline["events"] == []
    by_purpose = {d["purpose_id"]: d for d in timeline["decisions"]}
    assert by_purpose["ad_partners"]["allowed"] is False
    assert by_purpose["service"]["allowed"] is True
    assert api.get("/api/v1/subjects/nobody", headers=h).status_code == 404


def test_subject_output_has_no_contact_details(api: TestClient, env: Env) -> None:
    r = api.get("/api/v1/subjects/M0000001", headers=env.headers(Role.auditor))
    assert set(r.json()) == {"subject_id", "birth_date", "birth_date_present", "identity_verified"}


def test_gpc_declaration(api: TestClient) -> None:
    r = api.get("/.well-known/gpc.json")
    assert r.status_code == 200
    assert r.json()["gpc"] is True
    assert len(r.json()["lastUpdate"]) == 10


def test_settings_refuse_default_secret_outside_development() -> None:
    with pytest.raises(ValidationError, match="HOGO_SECRET_KEY"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="HOGO_SECRET_KEY"):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="production", secret_key="x" * 40).environment == "production"
    assert Settings().environment == "development"


def test_subject_put_changes_only_the_fields_sent(api: TestClient, env: Env) -> None:
    h = env.headers(Role.privacy_officer)  # sees birth dates (personal_data) and may record
    api.put(
        "/api/v1/subjects",
        json={"subject_id": "W-0002", "birth_date": "2012-05-01", "identity_verified": True},
        headers=h,
    )
    r = api.put("/api/v1/subjects", json={"subject_id": "W-0002"}, headers=h)
    assert r.status_code == 200
    assert r.json()["subject"] == {
        "subject_id": "W-0002",
        "birth_date": "2012-05-01",
        "birth_date_present": True,
        "identity_verified": True,
    }
    r = api.put("/api/v1/subjects", json={"subject_id": "W-0002", "identity_verified": False}, headers=h)
    assert r.json()["subject"] == {
        "subject_id": "W-0002",
        "birth_date": "2012-05-01",
        "birth_date_present": True,
        "identity_verified": False,
    }
    # An explicit null clears; it is not the same as leaving the field out.
    r = api.put("/api/v1/subjects", json={"subject_id": "W-0002", "birth_date": None}, headers=h)
    assert api.get("/api/v1/subjects/W-0002", headers=h).json()["birth_date"] is None
