"""A request with a body is authenticated once: the body guard looks its credential up before
reading the body, and the dependencies use what it found instead of asking the database again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.http import deps, guard
from hogo.services import auth
from hogo.web import session as web_session
from tests.api.env import Env


def _count(monkeypatch: pytest.MonkeyPatch, name: str, modules: list[Any]) -> list[int]:
    calls = [0]
    real: Callable[..., Any] = getattr(auth, name)

    def counted(*args: Any) -> Any:
        calls[0] += 1
        return real(*args)

    for module in modules:
        monkeypatch.setattr(module, name, counted)
    return calls


def test_an_api_request_with_a_body_looks_its_token_up_once(
    api: TestClient, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count(monkeypatch, "token_principal", [guard, deps])
    r = api.put("/api/v1/subjects", json={"subject_id": "X-auditor"}, headers=env.headers(Role.auditor))
    assert r.status_code == 403  # authenticated (once), then refused for the role
    assert calls[0] == 1
    r = api.get("/api/v1/ledger/status", headers=env.headers(Role.auditor))
    assert r.status_code == 200  # no body: the guard passes it on, the dependency looks it up
    assert calls[0] == 2


def test_a_bad_token_with_a_body_is_refused_before_the_app(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count(monkeypatch, "token_principal", [guard, deps])
    r = api.put("/api/v1/subjects", json={"subject_id": "X"}, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert calls[0] == 1


def test_a_console_post_looks_its_session_up_once(
    auditor: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count(monkeypatch, "session_principal", [guard, web_session])
    r = auditor.post("/admin/tokens", data={"name": "x", "role": "auditor", "csrf_token": "wrong"})
    assert r.status_code == 403  # signed in (looked up once), then the CSRF check refuses it
    assert calls[0] == 1
