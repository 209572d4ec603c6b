"""Alembic environment: runs on the db handed over by hogo.store.database.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from hogo.store.tables import Base

config = context.config
db = config.attributes.get("db")
if not isinstance(db, Engine):
    raise RuntimeError("run migrations through hogo.store.database.upgrade()")

with db.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
