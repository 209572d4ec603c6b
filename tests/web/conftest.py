"""The console tests use the same per-module demo store and client as the API tests, and a
logged-in console client per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from tests.api.conftest import api, env
from tests.api.env import Env, client, login

__all__ = ["api", "env"]


def _as(env: Env, role: Role) -> Iterator[TestClient]:
    with client(env) as c:
        login(c, env.usernames[role])
        yield c


@pytest.fixture()
def officer(env: Env) -> Iterator[TestClient]:
    yield from _as(env, Role.privacy_officer)


@pytest.fixture()
def auditor(env: Env) -> Iterator[TestClient]:
    yield from _as(env, Role.auditor)


@pytest.fixture()
def operator(env: Env) -> Iterator[TestClient]:
    yield from _as(env, Role.operator)
