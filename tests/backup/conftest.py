"""A small live hogo store with inventory data and ledger entries, ready to be backed up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import Answer
from hogo.services import readiness
from hogo.store.database import make_db, upgrade, write_scope
from tests.readiness.conftest import asset, good_backups

Seed = Callable[[str], None]


def seed(url: str) -> None:
    """Migrate and write data through the services, so the ledger has entries to verify."""
    engine = make_db(url)
    try:
        upgrade(engine)
        with write_scope(engine) as session:
            inventory = Inventory(
                assets=(asset(), asset(id="vpn", kind="vpn_gateway")), backups=good_backups()
            )
            readiness.save_inventory(session, inventory, {"q.telework.rules": Answer.yes})
            readiness.remove_asset(session, "vpn")
    finally:
        engine.dispose()


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'live' / 'hogo.db'}"
    (tmp_path / "live").mkdir()
    seed(url)
    return url
