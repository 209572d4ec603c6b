"""Segment exports (法31条) from the CLI and over the API: export, list, records (`--json`); the
API confines paths, needs the personal-data permission to start an export or read the records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from hogo.auth.roles import Role
from hogo.cli.app import app
from hogo.release.spec import SpecPaths
from hogo.segments.spec import parse_segment_spec
from hogo.services import segments as service
from hogo.web.views.segments import SegmentsPage
from tests.api.env import Env, client, login
from tests.profiling.env import profile_env
from tests.segments.world import CONFIRMATIONS, SEGMENTS, TOKEN_KEY, segment_spec, segment_world


def test_the_cli_exports_lists_and_shows_the_records(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.dialect.name != "sqlite":
        pytest.skip("the CLI path is the same on both backends; run once")
    monkeypatch.setenv("HOGO_DATABASE_URL", str(store.url))
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    segment_world(store, tmp_path)
    (tmp_path / "seg.yaml").write_text(yaml.safe_dump(segment_spec("cli-1"), allow_unicode=True), "utf-8")
    runner = CliRunner()
    done = runner.invoke(app, ["segment", "export", str(tmp_path / "seg.yaml")])
    assert done.exit_code == 0, done.output
    assert "法31条" in done.output and "提供 3" in done.output
    listed = runner.invoke(app, ["segment", "list", "--json"])
    assert [e["export_id"] for e in json.loads(listed.stdout)] == ["cli-1"]
    records = runner.invoke(app, ["segment", "records", "--json", "--recipient", "adco"])
    assert records.exit_code == 0, records.output
    body = json.loads(records.stdout)
    assert len(body) == 4 and {r["retention_until"] for r in body} == {"2027-06-10"}
    assert "c1" not in records.stdout.split('"')
    assert runner.invoke(app, ["segment", "records"]).exit_code == 0
    refused = runner.invoke(app, ["segment", "export", str(tmp_path / "seg.yaml")])
    assert refused.exit_code != 0
    verify = runner.invoke(app, ["ledger", "verify", "--json"])
    assert verify.exit_code == 0 and json.loads(verify.stdout)["ok"] is True


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    folder = Path(tmp_path_factory.mktemp("segments-api"))
    e = profile_env(folder)  # the test policy with its recipients and the `cookie` category
    (folder / "segments.csv").write_text(SEGMENTS, "utf-8")
    (folder / "confirmations.csv").write_text(CONFIRMATIONS, "utf-8")
    (folder / "token.key").write_text(TOKEN_KEY, "utf-8")
    yield e
    e.db.dispose()


@pytest.fixture()
def api(env: Env) -> Iterator[TestClient]:
    with client(env) as c:
        yield c


def _spec(export_id: str, **changes: object) -> dict[str, object]:
    return segment_spec(export_id, token_key_file="token.key", **changes)


def test_an_export_runs_in_the_background_and_its_records_need_the_permission(
    api: TestClient, env: Env
) -> None:
    r = api.post("/api/v1/segments", json=_spec("api-1"), headers=env.headers(Role.privacy_officer))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == "/api/v1/segments/api-1"
    info = service.wait_for(env.db, "api-1")
    assert info.status == "done", info.error
    got = api.get("/api/v1/segments/api-1", headers=env.headers(Role.auditor)).json()
    assert got["counts"]["exported"] == 3 and got["manifest"]["case"]["article"] == "法31条1項"
    assert (
        api.get("/api/v1/segments", headers=env.headers(Role.auditor)).json()["items"][0]["export_id"]
        == "api-1"
    )
    assert api.get("/api/v1/segments/records", headers=env.headers(Role.auditor)).status_code == 403
    records = api.get("/api/v1/segments/records?export_id=api-1", headers=env.headers(Role.privacy_officer))
    assert records.status_code == 200 and len(records.json()["items"]) == 4
    assert (Path(info.directory) / "segments.csv").is_file()
    again = api.post("/api/v1/segments", json=_spec("api-1"), headers=env.headers(Role.privacy_officer))
    assert again.status_code == 409


@pytest.mark.parametrize(
    "changes",
    [
        {"confirmations": {"path": "/etc/passwd"}},
        {"output": {"dir": "../../elsewhere"}},
        {"recipient": "nobody"},
    ],
)
def test_a_spec_outside_its_folders_or_the_policy_is_refused(
    api: TestClient, env: Env, changes: dict[str, object]
) -> None:
    r = api.post(
        "/api/v1/segments", json=_spec("api-x", **changes), headers=env.headers(Role.privacy_officer)
    )
    assert r.status_code == 422, r.text
    assert "passwd" not in r.text
    assert api.get("/api/v1/segments/api-x", headers=env.headers(Role.auditor)).status_code == 404


def test_starting_needs_the_personal_data_permission(api: TestClient, env: Env) -> None:
    r = api.post("/api/v1/segments", json=_spec("api-p"), headers=env.headers(Role.auditor))
    assert r.status_code == 403


def test_the_console_lists_exports_and_shows_records_only_with_the_permission(env: Env) -> None:
    folder = Path(str(env.db.url.database)).parent
    service.export_now(env.db, parse_segment_spec(_spec("web-1"), SpecPaths.local(folder)))
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        r = c.get("/segments")
        assert r.status_code == 200
        page = r.context["page"]  # type: ignore[attr-defined]
        assert isinstance(page, SegmentsPage) and page.records is None
        row = next(e for e in page.exports if e.export_id == "web-1")
        assert row.exported == 3 and row.kind_label == "Cookie ID"
        assert any("法31条1項1号" in e for e in row.excluded)
        assert "個人関連情報の提供(法31条)" in r.text and 'href="/segments"' in r.text
        assert "confirmations-table" not in r.text
    with client(env) as c:
        login(c, env.usernames[Role.privacy_officer])
        r = c.get("/segments?lang=en")
        page = r.context["page"]  # type: ignore[attr-defined]
        assert page.records and {x.export_id for x in page.records} >= {"web-1"}
        assert "Confirmation records (Art. 31(3))" in r.text and "c1," not in r.text


def test_purging_records_past_retention_needs_the_permission(api: TestClient, env: Env) -> None:
    folder = Path(str(env.db.url.database)).parent
    service.export_now(
        env.db, parse_segment_spec(_spec("api-c", record_form="contract"), SpecPaths.local(folder))
    )
    url, body = "/api/v1/segments/records/purge", {"before": "2025-06-11"}
    assert api.post(url, json=body, headers=env.headers(Role.auditor)).status_code == 403
    dry = api.post(url, json={**body, "dry_run": True}, headers=env.headers(Role.privacy_officer))
    assert dry.status_code == 200, dry.text
    assert dry.json()["purged"] == 4 and dry.json()["ledger_seq"] is None
    done = api.post(url, json=body, headers=env.headers(Role.privacy_officer)).json()
    assert done["purged"] == 4 and done["ledger_seq"] is not None
    assert done["exports"] == [
        {
            "export_id": "api-c",
            "recipient_id": "adco",
            "retention_until": "2025-06-10",
            "purged": 4,
            "kept": 0,
        }
    ]
    left = api.get("/api/v1/segments/records?export_id=api-c", headers=env.headers(Role.privacy_officer))
    assert left.json()["items"] == []
    later = api.post(url, json={"before": "2999-01-01"}, headers=env.headers(Role.privacy_officer))
    assert later.status_code == 422 and "before" in later.text
