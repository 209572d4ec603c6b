"""The floor under embed_load.py's component figures: the same two calls answered by an app that
does no work, served the way `hogo serve` serves hogo.

Why: on a machine of a few cores the framework's and the server's own cost per request bounds
what any app built on them can reach, whatever it does per request. This app has the component's
two routes with the parameters of hogo's own (the same body models and headers, so FastAPI reads
and validates the same request) and answers each with the bytes hogo answered for that call in the same benchmark run (the
`HOGO_FLOOR_ANSWERS` JSON file: {"notice": …, "choices": …}), with no middleware, no token check,
no store. uvicorn gets hogo's options (`hogo.http.server.server_options`: its httptools protocol,
keep-alive, no access log). Run by `embed_load.py` as `python embed_floor.py PORT WORKERS`.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from fastapi.routing import APIRoute

from hogo.api.routers import embed
from hogo.config import load_settings
from hogo.http.server import server_options

ANSWERS_ENV = "HOGO_FLOOR_ANSWERS"


def create_app() -> FastAPI:
    answers = json.loads(Path(os.environ[ANSWERS_ENV]).read_text())
    app = FastAPI()
    for route in embed.router.routes:
        assert isinstance(route, APIRoute)
        name = route.path.removeprefix(embed.router.prefix + "/")
        if name in answers:
            body = json.dumps(answers[name]).encode()
            app.post("/api/v1" + route.path)(_answering(route.endpoint, body, route.status_code or 200))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _answering(route: Callable[..., Any], body: bytes, status: int) -> Callable[..., Awaitable[Response]]:
    """An endpoint with hogo's route's parameters (so FastAPI reads and validates the same request)
    that answers `body` and does nothing else."""

    async def endpoint(**_: Any) -> Response:
        return Response(body, status_code=status, media_type="application/json")

    signature = inspect.signature(route, eval_str=True)
    endpoint.__signature__ = signature.replace(return_annotation=Response)  # type: ignore[attr-defined]
    return endpoint


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    options = server_options(load_settings())
    uvicorn.run(
        "embed_floor:create_app", factory=True, host="127.0.0.1", port=port, workers=workers, **options
    )
