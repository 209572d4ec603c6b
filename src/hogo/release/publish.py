"""How a release folder comes to exist: private while written, named only once recorded.

Why: a release folder with a `manifest.json` looks complete to anyone who finds it. If it could
appear before the transaction that records it (ledger entry, 法29条 record, `done` row) commits, a
crash in between would leave a published-looking release whose record does not exist. So:

1. everything is written into a scratch folder ``.ID.part`` (0700; files 0600 whatever the
   umask, because a release holds personal data or what was made from it); the data engine
   spills into ``.ID.part/.spill`` inside it (its temporary files hold the same data, so they get
   the same private folder, never a served one), which is removed as soon as the engine is done,
   before the folder's files are listed and recorded;
2. the transaction records the release and commits;
3. only then is the scratch folder renamed to its final name (an atomic rename).

A crash before 3 leaves a scratch folder, which is incomplete by its name. Recovery removes it if
the record did not commit, and finishes the rename if it did (:func:`finish`), so afterwards
there is either a recorded release with its folder or neither.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
FILE_MODE, DIR_MODE = 0o600, 0o700


SPILL = ".spill"


def spill_dir(work: Path) -> Path:
    """Where the data engine of the output being written into ``work`` spills: inside it."""
    return work / SPILL


def _beside(final_dir: Path) -> Path:
    """Where earlier versions spilled (beside the work folder): removed by recovery too."""
    return final_dir.with_name(f".{final_dir.name}.spill")


def scratch_dirs(final_dir: Path) -> tuple[Path, Path]:
    """Where a release is written before it is moved into place, and where its engine spills."""
    work = final_dir.with_name(f".{final_dir.name}.part")
    return work, spill_dir(work)


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents as 0700 (existing folders are left as they are)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)


def fresh_private_dir(path: Path) -> None:
    """An empty 0700 folder at ``path`` (a leftover from an earlier attempt is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    private_dir(path)


def write_manifest(work: Path, manifest: dict[str, object]) -> None:
    (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str), "utf-8")


def seal(work: Path) -> None:
    """Owner-only modes on everything in the folder, whatever the umask was when it was written."""
    os.chmod(work, DIR_MODE)
    for dirpath, dirnames, filenames in os.walk(work):
        for name in dirnames:
            os.chmod(Path(dirpath, name), DIR_MODE)
        for name in filenames:
            os.chmod(Path(dirpath, name), FILE_MODE)


@dataclass
class Stage:
    """The private folders of one output being made: ``work`` for its files, ``spill`` for the
    data engine's temporary files; `publish` gives ``work`` its final name."""

    work: Path
    spill: Path
    final_dir: Path
    published: bool = False

    def end_spill(self) -> None:
        """Remove the spill folder (call once the engine is closed, before the files are listed)."""
        shutil.rmtree(self.spill, ignore_errors=True)

    def publish(self) -> None:
        """Call right after the record commits (see the module's steps)."""
        self.end_spill()
        self.published = True
        publish(self.work, self.final_dir)


@contextmanager
def staged(final_dir: Path) -> Iterator[Stage]:
    """Fresh private scratch folders for the output that will take ``final_dir``. On leaving, the
    spill folder goes (if `Stage.end_spill` has not removed it already); on an error before
    `Stage.publish`, the work folder goes too, so a failed run leaves nothing that looks like
    output."""
    private_dir(final_dir.parent)
    work, spill = scratch_dirs(final_dir)
    fresh_private_dir(work)
    fresh_private_dir(spill)
    stage = Stage(work, spill, final_dir)
    try:
        yield stage
    except BaseException:
        if not stage.published:
            shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        stage.end_spill()


def publish(work: Path, final_dir: Path) -> None:
    """Give a recorded release its final name (call only after the record has committed)."""
    os.rename(work, final_dir)


def manifest_names(folder: Path, release_id: str) -> bool:
    """Whether ``folder`` holds a manifest naming ``release_id`` (so it is that release's output;
    a profile job's manifest names its `profile_id`, a segment export's its `export_id`)."""
    try:
        found = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and release_id in (
        found.get("release_id"),
        found.get("profile_id"),
        found.get("export_id"),
    )


def finish(final_dir: Path, release_id: str) -> bool:
    """Complete the publication of a recorded release whose process stopped before the rename
    (and remove the engine's spill folder it may have left); True if the folder was renamed."""
    work, spill = scratch_dirs(final_dir)
    for folder in (spill, _beside(final_dir)):
        shutil.rmtree(folder, ignore_errors=True)
    if final_dir.exists() or not manifest_names(work, release_id):
        return False
    publish(work, final_dir)
    return True


def discard(final_dir: Path, release_id: str) -> None:
    """Remove what an unrecorded release left: scratch folders, and a folder published without its
    record by an earlier version of hogo (recognised by its manifest naming the release)."""
    for scratch in (*scratch_dirs(final_dir), _beside(final_dir)):
        shutil.rmtree(scratch, ignore_errors=True)
    if manifest_names(final_dir, release_id):
        shutil.rmtree(final_dir, ignore_errors=True)
