"""Writing many rows, and looking many keys up, by the database driver directly.

Why: SQLAlchemy's executemany (Core or ORM) converts every value through the column types' bind
processors and builds a parameter dict per row; for the rows of a ledger append (entries, consent
events) that cost more per row than hashing and sealing them. An ``IN`` list of thousands of ids
is rendered and bound one parameter at a time on each execution (about 0.8 µs an id, more than
the database's own look-up). Callers pass values already in the form the store keeps (text for a
datetime, as `event_payloads.Encoded.stored_at` gives it) and read values as the driver gives
them, so nothing is converted here. Errors are raised as SQLAlchemy raises them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect
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
    with _as_sqlalchemy_raises(dialect, sql):
        if dialect.name == "postgresql":
            with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
        else:
            dbapi.executemany(sql, rows)


#: Ids per look-up statement (within every supported SQLite's limit of bound parameters).
CHUNK = 5_000


def rows_with(
    connection: Connection, table: str, columns: Sequence[str], key: str, values: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE key IN (values)``, `CHUNK` values a statement, the rows
    as the driver gives them (columns that need no conversion: text, integers, bytes)."""
    quote = connection.dialect.identifier_preparer.quote
    head = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} WHERE {quote(key)} IN "
    return rows_in(connection, head, values)


def rows_in(connection: Connection, head: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of the query ``head`` (ending in ``… IN ``) for ``values``, `CHUNK` values a
    statement, as the driver gives them (`rows_with` for a query over more than one table)."""
    dbapi: Any = connection.connection.driver_connection
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    found: list[tuple[Any, ...]] = []
    for i in range(0, len(values), CHUNK):
        chunk = list(values[i : i + CHUNK])
        sql = f"{head}({', '.join([mark] * len(chunk))})"
        with _as_sqlalchemy_raises(dialect, sql):
            cursor = dbapi.cursor()
            try:
                cursor.execute(sql, chunk)
                found.extend(cursor.fetchall())
            finally:
                cursor.close()
    return found


@contextmanager
def _as_sqlalchemy_raises(dialect: Dialect, sql: str) -> Iterator[None]:
    """A driver error as SQLAlchemy raises it for its own statements (a lock timeout is still
    `is_busy`, a duplicate key an IntegrityError), without the values: they may be personal data."""
    try:
        yield
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True) from exc
