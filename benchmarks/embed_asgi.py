"""The app's own CPU per captured event, without sockets: embed_load.py's two paths driven in-process.

Run: `python benchmarks/embed_asgi.py [--subjects 10000 --concurrency 64 --cycles 1500]`.

`benchmarks/embed_load.py` measures over loopback, where uvicorn, the sockets and the load
generator share the machine's cores with the app; on a busy 2-core machine its figures swing with
the load. Here the ASGI app (`hogo.http.app.create_app`, every middleware included) is called
directly from `--concurrency` coroutines in one process, and the process's CPU time per recorded
event is printed (it includes the group commits' writer threads, and the little the driver does:
minting member tokens, JSON):

1. the consent notice component's cycle: a fresh member token → `POST /api/v1/embed/notice` →
   `POST /api/v1/embed/choices` granting the first purpose shown, `--cycles` times;
2. `POST /api/v1/consents`, one event per request, `--cycles` times.

Compare runs of two versions one after the other (`PYTHONPATH=<their src>`): CPU time, not wall.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.types import ASGIApp, Message

from embed_load import ORIGIN, SECRET, prepare, token
from hogo.services.sites import NewKey


async def call(app: ASGIApp, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """One POST through the app, as uvicorn would hand it over."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in {**headers, "Host": "bench",
                         "Content-Type": "application/json", "Content-Length": str(len(body))}.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}  # fmt: skip
    answer: dict[str, object] = {"body": b""}
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect: the app answers first
        raise AssertionError

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] = bytes(answer["body"]) + message.get("body", b"")  # type: ignore[arg-type]

    await app(scope, receive, send)
    return int(answer["status"]), bytes(answer["body"])  # type: ignore[call-overload]


async def measured(concurrency: int, cycles: int, one: Callable[[], Awaitable[int]]) -> dict[str, float]:
    """Run `one` (events it recorded, or -1 for an error) `cycles` times from `concurrency` tasks."""
    left = cycles
    done = errors = 0

    async def worker() -> None:
        nonlocal left, done, errors
        while left > 0:
            left -= 1
            recorded = await one()
            done += max(0, recorded)
            errors += recorded < 0

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"events": done, "errors": errors, "cpu_ms": cpu * 1000 / max(1, done), "per_second": done / wall}


async def run(url: str, api_token: str, key: NewKey, subjects: int, concurrency: int, cycles: int) -> None:
    os.environ.update({"HOGO_DATABASE_URL": url, "HOGO_SECRET_KEY": SECRET,
                       "HOGO_EMBED_RATE_PER_SITE": "10000000", "HOGO_EMBED_RATE_PER_PERSON": "100000"})  # fmt: skip
    from hogo.config import load_settings
    from hogo.http.app import create_app

    app = create_app(load_settings())
    page = {"Origin": ORIGIN, "User-Agent": "Chrome/131.0"}
    members = itertools.cycle(f"M{n:07d}" for n in range(1, subjects + 1))
    numbers = itertools.count()

    async def component() -> int:
        bearer = {**page, "Authorization": f"Bearer {token(key, next(members))}"}
        status, payload = await call(app, "/api/v1/embed/notice", bearer, b"{}")
        if status != 200:
            return -1
        answer = json.loads(payload)
        sections = answer["notices"]["ja"]["sections"]
        if not sections:
            return 0
        choice = {"choices": [{"purpose_id": sections[0]["purpose_id"], "action": "grant"}]}
        ticket = {**page, "Authorization": f"Bearer {answer['ticket']}"}
        status, _ = await call(app, "/api/v1/embed/choices", ticket, json.dumps(choice).encode())
        return 1 if status == 201 else -1

    async def capture() -> int:
        body = {"subject_id": f"M{next(numbers) % subjects + 1:07d}",
                "choices": [{"purpose_id": "marketing_mail", "action": "grant"}]}  # fmt: skip
        status, _ = await call(
            app, "/api/v1/consents", {"Authorization": f"Bearer {api_token}"}, json.dumps(body).encode()
        )
        return 1 if status == 201 else -1

    async with app.router.lifespan_context(app):
        await measured(4, 20, component)  # warm: policy, rendered notices, statements
        embed = await measured(concurrency, cycles, component)
        base = await measured(concurrency, cycles, capture)
    for name, r in (("component notice + choices", embed), ("POST /api/v1/consents", base)):
        print(f"{name:<28} {r['events']:>6.0f} events, errors {r['errors']:.0f}: CPU {r['cpu_ms']:.2f} ms per event "
              f"(= {1000 / r['cpu_ms']:.0f} events/s per core); {r['per_second']:.0f} events/s in one process")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--cycles", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, api_token, key = prepare(Path(tmp) / "bench.db", args.subjects)
        asyncio.run(run(url, api_token, key, args.subjects, args.concurrency, args.cycles))


if __name__ == "__main__":
    main()
