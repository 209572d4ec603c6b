"""Bad ids and times over the API (issue 10 findings 10 and 18): 422 in the JSON error format,
naming the field, never the value, quickly even for a megabyte-long id."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from tests.api.env import Env

MB = 1024 * 1024
BAD_IDS = {
    "unit separator": "a\x1fb",
    "NUL": "a\x00b",
    "newline": "a\nb",
    "tab inside": "a\tb",
    "slash": "a/b",
    "129 characters": "x" * 129,
    "1 MB": "y" * MB,
    "ideographic": "山田太郎",
    "DEL": "a\x7fb",
}


def _invalid(r: object, field: str, value: str) -> None:
    response = r  # an httpx.Response
    if len(value) >= MB:
        # A megabyte-long id cannot arrive at all: the body cap refuses it before it is read.
        assert response.status_code == 413, response.text  # type: ignore[attr-defined]
        assert response.json()["error"]["code"] == "body_too_large"  # type: ignore[attr-defined]
        assert len(response.content) < 4000 and value[:20] not in response.text  # type: ignore[attr-defined]
        return
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["field"].endswith(field)
    assert len(response.content) < 4000 and value[:20] not in response.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("label", sorted(BAD_IDS))
def test_capture_refuses_bad_subject_ids(api: TestClient, env: Env, label: str) -> None:
    body = {"subject_id": BAD_IDS[label], "choices": [{"purpose_id": "ad_partners", "action": "grant"}]}
    _invalid(
        api.post("/api/v1/consents", json=body, headers=env.headers(Role.operator)),
        "subject_id",
        BAD_IDS[label],
    )


@pytest.mark.parametrize("label", sorted(BAD_IDS))
def test_capture_refuses_bad_purpose_ids(api: TestClient, env: Env, label: str) -> None:
    value = BAD_IDS[label]
    body = {"subject_id": "M0000010", "choices": [{"purpose_id": value, "action": "grant"}]}
    _invalid(api.post("/api/v1/consents", json=body, headers=env.headers(Role.operator)), "purpose_id", value)


@pytest.mark.parametrize("label", [k for k in sorted(BAD_IDS) if k != "1 MB"])  # httpx caps URLs at 64 KB
def test_check_refuses_bad_query_ids(api: TestClient, env: Env, label: str) -> None:
    value = BAD_IDS[label]
    r = api.get(
        "/api/v1/consents/check",
        params={"subject_id": value, "purpose_id": "ad_partners"},
        headers=env.headers(Role.operator),
    )
    _invalid(r, "subject_id", value)
    r = api.get(
        "/api/v1/consents/check",
        params={"subject_id": "M0000010", "purpose_id": value},
        headers=env.headers(Role.operator),
    )
    _invalid(r, "purpose_id", value)


@pytest.mark.parametrize("label", [k for k in sorted(BAD_IDS) if k not in ("slash", "1 MB")])
def test_subject_path_refuses_bad_ids(api: TestClient, env: Env, label: str) -> None:
    value = BAD_IDS[label]
    r = api.get(f"/api/v1/subjects/{quote(value, safe='')}", headers=env.headers(Role.privacy_officer))
    _invalid(r, "subject_id", value)


@pytest.mark.parametrize(
    "collected_at", ["0001-01-01T00:00+09:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]
)
def test_times_outside_what_stores_can_hold_are_422(api: TestClient, env: Env, collected_at: str) -> None:
    """Were OverflowError tracebacks (500)."""
    body = {
        "subject_id": "M0000011",
        "choices": [{"purpose_id": "ad_partners", "action": "grant"}],
        "terms_version": "2021-07",
        "collected_at": collected_at,
    }
    r = api.post("/api/v1/consents", json=body, headers=env.headers(Role.operator))
    _invalid(r, "collected_at", collected_at)
    r = api.post(
        "/api/v1/consents/withdrawals",
        json={"subject_id": "M0000011", "purpose_id": "ad_partners", "collected_at": collected_at},
        headers=env.headers(Role.operator),
    )
    _invalid(r, "collected_at", collected_at)


def test_incident_subject_and_dataset_ids(api: TestClient, env: Env) -> None:
    h = env.headers(Role.privacy_officer)
    base = {"type": "missent_email", "description": "x", "aware_at": "2026-04-01T15:30:00+09:00"}
    _invalid(
        api.post("/api/v1/incidents", json={**base, "subjects": ["a\x00b"]}, headers=h),
        "subjects.0",
        "a\x00b",
    )
    _invalid(
        api.post("/api/v1/incidents", json={**base, "datasets": ["a:b"]}, headers=h), "datasets.0", "a:b"
    )


@pytest.mark.parametrize(
    ("field", "limit"), [("guardian_relation", 64), ("guardian_name", 256), ("terms_version", 64)]
)
def test_capture_refuses_text_longer_than_the_store_holds(
    api: TestClient, env: Env, field: str, limit: int
) -> None:
    """Was: a relation of 65–256 characters passed the schema and failed the store's write on
    PostgreSQL (500, and its values in the error); the bounds are the consent event's own."""
    value = "続" * (limit + 1)
    body = {
        "subject_id": "M0000012",
        "choices": [{"purpose_id": "ad_partners", "action": "grant"}],
        field: value,
    }
    _invalid(api.post("/api/v1/consents", json=body, headers=env.headers(Role.operator)), field, value)
