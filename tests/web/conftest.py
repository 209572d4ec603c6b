"""The console tests use the same per-module demo store and client as the API tests."""

from __future__ import annotations

from tests.api.conftest import api, env

__all__ = ["api", "env"]
