from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hogo.cli.app import app
from tests.factories import POLICY

Run = Callable[..., Any]


@pytest.fixture()
def hogo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `hogo …` against a fresh SQLite store; returns the result (stdout parsed with as_json)."""
    monkeypatch.setenv("HOGO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str, code: int = 0, as_json: bool = False) -> Any:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return json.loads(result.stdout) if as_json else result

    return run


@pytest.fixture()
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(POLICY, allow_unicode=True), encoding="utf-8")
    return path
