"""Bulk consent import beside live captures (issue 10 findings 13, 14, 19; issue 13's import goal).

Builds a fresh store (SQLite file or a new PostgreSQL database), writes an events CSV, starts
`hogo serve` on loopback and lets CLIENTS threads capture consent through the API while
`hogo consent import` loads the file in its own process. Reports the import's wall time, events/s
and peak RSS (from the child's rusage), the captures' count, errors and p50/p99 latency, and
whether `hogo ledger verify` / `hogo consent check` answered during the import.

Run:
  python benchmarks/import_concurrency.py --events 1000000 --backend sqlite
  python benchmarks/import_concurrency.py --events 1000000 --backend postgresql \
      --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
`--hogo-src DIR` runs the import, server and CLI from another checkout's src/ (to measure "before").
Goal (issue 13): >= 200,000 events/s on both backends; (issue 10.13) 0 capture errors.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

from hogo.auth.roles import Role
from hogo.demo import demo_policy
from hogo.domain.consent import Subject
from hogo.services import auth
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import make_db, upgrade, write_scope

PURPOSES = ("ad_partners", "mailing_list", "marketing_mail")


#: Runs the CLI and, at exit, writes the process's peak RSS (KiB) to $HOGO_BENCH_RSS if set; the
#: import's debug line (how long it held the ledger lock, and for what) goes to stderr.
_CLI = """
import atexit, logging, os, resource, sys
from hogo.cli.app import app
_log = logging.getLogger("hogo.services.consent_import")  # the locked step's timing, to stderr
_log.setLevel(logging.DEBUG)
_log.addHandler(logging.StreamHandler())
def _rss():
    if os.environ.get("HOGO_BENCH_RSS"):
        with open(os.environ["HOGO_BENCH_RSS"], "w") as f:
            f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
