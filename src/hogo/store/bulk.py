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
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError


def write_rows(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in ``columns`` order, as stored) into ``table`` in the caller's
    transaction: text COPY on PostgreSQL (the server parses each value as it would a literal),
    multi-row INSERTs on SQLite (`_insert_sqlite`)."""
    dbapi: Any = connection.connection.driver_connection
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if dialect.name == "postgresql":
        sql = f"COPY {quote(table)} ({names}) FROM STDIN"
        with _as_sqlalchemy_raises(dialect, sql), dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    else:
        _insert_sqlite(dbapi, dialect, f"INSERT INTO {quote(table)} ({names}) VALUES ", len(columns), rows)


#: Bound parameters per statement on SQLite: the smallest limit any SQLite has had (999).
_SQLITE_PARAMETERS = 999


def _insert_sqlite(
    dbapi: Any, dialect: Dialect, head: str, width: int, rows: Iterable[Sequence[Any]]
) -> None:
    """``rows`` by statements of as many rows as `_SQLITE_PARAMETERS` allows, the rest one a
    statement, all by the driver's executemany.

    Why: executemany runs its statement once per row, and each run opens the table's and every
    index's cursor again; a statement of 76 rows of consent_events cost about 1 µs a row less
    (4.5 against 3.5 µs). A row of another width than ``columns`` is refused as executemany
    refuses it, before anything is written (the values are bound flat, so it would shift every
    row after it)."""
    rows = rows if isinstance(rows, list) else list(rows)
    one = f"({', '.join('?' * width)})"
    per = max(1, _SQLITE_PARAMETERS // width)
    full = len(rows) // per * per
    if any(len(row) != width for row in rows):
        with _as_sqlalchemy_raises(dialect, head + one):
            raise dialect.loaded_dbapi.ProgrammingError("a row's number of values differs from its columns'")
    if full:
        sql = head + ", ".join([one] * per)
        flat = list(chain.from_iterable(rows[:full]))
        step = per * width
        with _as_sqlalchemy_raises(dialect, sql):
            dbapi.executemany(sql, [flat[i : i + step] for i in range(0, len(flat), step)])
    if full < len(rows):
        with _as_sqlalchemy_raises(dialect, head + one):
            dbapi.executemany(head + one, rows[full:])


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
