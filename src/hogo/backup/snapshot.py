"""Consistent online snapshots of the store, and putting one back.

SQLite: the online backup API copies the database page by page under SQLite's own locking, so
the copy is consistent while hogo keeps running (WAL included). PostgreSQL: the ledger is read in
a REPEATABLE READ transaction whose snapshot is exported and handed to pg_dump (`--snapshot`),
so the recorded ledger head and the dump describe the very same instant.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from hogo.backup.manifest import LedgerState
from hogo.backup.processes import die_with_parent, pid_alive
from hogo.domain.ledger import Verification
from hogo.domain.transparency import SignedTreeHead
from hogo.errors import HogoError
from hogo.services import ledger_tree
from hogo.services.ledger import verify_ledger
from hogo.store.database import export_snapshot, read_scope


@dataclass(frozen=True, slots=True)
class Database:
    url: URL

    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]:
        return "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"

    @property
    def sqlite_path(self) -> Path:
        if not self.url.database or self.url.database == ":memory:":
            raise HogoError(
                "メモリ上の SQLite はバックアップできません", "an in-memory SQLite store cannot be backed up"
            )
        return Path(self.url.database)


def database(url: str) -> Database:
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise HogoError("SQLite と PostgreSQL のみ対応しています", "only SQLite and PostgreSQL are supported")
    return Database(parsed)


def _plain_engine(url: URL) -> Engine:
    """An engine without hogo's SQLite pragmas: reading a copy must not change its journal mode."""
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, poolclass=NullPool, hide_parameters=True)


def _verify(session: Session) -> Verification:
    try:
        return verify_ledger(session)
    except SQLAlchemyError as exc:
        raise HogoError(
            "台帳を読めません(hogo のデータベースではないか、初期化されていません)",
            "cannot read the ledger (not a hogo store, or not initialised)",
        ) from exc


def _accepted(result: Verification, tree_head: dict[str, Any] | None = None) -> LedgerState:
    if not result.ok:
        raise HogoError(
            f"台帳の検証に失敗しました(seq {result.first_bad_seq}): {result.problem}",
            f"ledger verification failed at seq {result.first_bad_seq}: {result.problem}",
        )
    return LedgerState(entries=result.entries, head=result.head, tree_head=tree_head)


TREE_MISMATCH = "the signed tree head does not match the copy's Merkle tree"


def _tree_matches(session: Session, head: dict[str, Any]) -> bool:
    try:
        sth = SignedTreeHead.from_json(head)
        return ledger_tree.root(session, sth.head.tree_size) == sth.root()
    except (ValueError, HogoError):
        return False


def _latest_tree_head(session: Session) -> dict[str, Any] | None:
    """The newest signed head in the copy, refused unless the copy's tree has its root."""
    sth = ledger_tree.latest_head(session)
    if sth is None:
        return None
    head = sth.to_json()
    if not _tree_matches(session, head):
        raise HogoError("署名付きツリーヘッドが台帳のマークル木と一致しません", TREE_MISMATCH)
    return head


def verify_copy(url: URL, tree_head: dict[str, Any] | None = None) -> Verification:
    """`ledger verify` on a database given by URL (a restored copy or a scratch database); with
    `tree_head`, also that the copy's Merkle tree has that head's root (first_bad_seq None)."""
    engine = _plain_engine(url)
    try:
        with read_scope(engine) as session:
            result = _verify(session)
            if result.ok and tree_head is not None and not _tree_matches(session, tree_head):
                return Verification(False, result.entries, result.head, None, TREE_MISMATCH)
            return result
    finally:
        engine.dispose()


def _copy_tree_head(url: URL) -> dict[str, Any] | None:
    engine = _plain_engine(url)
    try:
        with read_scope(engine) as session:
            return _latest_tree_head(session)
    finally:
        engine.dispose()


# --- SQLite -----------------------------------------------------------------------------------


