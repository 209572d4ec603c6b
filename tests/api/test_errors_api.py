"""Every failure answers in the JSON error format: dates out of range or given as numbers (422),
an unforeseen exception (500, no traceback, no plain text), a method not served (405 with Allow)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from tests.api.env import Env, client


def _is_problem(r: object, status: int) -> dict[str, object]:
    assert getattr(r, "status_code") == status, getattr(r, "text")  # noqa: B009
    assert getattr(r, "headers")["content-type"].startswith("application/json")  # noqa: B009
    body = getattr(r, "json")()  # noqa: B009
    assert set(body["error"]) >= {"code", "message_ja", "message_en"}
    return dict(body["error"])


@pytest.mark.parametrize("path", ["/api/v1/readiness/assets", "/api/v1/readiness/assessment"])
@pytest.mark.parametrize(
    "on", ["0001-01-01", "9999-12-31", "1899-12-31", "2100-01-01", "5", "20240101", "2023-02-29"]
)
def test_readiness_days_out_of_range_or_malformed_are_422(
    api: TestClient, env: Env, path: str, on: str
) -> None:
    error = _is_problem(api.get(path, params={"on": on}, headers=env.headers(Role.auditor)), 422)
    assert error["field"] == "query.on"
    assert on not in str(error)  # the value is not repeated back


@pytest.mark.parametrize("on", ["1900-01-01", "2099-12-31"])
def test_readiness_days_at_the_bounds_are_answered(api: TestClient, env: Env, on: str) -> None:
    r = api.get("/api/v1/readiness/assessment", params={"on": on}, headers=env.headers(Role.auditor))
    assert r.status_code == 200 and r.json()["assessed_on"] == on


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00+09:00",
        "9999-12-31T23:59:59-12:00",
        "1999-12-31T23:59:59",
        "1700000000",
        "2024-06-01",
    ],
)
def test_moments_out_of_range_or_malformed_are_422(api: TestClient, env: Env, at: str) -> None:
    h = env.headers(Role.auditor)
    for url in ("/api/v1/consents/check?subject_id=M0000001&purpose_id=service", "/api/v1/incidents?"):
        assert (
            _is_problem(api.get(f"{url}&at={at}" if "?" in url else url, headers=h), 422)["field"]
            == "query.at"
        )
    assert _is_problem(api.get("/api/v1/subjects/M0000001/timeline", params={"at": at}, headers=h), 422)


@pytest.mark.parametrize(
    ("field", "value"),
    [("collected_at", "0001-01-01T00:00+09:00"), ("collected_at", "9999-12-31T23:59:59-12:00"),
     ("collected_at", 1_700_000_000), ("collected_at", 1.5)],
)  # fmt: skip
def test_capture_refuses_numbers_and_far_times(api: TestClient, env: Env, field: str, value: object) -> None:
    body = {"subject_id": "M0000001", "choices": [{"purpose_id": "service", "action": "grant"}], field: value}
    error = _is_problem(api.post("/api/v1/consents", json=body, headers=env.headers(Role.operator)), 422)
    assert error["field"] == f"body.{field}"


def test_capture_refuses_a_collection_time_in_the_future(api: TestClient, env: Env) -> None:
    body = {"subject_id": "M0000001", "choices": [{"purpose_id": "service", "action": "grant"}],
            "collected_at": "2099-01-01T00:00+09:00"}  # fmt: skip
    error = _is_problem(api.post("/api/v1/consents", json=body, headers=env.headers(Role.operator)), 422)
    assert error["field"] == "collected_at" and "未来" in str(error["message_ja"])


@pytest.mark.parametrize("birth", [20110304, "0001-01-01", "2011-3-4", True])
def test_a_birth_date_is_text_in_range(api: TestClient, env: Env, birth: object) -> None:
    body = {"subject_id": "E-0001", "birth_date": birth}
    error = _is_problem(api.put("/api/v1/subjects", json=body, headers=env.headers(Role.operator)), 422)
    assert error["field"] == "body.birth_date"


def test_a_flag_is_a_boolean_not_a_number(api: TestClient, env: Env) -> None:
    body = {"subject_id": "E-0002", "identity_verified": 1}
    error = _is_problem(api.put("/api/v1/subjects", json=body, headers=env.headers(Role.operator)), 422)
    assert error["field"] == "body.identity_verified"


@pytest.fixture()
def failing(env: Env) -> Iterator[TestClient]:
    """The app with a route of each kind that fails in a way nobody foresaw."""

    def boom() -> None:
        raise OverflowError("date value out of range: secret-value-M0000001")

    env.app.add_api_route("/api/v1/test-boom", boom, include_in_schema=False)
    env.app.add_api_route("/test-boom", boom, include_in_schema=False)
    try:
        with client(env) as c:
            yield c
    finally:
        env.app.router.routes[:] = [
            r
            for r in env.app.router.routes
            if getattr(r, "path", "") not in ("/api/v1/test-boom", "/test-boom")
        ]


def test_an_unforeseen_failure_is_a_json_500_without_details(
    failing: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    r = failing.get("/api/v1/test-boom")
    assert _is_problem(r, 500)["code"] == "server_error"
    assert "secret-value" not in r.text and "Traceback" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"  # still behind the security headers
    assert "OverflowError" in caplog.text and "secret-value" not in caplog.text


def test_an_unforeseen_failure_on_a_console_page_is_an_html_500(failing: TestClient) -> None:
    r = failing.get("/test-boom")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "secret-value" not in r.text and "Traceback" not in r.text


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("DELETE", "/api/v1/consents", "GET, POST"), ("PATCH", "/api/v1/subjects", "GET, PUT"),
     ("POST", "/api/v1/policy", "GET"), ("PUT", "/api/v1/readiness/assessment", "GET, POST")],
)  # fmt: skip
def test_a_method_not_served_is_405_with_allow(
    api: TestClient, env: Env, method: str, path: str, allow: str
) -> None:
    r = api.request(method, path, headers=env.headers(Role.admin))
    _is_problem(r, 405)
    assert r.headers["allow"] == allow


def test_allow_names_the_documented_path_not_a_parameter_route(api: TestClient, env: Env) -> None:
    # GET /inventory/{dataset_id} would match the text too; the document's /inventory/import is POST.
    r = api.request("OPTIONS", "/api/v1/inventory/import", headers=env.headers(Role.admin))
    _is_problem(r, 405)
    assert r.headers["allow"] == "POST"


def test_allow_on_a_console_page(api: TestClient) -> None:
    r = api.request("DELETE", "/login")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
