"""HTTP load on `hogo serve` over loopback: consent check latency at a fixed rate, capture throughput.

Run: `python benchmarks/http_load.py [--subjects 10000 --rate 500 --seconds 10]`.

1. Builds the demo organisation in a temporary SQLite file and creates one API token.
2. Starts `hogo serve` on a free 127.0.0.1 port (a separate process) against it.
3. Open-loop load at `--rate` requests/s for `--seconds` from a small asyncio HTTP/1.1 client
   over keep-alive connections. Latency is measured from each request's *scheduled* start, so a
   stalled server cannot hide queueing (no coordinated omission).
   - baseline: `GET /healthz` (the framework and one `SELECT 1`) at the same rate;
   - `GET /api/v1/consents/check` for random members and purposes.
   The same check called in-process (no HTTP) is printed too, as a second baseline: as the CLI
   calls it, and with the API's policy cache.
4. Capture throughput: `POST /api/v1/consents` from `--writers` connections, closed loop.

Goal (issue): check p99 <= 20 ms at 500 requests/s on a 2-core machine. Only loopback is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from hogo.auth.roles import Role
from hogo.demo import build_database
from hogo.domain.clock import JST
from hogo.services import auth
from hogo.services.consent import check
from hogo.services.policy_cache import PolicyCache
from hogo.store.database import make_db, write_scope

HOST = "127.0.0.1"
PURPOSES = ("ad_partners", "marketing_mail", "mailing_list", "analytics_overseas", "service")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


class Connection:
    """One keep-alive HTTP/1.1 connection; just enough protocol for this benchmark."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def request(self, method: str, target: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        payload = await self.reader.readexactly(length) if length else b""
        return int(status_line.split()[1]), payload


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def open_loop(port: int, token: str, targets: list[str], rate: int, seconds: float) -> dict[str, float]:
    """Send at a fixed rate; each request takes a free connection (more are opened when all are busy)."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(16):
        pool.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)

    async def one(i: int, due: float) -> None:
        nonlocal errors
        conn = pool.get_nowait() if not pool.empty() else await Connection.open(port)
        try:
            status, _ = await conn.request("GET", targets[i % len(targets)], token)
        except (ConnectionError, asyncio.IncompleteReadError):  # an idle keep-alive was closed: reconnect
            conn = await Connection.open(port)
            status, _ = await conn.request("GET", targets[i % len(targets)], token)
        latencies.append((time.perf_counter() - due) * 1000)
        errors += status != 200
        pool.put_nowait(conn)

    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {
        "sent": total, "achieved_rate": total / elapsed, "p50": pct(latencies, 0.50), "p99": pct(latencies, 0.99),
        "max": max(latencies), "errors": errors,
    }  # fmt: skip


async def capture_throughput(
    port: int, token: str, subjects: int, writers: int, seconds: float
) -> dict[str, float]:
    done = errors = 0
    stop = time.perf_counter() + seconds
    rng = random.Random(7)

    async def writer() -> None:
        nonlocal done, errors
        conn = await Connection.open(port)
        while time.perf_counter() < stop:
            body = {
                "subject_id": f"M{rng.randrange(1, subjects + 1):07d}",
                "choices": [{"purpose_id": "marketing_mail", "action": rng.choice(["grant", "deny"])}],
            }
            status, _ = await conn.request("POST", "/api/v1/consents", token, json.dumps(body).encode())
            done += status == 201
            errors += status != 201

    began = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return {"recorded": done, "per_second": done / (time.perf_counter() - began), "errors": errors}


def in_process(
    url: str, subjects: int, n: int = 2000, policies: PolicyCache | None = None
) -> dict[str, float]:
    """`services.consent.check` without HTTP: with `policies`, as the API calls it (the policy
    parsed once per revision); without, as the CLI does (parsed on every call)."""
    engine = make_db(url)
    rng = random.Random(3)
    latencies = []
    try:
        for _ in range(n):
            sid, purpose = f"M{rng.randrange(1, subjects + 1):07d}", rng.choice(PURPOSES)
            t = time.perf_counter()
            with write_scope(engine) as session:
                check(session, sid, purpose, datetime.now(JST), policies=policies)
            latencies.append((time.perf_counter() - t) * 1000)
    finally:
        engine.dispose()
    return {"p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99)}


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server and its worker processes."""
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_idle(pid: int, timeout: float = 120) -> None:
    """Wait until the server (and its workers) finished warming caches: CPU time stops growing."""
    deadline, last, quiet = time.monotonic() + timeout, server_cpu(pid), 0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = server_cpu(pid)
        quiet = quiet + 1 if now - last < 0.05 else 0
        last = now


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("hogo serve did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="hogo serve --workers (one per core)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t = time.perf_counter()
        build_database(db, subjects=args.subjects)
        url = f"sqlite:///{db}"
        engine = make_db(url)
        with write_scope(engine) as session:
            token, _ = auth.create_token(session, "http-load", Role.operator)
        engine.dispose()
        print(f"demo store: {args.subjects:,} members built in {time.perf_counter() - t:.1f} s")

        port = free_port()
        env = {**os.environ, "HOGO_DATABASE_URL": url}
        hogo = Path(sys.executable).with_name("hogo")
        server = subprocess.Popen([str(hogo), "serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_ready(port)
            wait_idle(server.pid)
            rng = random.Random(11)
            checks = [
                f"/api/v1/consents/check?subject_id=M{rng.randrange(1, args.subjects + 1):07d}&purpose_id={rng.choice(PURPOSES)}"
                for _ in range(5_000)
            ]
            asyncio.run(open_loop(port, token, checks, 100, 2))  # warm-up
            base = asyncio.run(open_loop(port, token, ["/healthz"], args.rate, args.seconds))
            load = asyncio.run(open_loop(port, token, checks, args.rate, args.seconds))
            writes = asyncio.run(capture_throughput(port, token, args.subjects, args.writers, args.seconds))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        local = in_process(url, args.subjects)
        cached = in_process(url, args.subjects, policies=PolicyCache())

    print(
        f"\nhogo serve --workers {args.workers}; open loop at {args.rate} req/s for {args.seconds:.0f} s over loopback (latency in ms from scheduled start)"
    )
    print(f"{'':<44} {'rate':>8} {'p50':>8} {'p99':>8} {'max':>8} {'errors':>7}")
    for name, r in (("baseline: GET /healthz", base), ("GET /api/v1/consents/check", load)):
        print(
            f"{name:<44} {r['achieved_rate']:>8.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['max']:>8.1f} {r['errors']:>7.0f}"
        )
    for name, r in (
        ("baseline: services.consent.check in-process", local),
        ("  … with the API's PolicyCache", cached),
    ):
        print(f"{name:<44} {'':>8} {r['p50']:>8.2f} {r['p99']:>8.2f}")
    goal = "met" if load["p99"] <= 20 else "NOT met"
    print(f"goal p99 <= 20 ms at {args.rate} req/s: {goal} (p99 {load['p99']:.2f} ms; loop overhead vs /healthz "
          f"{load['p50'] - base['p50']:+.2f} ms at p50)")  # fmt: skip
    print(f"\ncapture: POST /api/v1/consents, {args.writers} connections, {args.seconds:.0f} s: "
          f"{writes['per_second']:.0f} events/s recorded ({writes['recorded']:.0f}, errors {writes['errors']:.0f})")  # fmt: skip
    print(f"load average during run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
