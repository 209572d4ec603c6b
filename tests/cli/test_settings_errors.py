"""Settings errors never repeat a value, and a development secret never leaves loopback (10.12)."""

from __future__ import annotations

from typing import Any

import pytest

from hogo.cli import serve
from hogo.config import SettingsError, load_settings
from tests.cli.conftest import Run

WEAK = "hunter2-weak-secret-value"


def test_a_weak_secret_is_refused_without_repeating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOGO_ENVIRONMENT", "production")
    monkeypatch.setenv("HOGO_SECRET_KEY", WEAK)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "HOGO_SECRET_KEY" in str(refused.value)
    assert WEAK not in str(refused.value) and "hunter2" not in repr(refused.value.__context__)


def test_a_bad_value_is_named_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOGO_SESSION_MAX_AGE", "not-a-number-s3cr3t")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "HOGO_SESSION_MAX_AGE" in str(refused.value) and "s3cr3t" not in str(refused.value)


def test_serve_refuses_a_weak_secret_without_echo(hogo: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **k: pytest.fail("must not start"))
    monkeypatch.setenv("HOGO_ENVIRONMENT", "production")
    monkeypatch.setenv("HOGO_SECRET_KEY", WEAK)
    r = hogo("serve", code=2)
    assert "HOGO_SECRET_KEY" in r.output and WEAK not in r.output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.5", "::", "hogo.example.jp"])
def test_development_secret_stays_on_loopback(hogo: Run, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **k: pytest.fail("must not start"))
    monkeypatch.delenv("HOGO_SECRET_KEY", raising=False)
    r = hogo("serve", "--host", host, code=2)
    assert "HOGO_SECRET_KEY" in r.output


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_and_real_secrets_are_served(hogo: Run, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serve.uvicorn, "run", lambda target, **options: seen.update(options))
    hogo("serve", "--host", host)
    assert seen["host"] == host
    monkeypatch.setenv("HOGO_SECRET_KEY", "r" * 40)
    hogo("serve", "--host", "0.0.0.0")
    assert seen["host"] == "0.0.0.0"


def test_other_settings_are_named_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    from hogo.services.incident_settings import deadline_settings

    monkeypatch.setenv("HOGO_INCIDENT_PRELIMINARY_DUE_DAYS", "three-s3cr3t")
    with pytest.raises(SettingsError) as refused:
        deadline_settings()
    assert "HOGO_INCIDENT_PRELIMINARY_DUE_DAYS" in str(refused.value) and "s3cr3t" not in str(refused.value)
