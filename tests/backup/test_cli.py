"""`hogo backup …` from the command line, as a scheduled job would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.store.database import make_db


def test_backup_commands(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOGO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("HOGO_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.output, result.exception)
        return result.stdout

    run("backup", "verify", "--all", code=2)  # nothing to verify is an error, not a silent success
    key = tmp_path / "backup.key"
    run("backup", "keygen", str(key))
    run("backup", "keygen", str(key), code=2)  # never overwrites a key
    monkeypatch.setenv("HOGO_BACKUP_KEY_FILE", str(key))
    created = json.loads(run("backup", "create", "--json"))
    assert created["encryption"]["scheme"] == "aes-256-gcm-stream/1"
    run("backup", "create")
    listed = json.loads(run("backup", "list", "--json"))
    assert listed[0]["generation"] == created["generation"] and len(listed) == 2
    verified = json.loads(run("backup", "verify", "--all", "--deep", "--json"))
    assert [v["ok"] for v in verified] == [True, True]

    engine = make_db(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET ref = 'forged' WHERE seq = 2"))
    engine.dispose()
    run("ledger", "verify", code=1)
    run(
        "backup",
        "restore",
        created["generation"],
        code=1,
    )  # asks first; no input means no
    restored = json.loads(run("backup", "restore", created["generation"], "--yes", "--json"))
    assert restored["ledger"]["entries"] == created["ledger"]["entries"]
    assert json.loads(run("ledger", "verify", "--json"))["ok"]

    pruned = json.loads(run("backup", "prune", "--keep-last", "1", "--keep-daily", "0", "--keep-weekly", "0",
                            "--keep-monthly", "0", "--json"))  # fmt: skip
    assert pruned["removed"] == [created["generation"]]
    run("backup", "verify", "nonexistent", code=2)
