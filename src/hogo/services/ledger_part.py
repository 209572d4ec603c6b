"""The first part of a full `hogo ledger verify` in a process of its own (`ledger.verify_all`).

Why a process: the verify is Python's work for each entry and row (the chain hash, each row's
canonical text and digest, the merge of rows and entries), one core per process; two parts at
once take about half the time where two cores are free.

Why ``python -m`` and not `multiprocessing`: a forked child would inherit SQLite's in-process
lock bookkeeping of the parent's open connections (SQLite forbids using it across fork), and a
spawned one re-imports the caller's main module (the whole CLI). Here the child imports only
what the part needs. The request (the database URL with its password, PostgreSQL's snapshot id,
the head the parent read, where the part ends) goes through the child's stdin, never its command
line; the answer (the part's chain verdict and its `binding.Part`) comes back pickled on its
stdout. A child that fails for any reason answers nothing (its stderr is dropped: a driver's
message may quote values), and the caller then walks that part itself, meeting the same error,
if there is one, where it is reported as usual.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

import hogo
from hogo.domain.ledger import GENESIS, Verification
from hogo.services import collector
from hogo.services.binding import Part
from hogo.store.database import export_snapshot, make_db, read_scope


class Worker:
    """A started child verifying one part."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def result(self) -> tuple[Verification, Part] | None:
        """The part's verdict and reconciliation, or None when the child could not give them."""
        assert self._process.stdout is not None
        with self._process.stdout:
            out = self._process.stdout.read()
        if self._process.wait() != 0 or not out:
            return None
        answer: tuple[Verification, Part] | None = pickle.loads(out)  # our own child's answer
        return answer


def start(session: Session, head: tuple[int, str], upto: tuple[int, str], switch: int) -> Worker | None:
    """Start verifying the entries up to ``upto`` (seq, hash) in another process that reads what
    ``session`` reads; None where it cannot (an in-memory SQLite store, a PostgreSQL transaction
    that is not one snapshot)."""
    conn = session.connection()
    url = conn.engine.url
    if conn.dialect.name == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            return None
    elif conn.get_isolation_level() not in ("REPEATABLE READ", "SERIALIZABLE"):
        return None
    request = {
        "url": url.render_as_string(hide_password=False),
        "snapshot": export_snapshot(conn),
        "head": tuple(head),
        "upto": tuple(upto),
        "switch": switch,
    }
    source = str(Path(hogo.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        [sys.executable, "-m", __name__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert process.stdin is not None
    with process.stdin:
        process.stdin.write(pickle.dumps(request))
    return Worker(process)


def answer(request: dict[str, Any]) -> tuple[Verification, Part] | None:
    """The child's work: the part, in the same snapshot (PostgreSQL) or in a snapshot with the
    same head (SQLite; else None: the store changed in between)."""
    from hogo.services import ledger  # imported here: ledger imports this module

    db = make_db(request["url"])
    try:
        with read_scope(db, snapshot=request["snapshot"]) as session, collector.paused():
            if tuple(ledger.head(session)) != request["head"]:
                return None
            return ledger.verify_part(session, (0, GENESIS), request["upto"], "", request["switch"])
    finally:
        db.dispose()


def main() -> None:
    request = pickle.load(sys.stdin.buffer)  # from the parent process only
    result = answer(request)
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
