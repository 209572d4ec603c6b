"""`hogo serve` trusts X-Forwarded-For only from the proxies the settings name."""

from __future__ import annotations

from typing import Any

import pytest

from hogo.cli import serve
from tests.cli.conftest import Run


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_passes_the_trusted_proxies_to_uvicorn(
    hogo: Run, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serve.uvicorn, "run", lambda target, **options: seen.update(options))
    monkeypatch.setenv("HOGO_FORWARDED_ALLOW_IPS", "10.0.0.5,192.168.0.0/24")
    hogo("serve", "--port", "8123", "--workers", workers)
    assert seen["proxy_headers"] is True
    assert seen["forwarded_allow_ips"] == "10.0.0.5,192.168.0.0/24"
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
