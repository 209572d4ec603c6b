"""Write a file completely or not at all: a temporary file beside it, then an atomic rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from hogo.errors import InputError
from hogo.files.confine import refuse_served


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; it replaces the target only on success.

    Never under a folder the server publishes (`hogo.files.confine`).
    """
    refuse_served(target, target.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def atomic_text(target: Path, encoding: str = "utf-8", newline: str | None = None) -> Iterator[IO[str]]:
    with atomic_path(target) as tmp, tmp.open("w", encoding=encoding, newline=newline) as handle:
        yield handle


def create_private(path: Path, text: str) -> None:
    """Create ``path`` with ``text``, readable by its owner only (0600), for a secret key; an
    existing file is never overwritten (InputError naming the file)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(
            "鍵ファイルが既にあります（上書きしません）。",
            "key file exists (not overwritten)",
            field=path.name,
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