atexit.register(_rss)
sys.argv[0] = "hogo"
app()
"""


def _hogo(env: dict[str, str], *args: str, **kw: Any) -> subprocess.Popen[bytes]:
    code = _CLI
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str, subjects: int) -> str:
    """Schema, the demo policy, `subjects` persons and an operator token (setup, not measured)."""
    engine = make_db(url)
    try:
        upgrade(engine)
        with write_scope(engine) as session:
            apply_policy(session, demo_policy())
            # through the service: each person's row is bound to its ledger entry (ledger v2)
            people = [Subject(subject_id=f"M{i:08d}", identity_verified=True) for i in range(subjects)]
            for i in range(0, len(people), 50_000):
                upsert_subjects(session, people[i : i + 50_000])
            token, _ = auth.create_token(session, "bench", Role.operator)
    finally:
        engine.dispose()
    return token


def _write_events(path: Path, events: int, subjects: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["event_id", "subject_id", "purpose_id", "action", "terms_version", "method", "collected_at"]
        )
        for i in range(events):
            writer.writerow(
                [
                    f"B{i:09d}",
                    f"M{i % subjects:08d}",
                    PURPOSES[i % 3],
                    "grant" if i % 5 else "withdraw",
                    "2023-04",
                    "web_form",
                    f"2024-0{1 + i % 9}-1{i % 10}T10:{i % 60:02d}:00+09:00",
                ]
            )


def _capture_loop(
    base: str, token: str, subjects: int, stop: threading.Event, out: list[tuple[float, int]]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        i = 0
        while not stop.is_set():
            body = {
                "subject_id": f"M{(i * 7919) % subjects:08d}",
                "choices": [{"purpose_id": "marketing_mail", "action": "grant" if i % 2 else "withdraw"}],
            }
            start = time.perf_counter()
            try:
                r = client.post("/api/v1/consents", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                status = r.status_code
            except httpx.HTTPError:
                status = 0
            out.append((time.perf_counter() - start, status))
            i += 1


def _wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit("server did not start")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not answer")


def run(args: argparse.Namespace) -> None:
    subjects = args.subjects or max(1000, args.events // 10)
    with tempfile.TemporaryDirectory(prefix="hogo-import-bench-") as tmp:
        work = Path(tmp)
        dbname = None
        if args.backend == "sqlite":
            url = f"sqlite:///{work / 'bench.db'}"
        else:
            dbname = f"hogo_bench_{os.getpid()}"
            with psycopg.connect(args.postgres_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{dbname}"')
            url = args.postgres_url.rsplit("/", 1)[0] + "/" + dbname
        # The setup here and the server below share one data folder: the persons' keys are
        # wrapped by the master key in it (and nothing lands in the working tree).
        os.environ["HOGO_DATA_DIR"] = str(work / "data")
        try:
            token = _prepare(url, subjects)
            events_csv = work / "events.csv"
            _write_events(events_csv, args.events, subjects)
            env = {**os.environ, "HOGO_DATABASE_URL": url, "HOGO_DATA_DIR": str(work / "data")}
            if args.hogo_src:
                env["PYTHONPATH"] = args.hogo_src
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            server = None
            if args.clients:
                server = _hogo(
                    env, "serve", "--port", str(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                _wait_up(base, server)
            try:
                _measure(args, env, base, token, subjects, events_csv)
            finally:
                if server is not None:
                    server.terminate()
                    server.wait(30)
        finally:
            if dbname:
                with psycopg.connect(args.postgres_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _measure(
    args: argparse.Namespace, env: dict[str, str], base: str, token: str, subjects: int, events_csv: Path
) -> None:
    stop = threading.Event()
    samples: list[list[tuple[float, int]]] = [[] for _ in range(args.clients)]
    threads = [
        threading.Thread(target=_capture_loop, args=(base, token, subjects, stop, samples[i]), daemon=True)
        for i in range(args.clients)
    ]
    for t in threads:
        t.start()
    time.sleep(1.0 if args.clients else 0)
    start = time.perf_counter()
    rss_file = events_csv.with_name("rss")
    proc = _hogo(
        {**env, "HOGO_BENCH_RSS": str(rss_file)}, "consent", "import", str(events_csv), "--json",
        stdout=subprocess.PIPE,
    )  # fmt: skip
    readers: list[tuple[str, float, int]] = []
    time.sleep(min(2.0, args.events / 100_000))
    for cmd in (
        ("ledger", "verify", "--json"),
        ("consent", "check", "--subject", "M00000001", "--purpose", "ad_partners"),
    ):
        if proc.poll() is not None:
            break
        t0 = time.perf_counter()
        reader = _hogo(env, *cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        reader.communicate()
        readers.append((" ".join(cmd[:2]), time.perf_counter() - t0, reader.returncode))
    out = proc.communicate()[0].decode()
    elapsed = time.perf_counter() - start
    peak_mb = int(rss_file.read_text()) / 1024 if rss_file.exists() else float("nan")
    time.sleep(1.0 if args.clients else 0)
    stop.set()
    for t in threads:
        t.join(150)
    flat = [s for per in samples for s in per]
    errors = [code for _, code in flat if code >= 300 or code == 0]
    lat = sorted(d for d, _ in flat)
    print(
        f"backend {args.backend}, {args.events:,} events, {subjects:,} subjects, {args.clients} capturing clients"
    )
    print(f"import: exit {proc.returncode}, {elapsed:,.1f} s, {args.events / elapsed:,.0f} events/s, "
          f"peak RSS {peak_mb:,.0f} MB  {out.strip()}")  # fmt: skip
    if lat:
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"captures: {len(flat):,} requests, {len(errors)} errors {sorted(set(errors))}, "
              f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms, max {lat[-1] * 1000:,.0f} ms")  # fmt: skip
    for name, took, code in readers:
        print(f"during import: hogo {name}: exit {code} after {took:,.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=0, help="default: events / 10")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HOGO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--hogo-src", default="", help="PYTHONPATH for the hogo processes (another src/)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
