"""Killed backups leave no personal data behind (issue 10 finding 17).

Children die with hogo; partial generations are 0700 and removed by the next create/prune;
decrypted snapshots never outlive the process; a generation is in place only with its ledger
entry and never writable; trial-restore databases of a killed run are dropped by the next one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from hogo.backup import crypto, generations
from hogo.backup import snapshot as snap
from hogo.backup.processes import TEMP_PREFIX, pid_alive
from hogo.backup.retention import RetentionPolicy
from hogo.services import ledger
from hogo.store.database import make_db, write_scope

SRC = str(Path(generations.__file__).resolve().parents[2])


def _python(code: str, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": SRC, **env}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(done.stdout)
    assert not pid_alive(pid)
    return pid


def _wait_until(condition: object, what: str) -> None:
    """Poll a condition the kernel settles asynchronously (not a timing assertion)."""
    for _ in range(400):
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(what)


def _entries(url: str, gen: str) -> int:
    engine = make_db(url)
    try:
        with write_scope(engine) as session:
            return len(ledger.entries_for(session, f"backup:{gen}"))
    finally:
        engine.dispose()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_like_pg_dump_dies_when_hogo_is_killed() -> None:
    hogo = _python(
        "import os\n"
        "from hogo.backup.snapshot import _run\n"
        "_run(['sleep', '300'], dict(os.environ), 'sleep')\n"
    )
    children = Path(f"/proc/{hogo.pid}/task/{hogo.pid}/children")
    _wait_until(lambda: children.read_text().split(), "the child was not started")
    child = int(children.read_text().split()[0])
    os.kill(hogo.pid, signal.SIGKILL)
    hogo.wait()
    _wait_until(lambda: not pid_alive(child) or _zombie(child), "the child outlived hogo")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_partials_are_private_and_leftovers_of_dead_runs_are_removed(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    dead = folder / f".20260101T000000Z.{_dead_pid()}.partial"
    legacy = folder / ".20260101T000001Z.partial"
    alive = folder / f".20260101T000002Z.{os.getppid()}.partial"  # another live process's work
    for p in (dead, legacy, alive):
        p.mkdir()
        (p / "database.sqlite3").write_bytes(b"a full copy of the personal data")
    (dead / "database.sqlite3").chmod(0o444)
    dead.chmod(0o555)
    modes: list[int] = []

    def step(_: str) -> None:
        modes.extend(p.stat().st_mode & 0o777 for p in folder.glob(f".*.{os.getpid()}.partial"))

    generations.create(sqlite_url, folder, step=step)
    assert modes and set(modes) == {0o700}
    assert not dead.exists() and not legacy.exists() and alive.exists()
    dead.mkdir()
    generations.prune(folder, RetentionPolicy(keep_last=1))
    assert not dead.exists() and alive.exists()


def test_a_generation_is_in_place_only_with_its_ledger_entry_and_read_only(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"

    def ledger_down(*_: object) -> None:
        raise RuntimeError("store unavailable")

    monkeypatch.setattr(generations, "_ledger_event", ledger_down)
    with pytest.raises(RuntimeError):
        generations.create(sqlite_url, folder)
    assert generations.list_generations(folder) == [] and list(folder.iterdir()) == []
    monkeypatch.undo()
    manifest = generations.create(sqlite_url, folder)
    g = generations.find(folder, None)
    assert _entries(sqlite_url, manifest.generation) == 1
    assert all(not p.stat().st_mode & 0o222 for p in [g.path, *g.path.iterdir()])


@pytest.mark.parametrize("kill_at", ["スナップショット", "暗号化", "マニフェスト", "台帳に記録"])
def test_killed_at_any_step_of_create(sqlite_url: str, tmp_path: Path, kill_at: str) -> None:
    folder = tmp_path / "backups"
    key_file = tmp_path / "backup.key"
    key_file.write_text(crypto.generate_key())
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from hogo.backup import crypto, generations\n"
        "def step(msg):\n"
        "    if msg.startswith(sys.argv[1]): os.kill(os.getpid(), signal.SIGKILL)\n"
        "generations.create(sys.argv[2], Path(sys.argv[3]), crypto.load_key(Path(sys.argv[4])), step=step)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, kill_at, sqlite_url, str(folder), str(key_file)],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    for g in generations.list_generations(folder):  # none, or one with its entry, read-only
        assert _entries(sqlite_url, g.id) == 1
        assert all(not p.stat().st_mode & 0o222 for p in [g.path, *g.path.iterdir()])
    generations.create(sqlite_url, folder, crypto.load_key(key_file))
    assert not list(folder.glob(".*.partial"))


def test_a_killed_deep_verify_leaves_no_decrypted_copy(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, temp = tmp_path / "backups", tmp_path / "tmp"
    temp.mkdir()
    key_file = tmp_path / "backup.key"
    key_file.write_text(crypto.generate_key())
    generations.create(sqlite_url, folder, crypto.load_key(key_file))
    run = subprocess.run(
        [sys.executable, "-c",
         "import os, signal, sys\n"
         "from pathlib import Path\n"
         "from hogo.backup import crypto, generations\n"
         "g = generations.find(Path(sys.argv[1]), None)\n"
         "with generations._plain_snapshot(g, g.manifest, crypto.load_key(Path(sys.argv[2]))) as plain:\n"
         "    print(plain, flush=True)\n"
         "    os.kill(os.getpid(), signal.SIGKILL)\n",
         str(folder), str(key_file)],
        env={**os.environ, "PYTHONPATH": SRC, "TMPDIR": str(temp)}, capture_output=True, text=True,
    )  # fmt: skip
    left = Path(run.stdout.strip())
    assert run.returncode == -signal.SIGKILL and left.exists() and left.parent.name.startswith(TEMP_PREFIX)
    assert left.parent.stat().st_mode & 0o777 == 0o700
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert generations.verify(folder, None, crypto.load_key(key_file), deep=True).ok
    assert list(temp.iterdir()) == []  # the dead run's plaintext and this run's are both gone


@pytest.mark.postgres
def test_trial_restore_databases_of_dead_runs_are_dropped(postgres_url: str) -> None:
    db = snap.database(postgres_url)
    stale = f"{snap.SCRATCH_PREFIX}{_dead_pid()}_0badc0de"
    live = f"{snap.SCRATCH_PREFIX}{os.getpid()}_0badc0de"
    admin = make_db(db.url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in (stale, live):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            dropped = snap.drop_stale_scratch_databases(db)
            assert stale in dropped and live not in dropped
            with admin.connect() as conn:
                names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
            assert stale not in names and live in names
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for name in (stale, live):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()
