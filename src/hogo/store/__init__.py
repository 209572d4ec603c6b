"""Persistence: SQLAlchemy tables, Alembic migrations, the ledger table. SQLite or PostgreSQL."""
