"""Which SQLite store a running `hogo serve` holds, so nothing deletes it under the server.

`hogo serve` keeps an exclusive `flock` on `<store>.serving` (holding its process id) for as
long as it runs; the kernel drops the lock when the process ends, however it ends, so a stale
file never blocks anyone. `hogo demo` and `hogo serve --demo` ask `holder()` before they replace
a store: a server holding a deleted file would go on serving it while every later command wrote
to the new one (tokens created then answer 401).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from hogo.errors import Conflict


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory stores."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def lock_file(store: Path) -> Path:
    return store.with_name(store.name + ".serving")


def holder(store: Path) -> int | None:
    """The process id of a running server holding `store` (not this process), else None."""
    path = lock_file(store)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode("ascii", "replace").strip()
            pid = int(text) if text.isdigit() else -1
            return None if pid == os.getpid() else pid
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def refuse_if_served(store: Path) -> None:
    """Refuse to replace a store a running server holds, saying what to do instead."""
    pid = holder(store)
    if pid is not None:
        raise Conflict(
            f"{store} は起動中の hogo serve(PID {pid})が使用中のため、作り直しません。"
            f"そのまま HOGO_DATABASE_URL=sqlite:///{store} で操作するか、サーバを止めてから"
            "作り直すか、--database で別のファイルを指定してください。",
            f"{store} is held by a running hogo serve (PID {pid}); it is not rebuilt. Use it as it"
            f" is with HOGO_DATABASE_URL=sqlite:///{store}, stop the server first, or choose"
            " another file with --database.",
        )


@contextmanager
def hold(store: Path) -> Iterator[None]:
    """Hold `store` for a server's lifetime; refused when another server already holds it."""
    refuse_if_served(store)
    path = lock_file(store)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            refuse_if_served(store)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
