"""Consent data streamed from the store into a release's data engine (`StoreConsent`).

Run: `python benchmarks/consent_stream.py [--subjects 1000000 --events 3000000]
[--postgres postgresql://postgres@127.0.0.1:5432/postgres]` (default: HOGO_TEST_POSTGRES_URL;
without one only SQLite is measured). A throw-away store of each kind is filled with synthetic
rows, then the consent events are streamed into a DuckDB engine as a release reads them. Each
figure stands beside baselines measured in the same run: the Python-driver path releases used
before (rows through SQLAlchemy, one Python object per value, then Arrow); on PostgreSQL `psql`
draining the same binary COPY to /dev/null (what the server and the socket allow), on SQLite a
raw sqlite3 read of the event rows (a plain read, nothing converted).
Goals (issue 13): PostgreSQL >= 1M events/s; SQLite as fast as a plain read allows.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from figures import row, timed
from foundation import synthetic
from hogo.engines import get_engine
from hogo.store.database import make_db, read_connection, upgrade
from hogo.store.export import batch_reader, queries

NOW = "2025-01-01 00:00:00"


def stream(store: Engine) -> None:
    """What a release does with the events (`StoreConsent.register` reads the subjects and legal
    exceptions the same way): the rows into an engine table, batch by batch."""
    stmt, schema = queries()[1]
    engine = get_engine("duckdb")
    try:
        with read_connection(store) as conn, batch_reader(conn) as read:
            engine.load_batches("e", read(stmt, schema))
    finally:
        engine.close()


def python_path(store: Engine) -> None:
    """The path before binary COPY: rows through the Python driver, then Arrow column by column."""
    stmt, schema = queries()[1]
    engine = get_engine("duckdb")
    try:
        with read_connection(store) as conn:
            sql = str(stmt.compile(conn.engine))
            result = conn.execution_options(stream_results=True).exec_driver_sql(sql)
            staged, first = engine.temp_name("b"), True
            while rows := result.fetchmany(100_000):
                columns = [pa.array(c) for c in zip(*rows, strict=True)]
                table = pa.Table.from_arrays([c.cast(f.type) for c, f in zip(columns, schema, strict=True)],
                                             schema=schema)  # fmt: skip
                engine.register_arrow(staged, table)
                sql = f"SELECT * FROM {engine.ident(staged)}"
                engine.insert_into("e", sql) if not first else engine.create_table_as("e", sql)
                first = False
    finally:
        engine.close()


def fill(store: Engine, subjects: int, events: int) -> None:
    """Synthetic subjects and events written with each database's bulk path (not timed)."""
    tables = synthetic(subjects, events)
    subj, ev = tables.subjects, tables.events
    for name, value in {"created_at": NOW, "updated_at": NOW, "ledger_seq": 0}.items():
        subj = subj.append_column(name, pa.array([value] * subjects))
    for name, value in {"method": "web_form", "recorded_at": NOW, "ledger_seq": 0}.items():
        ev = ev.append_column(name, pa.array([value] * events))
    with store.begin() as conn:
        for table, data in (("subjects", subj), ("consent_events", ev)):
            if store.dialect.name == "postgresql":
                _copy_in(conn, table, data)
            else:
                cursor = conn.connection.cursor()
                marks = ", ".join("?" for _ in data.column_names)
                for batch in data.to_batches(200_000):
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(data.column_names)}) VALUES ({marks})",
                        [tuple(str(v) if hasattr(v, "isoformat") else v for v in r.values())
                         for r in batch.to_pylist()],
                    )  # fmt: skip


def _copy_in(conn: object, table: str, data: pa.Table) -> None:
    raw = conn.connection.dbapi_connection  # type: ignore[attr-defined]
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(data.column_names)}) FROM STDIN (FORMAT csv, HEADER)") as copy,
    ):
        for n, batch in enumerate(data.to_batches(500_000)):
            buffer = io.BytesIO()
            header = pacsv.WriteOptions(include_header=n == 0)
            pacsv.write_csv(pa.Table.from_batches([batch]), buffer, write_options=header)
            copy.write(buffer.getvalue())


@contextmanager
def postgres(admin_url: str) -> Iterator[Engine]:
    """A fresh database on the server of ``admin_url``, dropped afterwards."""
    name = f"hogo_bench_{uuid.uuid4().hex[:10]}"
    admin = make_db(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # generated above
    store = make_db(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(store)
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def psql_copy(store: Engine) -> None:
    url = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
    stmt = queries()[1][0]
    sql = f"COPY ({stmt.compile(store)}) TO STDOUT (FORMAT binary)"
    subprocess.run(["psql", url, "-c", sql], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--postgres", default=os.environ.get("HOGO_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    n = args.events
    print(f"consent streamed into the engine — {args.subjects:,} subjects, {n:,} events, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.postgres:
        with postgres(args.postgres) as store:
            fill(store, args.subjects, n)
            fast = timed(lambda: stream(store))
            old = timed(lambda: python_path(store))
            plain = timed(lambda: psql_copy(store))
        row("PostgreSQL: binary COPY → engine", n / fast, "events/s", "Python driver → Arrow → engine", n / old,
            "goal >= 1,000,000 events/s", digits=0)  # fmt: skip
        row("PostgreSQL: binary COPY → engine", n / fast, "events/s", "psql binary COPY > /dev/null", n / plain,
            digits=0)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        store = make_db(f"sqlite:///{path}")
        upgrade(store)
        fill(store, args.subjects, n)
        fast, fast_cpu = cpu_timed(lambda: stream(store))
        old = timed(lambda: python_path(store))
        con = sqlite3.connect(path)
        plain, plain_cpu = cpu_timed(
            lambda: [None for _ in con.execute(f"SELECT * FROM ({queries()[1][0].compile(store)})")]
        )
        con.close()
        store.dispose()
    row("SQLite: DB-API cursor → Arrow → engine", n / fast, "events/s", "SQLAlchemy rows → Arrow → engine", n / old,
        digits=0)  # fmt: skip
    row("SQLite: DB-API cursor → Arrow → engine", n / fast, "events/s", "raw sqlite3 read of the events", n / plain,
        "goal: as fast as a plain read", digits=0)  # fmt: skip
    row("  the same per CPU second", n / fast_cpu, "events/s", "raw sqlite3 read, per CPU second", n / plain_cpu,
        "(all threads' CPU: steadier than wall time on a busy machine)", digits=0)  # fmt: skip


def cpu_timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (this process's, every thread's, the engine's included) of one call."""
    cpu = time.process_time()
    wall = timed(fn)
    return wall, time.process_time() - cpu


if __name__ == "__main__":
    main()
