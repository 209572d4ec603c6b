"""Read-only commands never take the write lock; a write that cannot get it says so clearly
(issue 10 finding 13: `hogo ledger verify` / `hogo consent check` used to fail with a traceback
after 12 s while a bulk import ran, because every command took SQLite's write lock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hogo.store.database import make_db, write_scope
from tests.cli.conftest import Run
from tests.cli.test_consent_cli import _setup


def test_readers_answer_and_writers_are_told_busy_while_another_writer_holds_the_lock(
    hogo: Run, policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hogo("consent", "import", str(_setup(hogo, policy_file, tmp_path)))
    monkeypatch.setenv("HOGO_LOCK_TIMEOUT", "0.5")
    engine = make_db(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with write_scope(engine):  # e.g. a bulk import's final commit, in another process
            assert hogo("ledger", "verify", "--json", as_json=True)["ok"] is True
            assert hogo(
                "consent", "check", "--subject", "S1", "--purpose", "ad_partners", "--json", as_json=True
            )
            assert hogo("consent", "history", "--subject", "S1", "--json", as_json=True)
            busy = hogo("consent", "record", "--subject", "S1", "--purpose", "service", code=2)
            assert "使用中" in busy.output and "busy" in busy.output
            assert "Traceback" not in busy.output
    finally:
        engine.dispose()
    hogo("consent", "record", "--subject", "S1", "--purpose", "service")
