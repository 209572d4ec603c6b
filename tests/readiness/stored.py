"""Store the sample readiness inventory (tests/readiness/data/inventory.yaml) in a store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from hogo.files.readiness_inventory import read_inventory_file
from hogo.services import readiness
from hogo.store.database import write_scope

SAMPLE = Path(__file__).with_name("data") / "inventory.yaml"


def store_sample_inventory(engine: Engine) -> None:
    inventory, answers = read_inventory_file(SAMPLE)
    with write_scope(engine) as session:
        readiness.save_inventory(session, inventory, answers, replace=True)
