"""The floor under embed_load.py's component figures: the same two calls answered by an app that
does no work, served the way `hogo serve` serves hogo.

Why: on a machine of a few cores the framework's and the server's own cost per request bounds
what any app built on them can reach, whatever it does per request. This app has the component's
two routes with hogo's own request models and headers (FastAPI validates the same input) and
answers each with the bytes hogo answered for that call in the same benchmark run (the
`HOGO_FLOOR_ANSWERS` JSON file: {"notice": …, "choices": …}), with no middleware, no token check,
no store. uvicorn gets hogo's options (`hogo.http.server.server_options`: its httptools protocol,
keep-alive, no access log). Run by `embed_load.py` as `python embed_floor.py PORT WORKERS`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request, Response

from hogo.api.routers.embed import BearerHeader, ChoicesIn, NoticeIn, OriginHeader, UserAgentHeader
from hogo.config import load_settings
from hogo.http.server import server_options

ANSWERS_ENV = "HOGO_FLOOR_ANSWERS"


def create_app() -> FastAPI:
    answers = json.loads(Path(os.environ[ANSWERS_ENV]).read_text())
    notice_body = json.dumps(answers["notice"]).encode()
    choices_body = json.dumps(answers["choices"]).encode()
    app = FastAPI()

    @app.post("/api/v1/embed/notice")
    async def notice(
        request: Request,
        body: NoticeIn,
        origin: OriginHeader,
        authorization: BearerHeader = None,
        user_agent: UserAgentHeader = "",
    ) -> Response:
        return Response(notice_body, media_type="application/json")

    @app.post("/api/v1/embed/choices")
    async def choices(
        request: Request, body: ChoicesIn, origin: OriginHeader, authorization: BearerHeader = None
    ) -> Response:
        return Response(choices_body, status_code=201, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    options = server_options(load_settings())
    uvicorn.run(
        "embed_floor:create_app", factory=True, host="127.0.0.1", port=port, workers=workers, **options
    )
