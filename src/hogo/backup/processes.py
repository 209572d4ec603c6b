"""Nothing a backup starts or writes outlives hogo: child processes and owned temporaries.

A backup handles a full copy of the personal data. If hogo is killed (kill -9, OOM killer, a
closed terminal) while `pg_dump` runs, the dump must not go on writing a complete copy into a
half-built folder, and a decrypted snapshot must not stay in /tmp. So:
- children get PR_SET_PDEATHSIG (Linux): the kernel kills them when hogo dies, even by SIGKILL;
  elsewhere, `subprocess.run` still kills them on any exception in hogo;
- whatever hogo must leave on disk while it works (partial generations, decrypted temporaries,
  trial-restore databases) carries the owner's process id in its name, so the next run can tell
  leftovers of a dead process from the work of a live one and removes them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_PR_SET_PDEATHSIG = 1
TEMP_PREFIX = "hogo-restore-"


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` making the child die with this process (Linux); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (any owner)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_pid(name: str, prefix: str) -> int | None:
    """The pid encoded as `<prefix><pid>-...`/`<prefix><pid>.` in a name, if any."""
    rest = name.removeprefix(prefix)
    digits = ""
    for ch in rest:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits and rest != name else None


def remove_tree(path: Path) -> None:
    """Remove a folder hogo made, even after it was frozen read-only."""

    def writable(func: Callable[..., object], target: str, _: object) -> None:
        os.chmod(os.path.dirname(target) or ".", stat.S_IRWXU)
        if os.path.isdir(target) and not os.path.islink(target):
            os.chmod(target, stat.S_IRWXU)
        func(target)

    if path.is_dir() and not path.is_symlink():
        path.chmod(stat.S_IRWXU)
    shutil.rmtree(path, onerror=writable)


def remove_stale_temporaries(root: Path | None = None) -> list[Path]:
    """Decrypted-snapshot folders of dead hogo processes (owned by this user) in the temp folder."""
    base = Path(root or tempfile.gettempdir())
    removed = []
    for path in base.glob(f"{TEMP_PREFIX}*"):
        pid = owner_pid(path.name, TEMP_PREFIX)
        try:
            mine = path.lstat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and path.is_dir() and not path.is_symlink() and (pid is None or not pid_alive(pid)):
            remove_tree(path)
            removed.append(path)
    return removed


@contextmanager
def private_temporary_folder(root: Path | None = None) -> Iterator[Path]:
    """A 0700 folder for decrypted data, removed on exit, and by the next run if this one is killed."""
    remove_stale_temporaries(root)
    path = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=root))
    try:
        yield path
    finally:
        remove_tree(path)
