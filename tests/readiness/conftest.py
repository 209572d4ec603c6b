"""Factories for readiness tests: assets, backup jobs and a runner for one check."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from hogo.domain.readiness.assets import Asset
from hogo.domain.readiness.backups import BackupJob
from hogo.domain.readiness.checks import RULES, Context, Finding
from hogo.domain.readiness.eol import EolCatalogue
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import Answer
from hogo.files.readiness_eol import bundled_catalogue

TODAY = date(2026, 11, 27)


def asset(**overrides: Any) -> Asset:
    """A device with every measure in place; tests change one thing at a time."""
    values: dict[str, Any] = {
        "id": "dev-1",
        "kind": "server",
        "vendor": "Microsoft",
        "model": "Windows Server",
        "version": "2022",
        "manufactured_on": date(2023, 4, 1),
        "exposed_ports": (),
        "mfa": True,
        "default_password_changed": True,
        "last_patched_on": date(2026, 11, 1),
        "owner": "情報システム",
    }
    values.update(overrides)
    return Asset.model_validate(values)


def job(**overrides: Any) -> BackupJob:
    values: dict[str, Any] = {
        "id": "job-1",
        "source": "dev-1",
        "target": "nas",
        "media": "nas",
        "generations": 14,
    }
    values.update(overrides)
    return BackupJob.model_validate(values)


def good_backups(source: str = "dev-1") -> tuple[BackupJob, ...]:
    """Two jobs that together meet 3-2-1-1-0."""
    return (
        job(id="b-nas", source=source),
        job(id="b-cloud", source=source, media="cloud", offsite=True, immutable=True, generations=30,
            last_restore_test_on=date(2026, 6, 1), restore_test_errors=0),
    )  # fmt: skip


@pytest.fixture(scope="session")
def catalogue() -> EolCatalogue:
    return bundled_catalogue()


def run_check(
    check_id: str,
    inventory: Inventory,
    catalogue: EolCatalogue,
    answers: Mapping[str, Answer] | None = None,
    on: date = TODAY,
) -> list[Finding]:
    return list(RULES[check_id](Context(inventory, catalogue, on, dict(answers or {}))))
