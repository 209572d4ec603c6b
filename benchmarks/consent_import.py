"""`hogo consent import` throughput (issue 13: >= 200,000 events/s on SQLite and PostgreSQL).

For each backend: two fresh stores with the demo policy and `--subjects` persons; an events CSV
written row by row; `hogo consent import` of it timed as a command (process start included),
beside a plain baseline measured in the same run on the other store: the same number of rows,
already in their final form in memory, written to `ledger_entries` and `consent_events` in one
transaction (executemany on SQLite, binary COPY on PostgreSQL, the foreign key checked as the
import checks it). The baseline is what writing the rows alone costs on this machine; the import
also reads and checks the file, encodes payloads, hashes the chain and stages.

`--hogo-src DIR` runs the import from another checkout's src/ (to measure "before").

Run:
  python benchmarks/consent_import.py --events 200000 --backend both \
      --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg

from figures import row
from import_concurrency import _CLI, PURPOSES, _prepare, _write_events

_LEDGER = "ledger_entries (seq, kind, ref, recorded_at, payload, prev_hash, hash)"
_EVENTS = (
    "consent_events (event_id, subject_id, purpose_id, action, terms_version, method, collected_at, "
    "evidence, guardian_name, guardian_relation, foreign_transfer_info_given, recorded_at, ledger_seq)"
)


@contextmanager
def _store(backend: str, work: Path, name: str, admin_url: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{work / (name + '.db')}"
        return
    dbname = f"hogo_bench_{name}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + dbname
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _import(url: str, events_csv: Path, work: Path, hogo_src: str) -> tuple[float, float, str, str]:
    """Wall seconds and the command's CPU seconds (client side), its output and its log line."""
    env = {**os.environ, "HOGO_DATABASE_URL": url, "HOGO_DATA_DIR": str(work / "data")}
    if hogo_src:
        env["PYTHONPATH"] = hogo_src
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-c", _CLI, "consent", "import", str(events_csv), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return elapsed, cpu, done.stdout, done.stderr.strip()


def _rows(events: int, subjects: int, seq0: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The rows an import of `_write_events`'s file writes, in final form (hashes made up)."""
    at = "2026-01-01T00:00:00.000000+00:00"
    recorded = datetime(2026, 1, 1)
    ledger, consent = [], []
    for i in range(events):
        event_id, subject = f"B{i:09d}", f"M{i % subjects:08d}"
        collected = datetime(2024, 1 + i % 9, 10 + i % 10, 1, i % 60)
        payload = json.dumps(
            {"action": "grant", "collected_at": collected.isoformat(), "event_id": event_id, "evidence": None,
             "foreign_transfer_info_given": False, "guardian_name": None, "guardian_relation": None,
             "method": "web_form", "purpose_id": PURPOSES[i % 3], "row": "0" * 64, "subject_id": subject,
             "terms_version": "2023-04"},
            sort_keys=True, separators=(",", ":"),
        )  # fmt: skip
        digest = hashlib.sha256(event_id.encode()).hexdigest()
        ledger.append((seq0 + i + 1, "consent_event", f"subject:{subject}", at, payload, digest, digest))
        consent.append(
            (event_id, subject, PURPOSES[i % 3], "grant", "2023-04", "web_form", collected, None, None, None,
             False, recorded, seq0 + i + 1)
        )  # fmt: skip
    return ledger, consent


def _baseline(url: str, events: int, subjects: int) -> tuple[float, float]:
    """Wall and CPU seconds (this process) to write the same rows plainly (not timed: building them)."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        seq0 = conn.execute("SELECT seq FROM ledger_head").fetchone()[0]
        ledger, consent = _rows(events, subjects, seq0)
        consent_text = [
            (*r[:6], r[6].isoformat(" ", "microseconds"), *r[7:11], r[11].isoformat(" "), r[12])
            for r in consent
        ]
        start, cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO {_LEDGER} VALUES ({', '.join('?' * 7)})", ledger)
        conn.executemany(f"INSERT INTO {_EVENTS} VALUES ({', '.join('?' * 13)})", consent_text)
        conn.execute("COMMIT")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        conn.close()
        return elapsed, cpu
    with psycopg.connect(url) as conn:
        seq0 = conn.execute("SELECT seq FROM ledger_head").fetchone()[0]
        ledger, consent = _rows(events, subjects, seq0)
        start, cpu = time.perf_counter(), time.process_time()
        with conn.cursor() as cur:
            with cur.copy(f"COPY {_LEDGER} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "varchar", "varchar", "varchar", "text", "varchar", "varchar"])
                for r in ledger:
                    copy.write_row(r)
            with cur.copy(f"COPY {_EVENTS} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(
                    ["varchar"] * 6 + ["timestamp"] + ["varchar"] * 3 + ["bool", "timestamp", "int4"]
                )
                for r in consent:
                    copy.write_row(r)
        conn.commit()
        return time.perf_counter() - start, time.process_time() - cpu


def run(backend: str, args: argparse.Namespace) -> None:
    subjects = args.subjects or max(1000, args.events // 10)
    with tempfile.TemporaryDirectory(prefix="hogo-import-bench-") as tmp:
        work = Path(tmp)
        os.environ["HOGO_DATA_DIR"] = str(work / "data")  # the setup's keys and the import's agree
        events_csv = work / "events.csv"
        _write_events(events_csv, args.events, subjects)
        with _store(backend, work, "import", args.postgres_url) as url:
            _prepare(url, subjects)
            elapsed, cpu, out, log = _import(url, events_csv, work, args.hogo_src)
        with _store(backend, work, "plain", args.postgres_url) as url:
            _prepare(url, subjects)
            plain, plain_cpu = _baseline(url, args.events, subjects)
    recorded = json.loads(out)["recorded"]
    assert recorded == args.events, out
    print(f"{backend}: {args.events:,} events, {subjects:,} persons; {log}")
    row(
        f"hogo consent import ({backend}), wall", args.events / elapsed, "events/s",
        "plain insert of the same rows, wall", args.events / plain, "(goal >= 200,000 events/s)", digits=0,
    )  # fmt: skip
    # CPU of the importing process (and of this one for the plain insert): steadier on a shared
    # machine; on PostgreSQL the server's CPU is not in it.
    row(
        f"hogo consent import ({backend}), client CPU", args.events / cpu, "events/s",
        "plain insert, client CPU", args.events / plain_cpu, digits=0,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--subjects", type=int, default=0, help="default: events / 10")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HOGO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--hogo-src", default="", help="PYTHONPATH of the import (another src/, for 'before')"
    )
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args)


if __name__ == "__main__":
    main()
