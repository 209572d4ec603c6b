"""The migrations build exactly the schema the table models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import hogo.store.auth
import hogo.store.incidents
import hogo.store.inventory
import hogo.store.ledger_tree
import hogo.store.privacy_center
import hogo.store.profiles
import hogo.store.provisions
import hogo.store.readiness
import hogo.store.received
import hogo.store.releases
import hogo.store.rights_requests
import hogo.store.segments
import hogo.store.sites  # noqa: F401 - registers every table on the shared metadata
from hogo.store.database import alembic_config, upgrade
from hogo.store.tables import Base


def test_one_linear_history() -> None:
    from hogo.store.database import make_db

    script = ScriptDirectory.from_config(alembic_config(make_db("sqlite://")))
    assert len(script.get_heads()) == 1


def test_schema_matches_the_models(store: Engine) -> None:
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(sqlite_engine: Engine) -> None:
    command.downgrade(alembic_config(sqlite_engine), "base")
    upgrade(sqlite_engine)
    with sqlite_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
