"""The privacy center's HTTP tests use the API tests' per-module demo store and client."""

from __future__ import annotations

from tests.api.conftest import api, env

__all__ = ["api", "env"]
