"""The SQLite store is created 0600 and the `hogo` command runs with umask 077 (issue 10.9)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from hogo.store.database import make_db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_is_private_whatever_the_umask(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    old = os.umask(0o022)
    try:
        engine = make_db(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert _mode(db) == 0o600
            assert _mode(Path(f"{db}-wal")) == 0o600  # SQLite copies the database's mode
        engine.dispose()
    finally:
        os.umask(old)


def test_the_command_sets_a_private_umask(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    code = (
        "import os, sys\n"
        "from hogo.cli.app import main\n"
        "sys.argv = ['hogo', 'init']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(oct(os.umask(0)))\n"
    )
    env = {**os.environ, "HOGO_DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0o77"
    assert _mode(db) == 0o600
