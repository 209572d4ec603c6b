"""Responses are never cached, cookies are Secure by setting (not by Host), console POSTs must
come from this site, bodies are capped, and one client cannot take every request slot
(issue 10.2, 10.8, 10.9)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.http.app import create_app
from hogo.http.deps import LEAVE_BOUND
from hogo.http.limits import LOGIN_BODY_LIMIT
from hogo.http.middleware import InFlightLimit
from tests.api.env import PASSWORD, SECRET, Env, login


@contextmanager
def _client(env: Env, base_url: str = "http://testserver", **settings: object) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=env.database_url, secret_key=SECRET, **settings), db=env.db)  # type: ignore[arg-type]
    with TestClient(app, base_url=base_url) as c:
        yield c


def _cookie(c: TestClient) -> str:
    """The Set-Cookie of the log-in form's CSRF cookie (set like every console cookie)."""
    cookie = c.get("/login").headers["set-cookie"].lower()
    assert cookie.startswith("hogo_login_csrf=")
    return cookie


def test_personal_responses_are_never_stored(api: TestClient, env: Env) -> None:
    headers = env.headers(Role.privacy_officer)
    for path in ("/api/v1/subjects/M0000001", "/api/v1/subjects?q=M", "/api/v1/no-such-thing", "/api/v1/me"):
        assert api.get(path, headers=headers).headers["cache-control"] == "no-store", path
    assert api.get("/login").headers["cache-control"] == "no-store"
    # Static assets may be cached: they hold nothing personal.
    assert "no-store" not in api.get("/static/htmx.min.js").headers.get("cache-control", "")


def test_secure_cookies_and_hsts_follow_the_setting_not_the_host(env: Env) -> None:
    # Outside development: Secure and HSTS even when a proxy forwards `Host: 127.0.0.1:8000` over http.
    with _client(env, "http://127.0.0.1:8000", environment="production") as c:
        assert "secure" in _cookie(c)
        assert c.get("/login").headers["strict-transport-security"].startswith("max-age=")
    # Development over http: not Secure, whatever the Host says; no HSTS.
    with _client(env, "http://console.example.jp") as c:
        assert "secure" not in _cookie(c)
        assert "strict-transport-security" not in c.get("/login").headers
    # Turned off explicitly (e.g. a closed network without TLS): off everywhere.
    with _client(env, "http://127.0.0.1:8000", environment="production", cookie_secure=False) as c:
        assert "secure" not in _cookie(c)
        assert "strict-transport-security" not in c.get("/login").headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://evil.example/form.html"},
    ],
)
def test_console_posts_from_another_site_are_refused_even_with_the_token(
    env: Env, headers: dict[str, str]
) -> None:
    with _client(env) as c:
        login(c, env.usernames[Role.admin])
        csrf = c.get("/admin").context["frame"].csrf_token  # type: ignore[attr-defined]
        r = c.post(
            "/admin/tokens",
            data={"name": "from-elsewhere", "role": "admin", "csrf_token": csrf},
            headers=headers,
        )
        assert r.status_code == 403
        assert "from-elsewhere" not in c.get("/admin").text
        # The same form from this site works.
        same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        ok = c.post(
            "/admin/tokens", data={"name": "from-here", "role": "auditor", "csrf_token": csrf}, headers=same
        )
        assert ok.status_code == 200 and ok.context["page"].new_token  # type: ignore[attr-defined]


def test_login_from_another_site_is_refused(env: Env) -> None:
    with _client(env) as c:
        c.get("/login")
        data = {
            "username": env.usernames[Role.auditor],
            "password": PASSWORD,
            "csrf_token": c.cookies.get("hogo_login_csrf"),
        }
        r = c.post("/login", data=data, headers={"Origin": "https://evil.example"}, follow_redirects=False)
        assert r.status_code == 400 and "hogo_session" not in c.cookies


def test_no_page_links_to_another_site_through_its_own_path(api: TestClient, env: Env) -> None:
    """A request for `//evil.example/x` is a path of this site; its page (404, or the log-in form)
    must not turn it into a link elsewhere (the language switch repeated the path)."""
    with _client(env) as c:
        login(c, env.usernames[Role.auditor])
        for client in (api, c):
            page = client.get("http://testserver//evil.example/x?lang=ja")
            assert page.status_code in (401, 404)
            links = re.findall(r'href="([^"]*)"', page.text)
            assert links and not [h for h in links if h.startswith("//") or "evil.example" in h]
            assert 'href="?lang=en"' in page.text
    assert 'href="?q=M&amp;lang=en"' in api.get("/privacy?q=M").text  # the other parameters stay


def test_bodies_over_the_cap_are_413_in_the_error_format(api: TestClient, env: Env) -> None:
    r = api.post("/api/v1/consents", content=b"{" + b" " * (1024 * 1024), headers=env.headers(Role.operator))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    assert api.post("/login", content=b"x" * (LOGIN_BODY_LIMIT + 1)).status_code == 413
    # Anonymous bodies are refused before they are read, in each part's own format.
    assert api.post("/api/v1/consents", json={}).json()["error"]["code"] == "unauthenticated"
    page = api.post("/consents", data={"subject_id": "M0000001"})
    assert page.status_code == 401 and 'name="password"' in page.text


def test_one_client_cannot_take_every_slot() -> None:
    async def scenario() -> list[str]:
        release = asyncio.Event()
        served: list[str] = []

        async def app(scope: dict[str, object], receive: object, send: object) -> None:
            served.append(scope["client"][0])  # type: ignore[index]
            if scope["client"][0] == "198.51.100.1":  # type: ignore[index]
                await release.wait()

        limit = InFlightLimit(app, limit=4, per_client=2)  # type: ignore[arg-type]

        def call(client: str) -> asyncio.Task[None]:
            return asyncio.create_task(limit({"type": "http", "client": (client, 1)}, None, None))  # type: ignore[arg-type]

        greedy = [call("198.51.100.1") for _ in range(6)]
        for _ in range(5):
            await asyncio.sleep(0)
        await asyncio.wait_for(call("192.0.2.7"), timeout=5)  # served while the greedy one waits
        release.set()
        await asyncio.gather(*greedy)
        return served

    served = asyncio.run(scenario())
    assert served.index("192.0.2.7") == 2  # after the greedy client's two slots, not its six
    assert served.count("198.51.100.1") == 6


def test_a_request_that_only_waits_gives_its_place_up() -> None:
    """The consent notice's calls leave the bound while they wait for their group commit
    (`http.deps.leave_bound`): more of them than the bound wait at once, and each place is given
    back once, so the bound is whole afterwards."""

    async def scenario() -> tuple[int, int, InFlightLimit]:
        release = asyncio.Event()
        waiting = 0

        async def app(scope: dict[str, Any], receive: object, send: object) -> None:
            nonlocal waiting
            scope[LEAVE_BOUND]()
            waiting += 1
            await release.wait()

        limit = InFlightLimit(app, limit=2, per_client=2)  # type: ignore[arg-type]
        calls = [asyncio.create_task(limit({"type": "http", "client": ("127.0.0.1", 1)}, None, None))  # type: ignore[arg-type]
                 for _ in range(6)]  # fmt: skip
        for _ in range(20):
            await asyncio.sleep(0)
        at_once = waiting
        release.set()
        await asyncio.gather(*calls)
        assert limit._slots is not None
        return at_once, limit._slots._value, limit

    at_once, free, limit = asyncio.run(scenario())
    assert at_once == 6 and free == 2 and not limit._clients
