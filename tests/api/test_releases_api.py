"""Releases over the API: start (202), follow, read the manifest, download by role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.services import releases as service
from tests.api.env import Env, client
from tests.release.world import TOKEN_KEY, anonymized_spec, personal_spec, release_env


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    e = release_env(Path(tmp_path_factory.mktemp("releases-api")))
    yield e
    e.db.dispose()
    mp.undo()


@pytest.fixture()
def api(env: Env) -> Iterator[TestClient]:
    with client(env) as c:
        yield c


def _start(api: TestClient, env: Env, spec: dict[str, object], role: Role = Role.privacy_officer) -> str:
    r = api.post("/api/v1/releases", json=spec, headers=env.headers(role))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "running" and r.headers["location"] == f"/api/v1/releases/{body['release_id']}"
    assert service.wait_for(env.db, body["release_id"]).status == "done"
    return str(body["release_id"])


def test_personal_release_via_api_and_downloads_gated_by_role(api: TestClient, env: Env) -> None:
    rid = _start(api, env, personal_spec("api-p1"))
    r = api.get(f"/api/v1/releases/{rid}", headers=env.headers(Role.auditor))
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "done" and body["mode"] == "personal"
    assert body["counts"]["allowed"] == 2 and body["manifest"]["bases"] == {"consent": 1, "opt_out": 1}
    files = {f["name"]: f for f in body["files"]}
    assert files["release.parquet"]["personal"] and not files["release.parquet"]["downloadable"]
    assert files["manifest.json"]["downloadable"]
    data = f"/api/v1/releases/{rid}/files/release.parquet"
    assert api.get(data, headers=env.headers(Role.auditor)).status_code == 403
    assert api.get(data, headers=env.headers(Role.operator)).status_code == 403
    got = api.get(data, headers=env.headers(Role.privacy_officer))
    assert got.status_code == 200 and got.content.startswith(b"PAR1")
    manifest = api.get(f"/api/v1/releases/{rid}/files/manifest.json", headers=env.headers(Role.auditor))
    assert manifest.status_code == 200 and manifest.json()["release_id"] == rid
    listed = api.get("/api/v1/releases", headers=env.headers(Role.auditor)).json()["items"]
    assert rid in [i["release_id"] for i in listed]


def test_anonymized_files_and_announcement_are_for_readers(api: TestClient, env: Env) -> None:
    rid = _start(api, env, anonymized_spec("api-a1"))
    body = api.get(f"/api/v1/releases/{rid}", headers=env.headers(Role.auditor)).json()
    assert body["manifest"]["anonymization"]["k_achieved"] >= 5
    names = [f["name"] for f in body["files"]]
    announcement = next(n for n in names if n.endswith("公表事項.txt"))
    assert all(f["downloadable"] and not f["personal"] for f in body["files"])
    r = api.get(f"/api/v1/releases/{rid}/files/{announcement}", headers=env.headers(Role.auditor))
    assert r.status_code == 200 and "匿名加工情報" in r.text
    data = api.get(f"/api/v1/releases/{rid}/files/anonymized.parquet", headers=env.headers(Role.auditor))
    assert data.status_code == 200


def test_starting_needs_the_personal_data_permission(api: TestClient, env: Env) -> None:
    for role in (Role.auditor, Role.operator):
        r = api.post("/api/v1/releases", json=personal_spec(f"x-{role.value}"), headers=env.headers(role))
        assert r.status_code == 403
    assert api.post("/api/v1/releases", json=personal_spec("x")).status_code == 401


def test_bad_specs_and_unknown_ids(api: TestClient, env: Env) -> None:
    officer = env.headers(Role.privacy_officer)
    r = api.post("/api/v1/releases", json={"mode": "personal"}, headers=officer)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    refused = personal_spec("x-refused", purpose="mynum_share", recipient="broker")
    assert api.post("/api/v1/releases", json=refused, headers=officer).status_code == 422
    _start(api, env, personal_spec("api-dup"))
    assert api.post("/api/v1/releases", json=personal_spec("api-dup"), headers=officer).status_code == 409
    assert api.get("/api/v1/releases/nope", headers=officer).status_code == 404
    assert api.get("/api/v1/releases/api-dup/files/..%2Fhogo-release.db", headers=officer).status_code == 404
    assert api.get("/api/v1/releases/api-dup/files/other.csv", headers=officer).status_code == 404
