"""Writing many rows by the driver's fastest path: COPY on PostgreSQL, executemany on SQLite.

Why: SQLAlchemy's executemany (Core or ORM) converts every value through the column types' bind
processors and builds a parameter dict per row; for the rows of a ledger append (entries, consent
events) that cost more per row than hashing and sealing them. Callers pass values already in the
form the store keeps (text for a datetime, as `event_payloads.Encoded.stored_at` gives it), so
nothing is converted here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


def write_rows(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in ``columns`` order, as stored) into ``table`` in the caller's
    transaction: text COPY on PostgreSQL (the server parses each value as it would a literal),
    the driver's executemany on SQLite."""
    dbapi: Any = connection.connection.driver_connection
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if dialect.name == "postgresql":
        sql = f"COPY {quote(table)} ({names}) FROM STDIN"
    else:
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join('?' * len(columns))})"
    try:
        if dialect.name == "postgresql":
            with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
        else:
            dbapi.executemany(sql, rows)
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy raises it for its own statements (a lock timeout is still `is_busy`, a
        # duplicate key an IntegrityError), without the rows' values: they may be personal data.
        raise DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True) from exc
