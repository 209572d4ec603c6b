"""The published 外部送信 notice (電気通信事業法27条の12): public, no log-in, so a member site can
link it from every page and the consent component can link it from its dialog."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hogo.domain.notice import Language, render_transmissions
from hogo.http.deps import SessionDep
from hogo.services.policy import current_revision, require_policy
from hogo.web.render import language, render

router = APIRouter()


@router.get("/external-transmissions", include_in_schema=False)
def external_transmissions(request: Request, session: SessionDep) -> Response:
    policy = require_policy(session)
    revision = current_revision(session)
    assert revision is not None  # require_policy found one
    lang: Language = "en" if language(request) == "en" else "ja"
    page = render_transmissions(policy, revision.revision, lang)
    response = render(request, "external_transmissions.html", page, None)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