def snapshot_sqlite(db: Database, dest: Path) -> LedgerState:
    source = db.sqlite_path
    if not source.exists():
        raise HogoError("データベースファイルがありません", "the database file does not exist")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    copy = URL.create("sqlite", database=str(dest))
    return _accepted(verify_copy(copy), _copy_tree_head(copy))


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def set_aside(path: Path) -> Path | None:
    """Keep the state before a restore (evidence, and a way back); returns the folder used."""
    present = [p for p in [path, *_sidecars(path)] if p.exists()]
    if not present:
        return None
    folder = path.with_name(f"{path.name}.pre-restore-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
    folder.mkdir()
    for p in present:
        shutil.copy2(p, folder / p.name)
    return folder


def restore_sqlite(snapshot: Path, db: Database) -> None:
    """Write the snapshot into the live file through SQLite; a file too damaged to open is replaced."""
    live = db.sqlite_path
    live.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(sqlite3.connect(snapshot)) as src, closing(sqlite3.connect(live)) as dst:
            src.backup(dst)
        return
    except sqlite3.DatabaseError:
        pass  # not a database any more: move it out of the way (set_aside kept a copy)
    for p in [live, *_sidecars(live)]:
        p.unlink(missing_ok=True)
    with closing(sqlite3.connect(snapshot)) as src, closing(sqlite3.connect(live)) as dst:
        src.backup(dst)


# --- PostgreSQL -------------------------------------------------------------------------------


def _conninfo(url: URL, database_name: str | None = None) -> tuple[str, dict[str, str]]:
    """A libpq connection string (values quoted) and an environment carrying the password."""

    def quote(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": url.host, "port": str(url.port) if url.port else None, "user": url.username,
             "dbname": database_name or url.database}  # fmt: skip
    conninfo = " ".join(f"{k}={quote(v)}" for k, v in parts.items() if v)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, check=False, preexec_fn=die_with_parent()
        )
    except FileNotFoundError:
        raise HogoError(f"{args[0]} が見つかりません(PostgreSQL クライアントを入れてください)",
                        f"{args[0]} not found (install the PostgreSQL client)") from None  # fmt: skip
    if done.returncode != 0:
        # pg tools print object names, not row data; the first line is enough to act on.
        first = (done.stderr.strip().splitlines() or ["?"])[0]
        raise HogoError(f"{what} に失敗しました: {first}", f"{what} failed: {first}")


def snapshot_postgres(db: Database, dest: Path) -> LedgerState:
    engine = _plain_engine(db.url)
    try:
        # pg_dump reads the snapshot this read transaction (REPEATABLE READ) exports, while it lasts.
        with read_scope(engine) as session:
            snapshot_id = export_snapshot(session.connection())
            state = _accepted(_verify(session), _latest_tree_head(session))
            conninfo, env = _conninfo(db.url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}",
                  f"--file={dest}", f"--dbname={conninfo}"], env, "pg_dump")  # fmt: skip
        return state
    finally:
        engine.dispose()


SCRATCH_PREFIX = "hogo_restore_"


def _admin(db: Database) -> Engine:
    return _plain_engine(db.url.set(database="postgres")).execution_options(isolation_level="AUTOCOMMIT")


def drop_stale_scratch_databases(db: Database) -> list[str]:
    """Drop trial-restore databases a killed run left behind: their owner process (the pid in the
    name, on this machine) is gone and nobody is connected to them. Returns the names dropped."""
    admin = _admin(db)
    dropped = []
    try:
        with admin.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.datname FROM pg_database d WHERE d.datname LIKE :prefix AND NOT EXISTS "
                    "(SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"
                ),
                {"prefix": SCRATCH_PREFIX + "%"},
            ).scalars()
            for name in list(rows):
                owner = name.removeprefix(SCRATCH_PREFIX).split("_", 1)[0]
                if owner.isdigit() and pid_alive(int(owner)):
                    continue
                quoted = admin.dialect.identifier_preparer.quote(name)
                try:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))  # quoted name
                except SQLAlchemyError:
                    continue  # another user's, or just taken: not ours to remove now
                dropped.append(name)
    finally:
        admin.dispose()
    return dropped


@contextmanager
def scratch_database(db: Database) -> Iterator[URL]:
    """A temporary database on the same server, dropped afterwards (and by the next run if killed)."""
    drop_stale_scratch_databases(db)
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{secrets.token_hex(6)}"
    admin = _admin(db)
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {quoted}"))  # name made here, quoted by the dialect
        try:
            yield db.url.set(database=name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        admin.dispose()


def load_postgres(dump: Path, url: URL, *, clean: bool) -> None:
    conninfo, env = _conninfo(url)
    args = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, f"--dbname={conninfo}", str(dump)], env, "pg_restore")
