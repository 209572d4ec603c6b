"""One demo store per test module; tests use distinct persons so they do not interfere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.env import Env, build_env, client


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = build_env(Path(tmp_path_factory.mktemp("api")))
    yield e
    e.db.dispose()


@pytest.fixture()
def api(env: Env) -> Iterator[TestClient]:
    with client(env) as c:
        yield c
