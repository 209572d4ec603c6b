"""A bulk import beside live captures and readers (issue 10 finding 13), and under kill -9.

Before: the import held SQLite's write lock (PostgreSQL's ledger head) for its whole run, so
captures failed with a bare 500 (`database is locked`), `hogo ledger verify` / `hogo consent
check` failed with a traceback, and PostgreSQL captures hung until the import ended.
The full-size measurement (1M events) is benchmarks/import_concurrency.py.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import hogo
from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.http.app import create_app
from hogo.services import ledger
from hogo.store.database import make_db, write_scope
from hogo.store.tables import ConsentEventRow, LedgerEntryRow, SubjectRow
from tests.api.env import SECRET, Env, build_env

SRC = str(Path(hogo.__file__).resolve().parents[1])
EVENTS = 20_000  # large enough that the import runs for seconds; 1M is the benchmark's job


def _hogo(env: Env, *args: str) -> subprocess.Popen[str]:
    environ = {**os.environ, "PYTHONPATH": SRC, "HOGO_DATABASE_URL": env.database_url, "COLUMNS": "200"}
    code = "import sys; from hogo.cli.app import app; sys.argv[0] = 'hogo'; app()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _events_csv(env: Env, path: Path, n: int) -> list[str]:
    with write_scope(env.db) as s:
        subjects = list(s.execute(select(SubjectRow.subject_id).order_by(SubjectRow.subject_id)).scalars())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["event_id", "subject_id", "purpose_id", "action", "terms_version", "method", "collected_at"]
        )
        for i in range(n):
            writer.writerow(
                [f"BULK{i:07d}", subjects[i % len(subjects)], "mailing_list", "grant", "2023-04", "web_form",
                 f"2024-05-0{1 + i % 9}T10:00:00+09:00"]
            )  # fmt: skip
    return subjects


def _counts(env: Env) -> tuple[int, int]:
    with write_scope(env.db) as s:
        return (
            s.execute(select(func.count()).select_from(ConsentEventRow)).scalar_one(),
            s.execute(select(func.count()).select_from(LedgerEntryRow)).scalar_one(),
        )


def test_captures_and_read_only_commands_keep_working_during_a_bulk_import(tmp_path: Path) -> None:
    env = build_env(tmp_path, subjects=60)
    subjects = _events_csv(env, tmp_path / "events.csv", EVENTS)
    events_before, _ = _counts(env)
    importer = _hogo(env, "consent", "import", str(tmp_path / "events.csv"), "--json")
    statuses: list[int] = []
    stop = threading.Event()

    def capture(worker: int) -> None:
        with TestClient(env.app) as c:
            i = 0
            while not stop.is_set() or i == 0:
                body = {
                    "subject_id": subjects[(worker * 7 + i) % len(subjects)],
                    "choices": [{"purpose_id": "marketing_mail", "action": "grant" if i % 2 else "deny"}],
                }
                headers = {**env.headers(Role.operator), "Idempotency-Key": uuid.uuid4().hex}
                statuses.append(c.post("/api/v1/consents", json=body, headers=headers).status_code)
                i += 1

    clients = [threading.Thread(target=capture, args=(w,)) for w in range(8)]
    for t in clients:
        t.start()
    readers = [
        _hogo(env, "ledger", "verify", "--json"),
        _hogo(env, "consent", "check", "--subject", subjects[0], "--purpose", "marketing_mail", "--json"),
    ]
    reader_results = [(r.wait(300), r.stderr.read() if r.stderr else "") for r in readers]
    out, err = importer.communicate(timeout=600)
    stop.set()
    for t in clients:
        t.join(120)

    assert importer.returncode == 0, err[-2000:]
    assert json.loads(out)["recorded"] == EVENTS
    assert all(code == 0 for code, _ in reader_results), reader_results
    assert len(statuses) >= 8 and set(statuses) == {201}, sorted(set(statuses))
    with write_scope(env.db) as s:
        assert ledger.verify_ledger(s).ok
    assert _counts(env)[0] >= events_before + EVENTS + 8
    env.db.dispose()


#: Rows for the kill tests: several staging batches (iter_event_columns reads 50,000 at a time).
KILL_EVENTS = 120_000


def _csv_position(pid: int, path: Path) -> int | None:
    """How far the process has read `path` on its current descriptor (Linux /proc), or None."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        for fd in fds.iterdir():
            if os.readlink(fd) == str(path):
                info = (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text()
                return int(info.split("pos:", 1)[1].split()[0])
    except (OSError, IndexError, ValueError):
        return None
    return None


def _holds_write_lock(database: str) -> bool:
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _kill_when(importer: subprocess.Popen[str], ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 300
    while not ready():
        if importer.poll() is not None:
            pytest.fail(f"the import ended before it was {what}; make the file larger")
        if time.monotonic() > deadline:
            pytest.fail(f"the import was never seen {what}")
        time.sleep(0.002)
    importer.send_signal(signal.SIGKILL)
    importer.wait(60)


@pytest.mark.skipif(not Path("/proc/self/fdinfo").exists(), reason="watches the import through /proc")
@pytest.mark.parametrize("moment", ["staging", "locked step"])
def test_an_import_killed_mid_way_stores_nothing(tmp_path: Path, moment: str) -> None:
    """kill -9 while batches are being staged (past the first batch), or inside the one locked
    transaction that writes the ledger and the events: nothing is stored, the chain verifies,
    and the same file imports completely afterwards."""
    env = build_env(tmp_path, subjects=30)
    events = tmp_path / "events.csv"
    _events_csv(env, events, KILL_EVENTS)
    before = _counts(env)
    importer = _hogo(env, "consent", "import", str(events), "--json")
    if moment == "staging":
        size = events.stat().st_size
        _kill_when(importer, lambda: (_csv_position(importer.pid, events) or 0) > size * 0.6, "half-way")
    else:
        database = env.database_url.removeprefix("sqlite:///")
        _kill_when(importer, lambda: _holds_write_lock(database), "in its locked step")
    assert _counts(env) == before
    with write_scope(env.db) as s:
        assert ledger.verify_ledger(s).ok
    again = _hogo(env, "consent", "import", str(events), "--json")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-2000:]
    assert json.loads(out)["recorded"] == KILL_EVENTS
    env.db.dispose()


def test_a_write_held_past_the_lock_timeout_is_a_503_with_retry_after(tmp_path: Path) -> None:
    env = build_env(tmp_path, subjects=20)
    engine = make_db(env.database_url, lock_timeout=0.3)
    app = create_app(Settings(database_url=env.database_url, secret_key=SECRET), db=engine)
    body = {"subject_id": "M0000002", "choices": [{"purpose_id": "marketing_mail", "action": "grant"}]}
    h = env.headers(Role.operator)
    with TestClient(app) as c:
        with write_scope(env.db):  # another writer (e.g. an import's final commit) holds the lock
            busy = c.post("/api/v1/consents", json=body, headers=h)
            read = c.get("/api/v1/consents/check", params={"subject_id": "M0000002", "purpose_id": "service"},
                         headers=h)  # fmt: skip
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "5"
        assert busy.json()["error"]["code"] == "busy"
        assert read.status_code == 200
        assert c.post("/api/v1/consents", json=body, headers=h).status_code == 201
    engine.dispose()
    env.db.dispose()
