"""`hogo campaign`: create from the terms gap, show conversion, export targets (0600, BOM), end."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.demo import build_database


def test_campaign_lifecycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "demo.db"
    build_database(db, subjects=60, seed=7)
    monkeypatch.setenv("HOGO_DATABASE_URL", f"sqlite:///{db}")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    made = json.loads(
        run("campaign", "create", "c1", "--title", "再同意", "--purpose", "ad_partners", "--json")
    )
    assert made["target_count"] > 0 and len(made["target_digest"]) == 64
    shown = json.loads(run("campaign", "show", "c1", "--json"))
    assert shown["conversion"][-1]["not_seen"] == made["target_count"]
    assert shown["conversion"][-1]["granted"] == 0  # not answered is not consent
    out = tmp_path / "targets.csv"
    run("campaign", "export", "c1", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == made["target_count"] + 1
    run("campaign", "end", "c1")
    assert json.loads(run("campaign", "list", "--json"))[0]["active"] is False
