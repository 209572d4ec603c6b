"""`hogo user add|list` and `hogo token create|list|revoke` against a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.config import Settings
from hogo.http.app import create_app

runner = CliRunner()


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HOGO_DATABASE_URL", url)
    return url


def test_user_add_hashes_the_password(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOGO_NEW_USER_PASSWORD", "a long enough passphrase")
    r = runner.invoke(app, ["user", "add", "hanako", "--role", "privacy_officer", "--display-name", "花子"])
    assert r.exit_code == 0, r.output
    assert "a long enough passphrase" not in r.output
    listed = runner.invoke(app, ["user", "list", "--json"])
    assert json.loads(listed.output) == [{"username": "hanako", "role": "privacy_officer", "active": True}]
    again = runner.invoke(app, ["user", "add", "hanako", "--role", "auditor"])
    assert again.exit_code == 2


def test_user_add_refuses_a_short_password(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOGO_NEW_USER_PASSWORD", "short")
    r = runner.invoke(app, ["user", "add", "taro", "--role", "operator"])
    assert r.exit_code == 2
    assert "12" in r.output


def test_token_create_use_and_revoke(db: str) -> None:
    created = runner.invoke(app, ["token", "create", "website", "--role", "operator", "--json"])
    assert created.exit_code == 0, created.output
    token = json.loads(created.output)["token"]
    api = create_app(Settings(database_url=db))
    with TestClient(api) as c:
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "operator"
        listed = json.loads(runner.invoke(app, ["token", "list", "--json"]).output)
        assert token not in json.dumps(listed)
        assert runner.invoke(app, ["token", "revoke", str(listed[0]["id"])]).exit_code == 0
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(app, ["token", "revoke", "999"]).exit_code == 2
