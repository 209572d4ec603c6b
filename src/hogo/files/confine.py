"""Paths a request may name, and folders hogo must never write into.

Why: a release spec submitted over the API or the console names files on the server. Left as
given, `/etc/passwd`, `../..` or a symlink reaches any file the server can read, and an output
folder inside the package's static folder publishes personal data to anonymous visitors. So a
submitted path is a name *inside* a configured root: absolute paths and `..` are refused outright,
and what remains is resolved (symlinks followed) and must still lie inside the root. Refusals say
the same thing whatever the reason — outside the root, missing, unreadable — so the text (which
auditors read in a release's `error`) never tells whether some path exists.

The operator's own CLI keeps local paths; every writer still refuses a served folder.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from hogo.errors import InputError

#: Folders the web application serves to anyone (mounted without authentication).
SERVED_FOLDERS: tuple[Path, ...] = (Path(__file__).resolve().parents[1] / "web" / "static",)


def refused(field: str) -> InputError:
    """The one refusal for a path a request may not use (no path, no reason, no existence)."""
    return InputError(
        "このパスは使えません。データフォルダ内のファイルを相対パスで指定してください。",
        "this path cannot be used: name a file inside the data folder by a relative path.",
        field=field,
    )


def inside(root: Path, name: str | PurePath, field: str, *, must_exist: bool) -> Path:
    """``root / name`` resolved, if it stays inside ``root``; else the generic refusal.

    ``name`` must be relative and free of ``..``; the resolved path (symlinks followed) must lie
    under the resolved root. For an existing folder, every entry below it must resolve inside the
    root too, so a symlink placed inside a dataset folder cannot lead out of it.
    """
    text = str(name)
    relative = PurePath(text)
    if not text or "\x00" in text or relative.is_absolute() or ".." in relative.parts or text.startswith("~"):
        raise refused(field)
    top = root.resolve()
    try:
        target = (top / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        raise refused(field) from None
    if not target.is_relative_to(top):
        raise refused(field)
    if must_exist and not target.exists():
        raise refused(field)
    if target.is_dir():
        _entries_inside(target, top, field)
    return target


def _entries_inside(folder: Path, top: Path, field: str) -> None:
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for entry in (*dirnames, *filenames):
            path = Path(dirpath, entry)
            if path.is_symlink() and not path.resolve().is_relative_to(top):
                raise refused(field)


def served_folder(path: Path) -> Path | None:
    """The served folder ``path`` would land in, if any (resolved, symlinks followed)."""
    target = path.resolve()
    for folder in SERVED_FOLDERS:
        if target.is_relative_to(folder.resolve()):
            return folder
    return None


def refuse_served(path: Path, field: str) -> None:
    """Refuse to write at ``path`` when it lies under a folder hogo serves."""
    if served_folder(path) is not None:
        raise InputError(
            "公開されるフォルダには書き込めません。", "hogo never writes into a served folder.", field=field
        )
