"""Capture throughput through the consent notice's endpoints vs the plain capture API, same run.

Run: `python benchmarks/embed_load.py [--subjects 10000 --members 200 --seconds 10 --workers 2]`.

1. Builds the demo organisation in a temporary SQLite file, one API token and one member site
   (HS256 key, origin https://bench.example.jp).
2. Starts `hogo serve` on a free 127.0.0.1 port (a separate process); the embed rate limits are
   raised for the run (`HOGO_EMBED_RATE_PER_*`), since one site and loopback stand for many.
3. Baseline: `POST /api/v1/consents` (one event per request) from `--members` connections,
   closed loop, for `--seconds` (benchmarks/http_load.py's capture, at this concurrency).
4. The component's path from `--members` connections, closed loop: per cycle, a fresh member
   token → `POST /api/v1/embed/notice` → `POST /api/v1/embed/choices` granting the first purpose
   shown (one event per cycle, with notice evidence), or with `--choose all` every purpose shown,
   in one POST, as the component sends a person's answers (one event per purpose). Each member is
   asked until nothing is left, then the connection takes the next member.
5. Recording alone, in-process, after the server has stopped (`--recordings`, split in two):
   choices prepared beforehand (notice shown, ticket verified), then recorded one transaction
   each (`notice.record_prepared` in its own `write_scope`, as every capture was before group
   commit) vs submitted from 16 threads to `services.group_commit` (one transaction per batch):
   the group commit's own gain, without HTTP and the notice call.
6. The floor: step 4's load against `embed_floor.py`, the same two routes with hogo's request
   models answering the bytes hogo answered, doing no work, under the same uvicorn options and
   workers: what FastAPI and uvicorn alone reach on this machine, a bound on any app built on them.
Printed: events/s recorded, per-cycle latency p50/p99 (both requests of a cycle), errors, the
server's CPU time per event (all its processes) and what it implies per core (1 s of CPU ÷ CPU
per event), the load generator's own CPU per event (it shares the machine: on 2 cores what it
uses is not the server's), and the ratio against the baseline. Goal (issue 15): >= 2,000
events/s, p99 <= 50 ms, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
from sqlalchemy.orm import Session

from hogo.auth.roles import Role
from hogo.demo import build_database
from hogo.domain.consent import ConsentAction
from hogo.services import auth, notice, sites
from hogo.services.group_commit import GroupCommit
from hogo.services.notice import NOTICE_AUDIENCE
from hogo.store.database import make_db, read_scope, write_scope
from http_load import HOST, Connection, capture_throughput, free_port, pct, server_cpu, wait_idle, wait_ready

ORIGIN = "https://bench.example.jp"
SECRET = "embed-benchmark-secret-0123456789abcdefghijkl"


async def post(conn: Connection, target: str, bearer: str, body: dict[str, object]) -> tuple[int, bytes]:
    """`Connection.request` with the page's Origin, as a browser sends it."""
    data = json.dumps(body).encode()
    head = (
        f"POST {target} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {bearer}\r\nOrigin: {ORIGIN}\r\n"
        f"User-Agent: Chrome/131.0\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    conn.writer.write(head.encode() + data)
    status_line = await conn.reader.readline()
    length = 0
    while (line := await conn.reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    payload = await conn.reader.readexactly(length) if length else b""
    return int(status_line.split()[1]), payload


def token(key: sites.NewKey, subject: str) -> str:
    now = int(time.time())
    claims = {"iss": "bench", "sub": subject, "aud": NOTICE_AUDIENCE, "iat": now, "exp": now + 300,
              "jti": secrets.token_urlsafe(16)}  # fmt: skip
    return jwt.encode(claims, key.secret, algorithm="HS256", headers={"kid": key.key_id})


async def embed_throughput(
    port: int, key: sites.NewKey, subjects: int, members: int, seconds: float, choose_all: bool = False
) -> dict[str, float]:
    done = errors = 0
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    queue = itertools.cycle(f"M{n:07d}" for n in range(1, subjects + 1))

    async def member() -> None:
        nonlocal done, errors
        conn = await Connection.open(port)
        subject = next(queue)
        while time.perf_counter() < stop:
            t = time.perf_counter()
            status, payload = await post(conn, "/api/v1/embed/notice", token(key, subject), {})
            if status != 200:
                errors += 1
                subject = next(queue)
                continue
            answer = json.loads(payload)
            sections = answer["notices"]["ja"]["sections"]
            if not sections:
                subject = next(queue)
                continue
            chosen = sections if choose_all else sections[:1]
            choices = [{"purpose_id": c["purpose_id"], "action": "grant"} for c in chosen]
            status, _ = await post(conn, "/api/v1/embed/choices", answer["ticket"], {"choices": choices})
            latencies.append((time.perf_counter() - t) * 1000)
            done += len(choices) if status == 201 else 0
            errors += status != 201

    began = time.perf_counter()
    await asyncio.gather(*(member() for _ in range(members)))
    elapsed = time.perf_counter() - began
    return {"recorded": done, "per_second": done / elapsed, "errors": errors,
            "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99)}  # fmt: skip


async def sample_answers(port: int, key: sites.NewKey, subject: str, choose_all: bool) -> dict[str, object]:
    """One cycle's two answers, for the floor app to give back (a member the run itself does not reach first)."""
    conn = await Connection.open(port)
    status, payload = await post(conn, "/api/v1/embed/notice", token(key, subject), {})
    asked = json.loads(payload)
    sections = asked["notices"]["ja"]["sections"] if status == 200 else []
    if not sections:
        raise RuntimeError(f"no notice for the sample member (status {status})")
    chosen = sections if choose_all else sections[:1]
    choices = [{"purpose_id": c["purpose_id"], "action": "grant"} for c in chosen]
    status, payload = await post(conn, "/api/v1/embed/choices", asked["ticket"], {"choices": choices})
    if status != 201:
        raise RuntimeError(f"the sample member's choices were refused (status {status})")
    conn.writer.close()
    return {"notice": asked, "choices": json.loads(payload)}


def floor_throughput(tmp: Path, answers: dict[str, object], args: argparse.Namespace) -> dict[str, float]:
    """Step 6: the component's load against `embed_floor.py` (same workers, members and seconds)."""
    path = tmp / "floor-answers.json"
    path.write_text(json.dumps(answers))
    port = free_port()
    here = Path(__file__).resolve().parent
    env = {
        **os.environ,
        "HOGO_FLOOR_ANSWERS": str(path),
        "PYTHONPATH": os.pathsep.join([str(here), *sys.path]),
    }
    server = subprocess.Popen([sys.executable, str(here / "embed_floor.py"), str(port), str(args.workers)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_ready(port, timeout=120)
        wait_idle(server.pid)
        cpu, own = server_cpu(server.pid), time.process_time()
        # The floor checks no token: any key signs the member tokens the load generator sends.
        result = asyncio.run(
            embed_throughput(port, sites.NewKey(key_id="floor", algorithm="HS256", secret=SECRET), args.subjects, args.members,
                             args.seconds, args.choose == "all")
        )  # fmt: skip
        result["cpu_ms"] = (server_cpu(server.pid) - cpu) * 1000 / max(1, result["recorded"])
        result["client_ms"] = (time.process_time() - own) * 1000 / max(1, result["recorded"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    return result


def recording(url: str, key: sites.NewKey, subjects: int, n: int) -> dict[str, float]:
    """Events/s recorded one transaction each vs through the group commit (step 5)."""
    db = make_db(url)
    page = notice.PageContext(origin=ORIGIN, user_agent_family="Chrome", gpc=False)
    prepared: list[notice.PreparedChoices] = []
    try:
        for number in range(subjects, 0, -1):  # from the end: the component's members came first
            if len(prepared) == n:
                break
            asked = notice.show(db, token(key, f"M{number:07d}"), page, secret_key=SECRET)
            if not asked.notices["ja"].sections:
                continue
            choice = [(asked.notices["ja"].sections[0].purpose_id, ConsentAction.grant)]
            with read_scope(db) as session:
                prepared.append(
                    notice.prepare(session, asked.ticket, ORIGIN, choice, "ja", secret_key=SECRET)
                )
        single, grouped = prepared[: len(prepared) // 2], prepared[len(prepared) // 2 :]
        t = time.perf_counter()
        for p in single:
            with write_scope(db) as session:
                notice.record_prepared(session, [p])
        one_each = len(single) / (time.perf_counter() - t)
        batches: list[int] = []

        def record(session: Session, items: Sequence[notice.PreparedChoices]) -> list[notice.Recorded]:
            batches.append(len(items))
            return notice.record_prepared(session, items)

        queue = GroupCommit(db, record)
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = list(pool.map(queue.submit, grouped))
        for f in futures:
            f.result()
        group = len(grouped) / (time.perf_counter() - t)
        queue.close()
    finally:
        db.dispose()
    return {
        "single": one_each,
        "group": group,
        "n": len(prepared),
        "batch": len(grouped) / max(1, len(batches)),
    }


def prepare(db: Path, subjects: int) -> tuple[str, str, sites.NewKey]:
    build_database(db, subjects=subjects)
    url = f"sqlite:///{db}"
    engine = make_db(url)
    with write_scope(engine) as session:
        api_token, _ = auth.create_token(session, "embed-load", Role.operator)
        _, key = sites.add_site(session, "bench", "bench", [ORIGIN], secret_key=SECRET)
    engine.dispose()
    return url, api_token, key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="hogo serve --workers (one per core)")
    parser.add_argument("--recordings", type=int, default=1000, help="step 5: events recorded in-process")
    parser.add_argument(
        "--choose",
        choices=["first", "all"],
        default="first",
        help="step 4: grant the first purpose shown, or all",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        url, api_token, key = prepare(Path(tmp) / "bench.db", args.subjects)
        print(f"demo store: {args.subjects:,} members built in {time.perf_counter() - t:.1f} s")
        port = free_port()
        env = {**os.environ, "HOGO_DATABASE_URL": url, "HOGO_SECRET_KEY": SECRET,
               "HOGO_EMBED_RATE_PER_SITE": "10000000", "HOGO_EMBED_RATE_PER_PERSON": "100000"}  # fmt: skip
        hogo = Path(sys.executable).with_name("hogo")
        server = subprocess.Popen([str(hogo), "serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_ready(port, timeout=180)
            wait_idle(server.pid)
            cpu, own = server_cpu(server.pid), time.process_time()
            base = asyncio.run(capture_throughput(port, api_token, args.subjects, args.members, args.seconds))
            answers = asyncio.run(sample_answers(port, key, f"M{args.subjects:07d}", args.choose == "all"))
            between, own_between = server_cpu(server.pid), time.process_time()
            embed = asyncio.run(
                embed_throughput(port, key, args.subjects, args.members, args.seconds, args.choose == "all")
            )
            for result, spent, used in (
                (base, between - cpu, own_between - own),
                (embed, server_cpu(server.pid) - between, time.process_time() - own_between),
            ):
                result["cpu_ms"] = spent * 1000 / max(1, result["recorded"])
                result["client_ms"] = used * 1000 / max(1, result["recorded"])
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        alone = recording(url, key, args.subjects, args.recordings)
        floor = floor_throughput(Path(tmp), answers, args)

    print(
        f"\nhogo serve --workers {args.workers}; {args.members} connections, closed loop, {args.seconds:.0f} s each, loopback"
    )
    print(f"baseline  POST /api/v1/consents:         {base['per_second']:>7.0f} events/s "
          f"({base['recorded']:.0f} recorded, errors {base['errors']:.0f}); "
          f"server CPU {base['cpu_ms']:.2f} ms per event (= {1000 / base['cpu_ms']:.0f} events/s per core); "
          f"load generator {base['client_ms']:.2f} ms")  # fmt: skip
    print(f"component notice + choices ({args.choose}):    {embed['per_second']:>7.0f} events/s "
          f"({embed['recorded']:.0f} recorded, errors {embed['errors']:.0f}); "
          f"per cycle p50 {embed['p50']:.1f} ms, p99 {embed['p99']:.1f} ms; "
          f"server CPU {embed['cpu_ms']:.2f} ms per event (= {1000 / embed['cpu_ms']:.0f} events/s per core); "
          f"load generator {embed['client_ms']:.2f} ms")  # fmt: skip
    ratio = embed["per_second"] / base["per_second"] if base["per_second"] else float("nan")
    print(f"ratio component / baseline: {ratio:.2f}")
    print(f"floor: the same two calls, an app that does no work (embed_floor.py): {floor['per_second']:>7.0f} events/s; "
          f"per cycle p50 {floor['p50']:.1f} ms, p99 {floor['p99']:.1f} ms; "
          f"server CPU {floor['cpu_ms']:.2f} ms per event; load generator {floor['client_ms']:.2f} ms; "
          f"ratio component / floor: {embed['per_second'] / floor['per_second']:.2f}")  # fmt: skip
    print(
        f"recording alone, in-process ({alone['n']:.0f} events): one transaction each {alone['single']:>7.0f} events/s; "
        f"group commit {alone['group']:>7.0f} events/s (mean batch {alone['batch']:.1f}); "
        f"ratio {alone['group'] / alone['single']:.2f}"
    )
    met = embed["per_second"] >= 2000 and embed["p99"] <= 50 and embed["errors"] == 0
    print(f"goal >= 2,000 events/s, p99 <= 50 ms, 0 errors: {'met' if met else 'NOT met'}")
    within = floor["per_second"] >= 2000 and floor["p99"] <= 50
    print(
        f"the same goal for the floor (reachable on this machine at all?): {'met' if within else 'NOT met'}"
    )
    print(f"load average during run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
