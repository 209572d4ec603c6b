"""`hogo serve` trusts X-Forwarded-For only from the proxies the settings name, and holds its store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hogo.cli import serve
from hogo.store import serving
from tests.cli.conftest import Run


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_passes_the_trusted_proxies_to_uvicorn(
    hogo: Run, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serve.uvicorn, "run", lambda target, **options: seen.update(options))
    monkeypatch.setenv("HOGO_FORWARDED_ALLOW_IPS", "10.0.0.5,192.168.0.0/24")
    hogo("serve", "--port", "8123", "--workers", workers)
    assert seen["proxy_headers"] is True
    assert seen["forwarded_allow_ips"] == "10.0.0.5,192.168.0.0/24"
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123


def test_serve_holds_its_sqlite_store_while_it_runs(
    hogo: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(target: object, **options: object) -> None:
        seen["lock"] = serving.lock_file(tmp_path / "cli.db").read_text()

    monkeypatch.setattr(serve.uvicorn, "run", fake_run)
    hogo("serve")
    assert seen["lock"] == str(os.getpid())
    assert not serving.lock_file(tmp_path / "cli.db").exists()


def test_demo_never_rebuilds_a_store_a_running_server_holds(hogo: Run, tmp_path: Path) -> None:
    """`make run`, then `hogo demo` as the README says: refused, the served file untouched (item 2)."""
    store = tmp_path / "hogo-demo.db"
    hogo("demo", "--database", str(store), "--subjects", "20", "--json")
    before = (store.stat().st_ino, store.stat().st_mtime_ns)
    code = (
        "import sys; from pathlib import Path; from hogo.store.serving import hold\n"
        f"with hold(Path({str(store)!r})):\n    print('held', flush=True); sys.stdin.read()\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "held"
        assert serving.holder(store) == server.pid
        refused = hogo("demo", "--database", str(store), "--subjects", "20", code=2)
        assert f"PID {server.pid}" in refused.stderr.replace("\n", "")
        hogo("serve", "--demo", "--database", str(store), "--subjects", "20", code=2)
        assert (store.stat().st_ino, store.stat().st_mtime_ns) == before
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    assert serving.holder(store) is None
    hogo("demo", "--database", str(store), "--subjects", "20", "--json")
    assert store.stat().st_mtime_ns != before[1]
