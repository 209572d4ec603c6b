"""The published 外部送信 page: anyone can read it (no log-in), in Japanese or English, and it says
exactly what `render_transmissions` renders from the current policy revision."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hogo.domain.notice import TransmissionNotice, render_transmissions
from hogo.services.policy import current_revision, require_policy
from hogo.store.database import read_scope
from tests.api.env import Env


def test_anyone_reads_what_the_sites_tags_send_to_whom_and_why(api: TestClient, env: Env) -> None:
    r = api.get("/external-transmissions")
    assert r.status_code == 200 and "login" not in str(r.url)
    page = r.context["page"]  # type: ignore[attr-defined]
    assert isinstance(page, TransmissionNotice)
    with read_scope(env.db) as session:
        revision = current_revision(session)
        assert revision is not None
        assert page == render_transmissions(require_policy(session), revision.revision, "ja")
    assert "<h1>外部送信について</h1>" in r.text and page.sha256 in r.text
    for item in page.items:
        assert f'id="transmission-{item.id}"' in r.text and item.recipient in r.text
    assert 'href="https://tools.google.com/dlpage/gaoptout"' in r.text
    assert "サービスの提供に必要な送信です。" in r.text  # the CDN is listed, marked as needed
    en = api.get("/external-transmissions?lang=en")
    assert en.status_code == 200 and "Information this website sends to others" in en.text
