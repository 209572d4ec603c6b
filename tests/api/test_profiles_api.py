"""Profiles over the API: start (202) with a confined spec, follow, read the manifest; starting
needs the personal-data permission, reading does not; a job outside its purpose is refused at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.services import profiles as service
from tests.api.env import Env, client
from tests.profiling.env import profile_env
from tests.profiling.test_profile_jobs import job


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = profile_env(Path(tmp_path_factory.mktemp("profiles-api")))
    yield e
    e.db.dispose()


@pytest.fixture()
def api(env: Env) -> Iterator[TestClient]:
    with client(env) as c:
        yield c


def _spec(job_id: str, **changes: Any) -> dict[str, Any]:
    return job(Path("."), job_id, **changes)


def test_a_job_runs_in_the_background_and_its_manifest_is_for_readers(api: TestClient, env: Env) -> None:
    r = api.post("/api/v1/profiles", json=_spec("api-1"), headers=env.headers(Role.privacy_officer))
    assert r.status_code == 202, r.text
    assert r.json() == {"profile_id": "api-1", "status": "running"}
    assert r.headers["location"] == "/api/v1/profiles/api-1"
    assert service.wait_for(env.db, "api-1").status == "done"
    got = api.get("/api/v1/profiles/api-1", headers=env.headers(Role.auditor))
    assert got.status_code == 200
    body = got.json()
    assert body["status"] == "done" and body["counts"]["profiled"] == 2 and body["rows_erased"] == 0
    assert body["manifest"]["features_sha256"] and body["manifest"]["bases"] == {"consent": 2}
    assert body["ledger_seq"] == body["manifest"]["ledger_seq"]
    listed = api.get("/api/v1/profiles", headers=env.headers(Role.auditor)).json()["items"]
    assert "api-1" in [i["profile_id"] for i in listed]
    again = api.post("/api/v1/profiles", json=_spec("api-1"), headers=env.headers(Role.privacy_officer))
    assert again.status_code == 409


@pytest.mark.parametrize(
    "changes",
    [
        {
            "purchases": {
                "path": "/etc/passwd",
                "columns": {"member_id": "a", "purchased_at": "b", "amount_yen": "c"},
            }
        },
        {"output": {"dir": "../../elsewhere"}},
        {"purchases_category": "contact"},  # outside the purpose: refused before it runs
    ],
)
def test_a_spec_outside_its_folders_or_purpose_is_refused(
    api: TestClient, env: Env, changes: dict[str, Any]
) -> None:
    r = api.post(
        "/api/v1/profiles", json=_spec("api-x", **changes), headers=env.headers(Role.privacy_officer)
    )
    assert r.status_code == 422, r.text
    assert "passwd" not in r.text
    assert api.get("/api/v1/profiles/api-x", headers=env.headers(Role.auditor)).status_code == 404


def test_starting_needs_the_personal_data_permission(api: TestClient, env: Env) -> None:
    for role in (Role.auditor, Role.operator):
        assert api.post("/api/v1/profiles", json=_spec("x"), headers=env.headers(role)).status_code == 403
    assert api.post("/api/v1/profiles", json=_spec("x")).status_code == 401
    assert api.get("/api/v1/profiles").status_code == 401
