"""Runs — releases, profile jobs and segment exports — as the store sees them: started after the
accepting transaction commits, prepared in a private work folder, recorded, then published; and
settled when the process running them stopped.

Why one module: the three kinds of run share their life cycle (`running` → `done` or `failed`)
and their crash guarantees (`hogo.release.publish`); each kind's service
(`services.releases`, `services.profiles`, `services.segments`) says only what it prepares and
records.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import Session

from hogo.config import load_settings
from hogo.engines import EngineName, SqlEngine, get_engine
from hogo.errors import HogoError
from hogo.release import publish as publication
from hogo.release.publish import staged
from hogo.store.database import read_scope, write_scope
from hogo.store.rows import view_of
from hogo.store.tables import DONE, FAILED, RUNNING

log = logging.getLogger(__name__)
_Prepared = TypeVar("_Prepared")

STOPPED = "実行していたプロセスが停止したため中断しました。\nthe process running it stopped."


@dataclass(frozen=True)
class RecordedRun:
    """A profile job or a segment export that ran, was recorded and took its folder (a release
    also says its mode: `services.releases.RecordedRelease`)."""

    run_id: str
    directory: Path
    counts: dict[str, int]
    manifest: dict[str, Any]


class _RunRow(Protocol):
    """The row of a run (a release, a profile job, a segment export), as `run_view` reads it."""

    manifest: str | None


_Row = TypeVar("_Row")
_View = TypeVar("_View")


def run_view(view: type[_View], row: _RunRow, **computed: Any) -> _View:
    """The service's view of a run's row (`hogo.store.rows.view_of`), its manifest decoded (empty
    until the run is done)."""
    return view_of(view, row, manifest=json.loads(row.manifest) if row.manifest else {}, **computed)


def newest_runs(session: Session, model: type[_Row], limit: int) -> list[_Row]:
    """The rows of `model`'s runs, newest first."""
    started_at = inspect(model).columns["started_at"]
    return list(session.scalars(select(model).order_by(started_at.desc()).limit(limit)))


def runner() -> str:
    """This process, as written on the releases it runs (asked each time: workers may fork)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def alive(runner: str) -> bool:
    """Whether the process that wrote ``runner`` may still be running (unknown hosts: assume so)."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settle_stopped(db: Engine, model: type[Any], key: str, what: str) -> list[str]:
    """Settle the runs of ``model`` (profile jobs, segment exports; the row class, ``key`` its id
    column) whose process stopped mid-run, as `recover_interrupted` does for releases; returns the
    ids marked failed.

    A run still `running` whose process (on this host) no longer exists is marked failed and its
    scratch folders removed, so its id can be run again; a `done` run whose process stopped between
    the commit and the rename gets its folder (`hogo.release.publish.finish`)."""
    recovered: list[str] = []
    with write_scope(db) as session:
        for row in session.scalars(select(model).where(model.status != FAILED)).all():
            if row.runner is None or alive(row.runner):
                continue
            run_id = getattr(row, key)
            if row.status == RUNNING:
                row.status, row.finished_at, row.error = FAILED, datetime.now(UTC), STOPPED
                publication.discard(Path(row.directory), run_id)
                recovered.append(run_id)
            elif publication.finish(Path(row.directory), run_id):
                log.warning("%s %s was recorded before its process stopped; folder completed", what, run_id)
    for run_id in recovered:
        log.warning("%s %s was interrupted; marked as failed", what, run_id)
    return recovered


def error_text(exc: BaseException) -> str:
    if isinstance(exc, HogoError):
        return exc.ja if exc.ja == exc.en else f"{exc.ja}\n{exc.en}"
    return f"内部エラーで中断しました({type(exc).__name__})。\ninternal error ({type(exc).__name__})."


@contextmanager
def failure_recorded(db: Engine, model: type[Any], key: str, what: str) -> Iterator[None]:
    """A run (a release, a profile job, a segment export) that raises is marked failed on its row —
    only while still running: one that failed after its record committed stays done, and recovery
    completes its folder — and the log names the error's type only (an engine's message may quote
    a value from the data). ``model`` is the run's row class (status, finished_at, error)."""
    try:
        yield
    except BaseException as exc:
        log.warning("%s %s failed: %s", what, key, type(exc).__name__)
        with write_scope(db) as session:
            row = session.get(model, key)
            if row is not None and row.status == RUNNING:
                row.status, row.finished_at, row.error = FAILED, datetime.now(UTC), error_text(exc)
        raise


def run_staged(
    db: Engine,
    directory: Path,
    engine: EngineName | None,
    prepare: Callable[[SqlEngine, Path], _Prepared],
    record: Callable[[Session, _Prepared, Path], dict[str, Any]],
) -> tuple[_Prepared, dict[str, Any]]:
    """Prepare a run in a private work folder with a data engine, record it, then publish the folder.

    A failure or a crash leaves either the recorded run with its folder or neither: the engine
    (its memory and spill files) is gone before anything is recorded, the work folder is removed
    unless the record committed, and recovery finishes or removes what a crash left
    (`hogo.release.publish`). Releases, profile jobs and segment exports all run this way."""
    with staged(directory) as stage:
        data = _data_engine(engine, stage.spill)
        try:
            prepared = prepare(data, stage.work)
        finally:
            data.close()
        stage.end_spill()
        with write_scope(db) as session:
            manifest = record(session, prepared, stage.work)
        # Committed: the run is recorded, so its folder may now take its final name. A crash
        # before this leaves `.ID.part`, which recovery renames (hogo.release.publish).
        stage.publish()
    return prepared, manifest


def _data_engine(name: EngineName | None, spill: Path) -> SqlEngine:
    """The data engine a spec names (else HOGO_ENGINE), spilling into the run's own folder
    (releases, profile jobs and segment exports alike)."""
    settings = load_settings()
    return get_engine(
        name or settings.engine, memory_limit=settings.engine_memory_limit, temp_directory=spill
    )


def run_after_commit(session: Session, name: str, execute: Callable[[], object]) -> None:
    """Run ``execute`` (a release, a profile job, a segment export) in a thread named ``name``
    once the caller's transaction commits, so the `running` row it updates is there.

    The thread is not a daemon: a server shutting down waits for runs in progress. A failure is
    recorded on the run's row by ``execute`` (`failure_recorded`); the thread has nothing to add.
    """

    def work() -> None:
        try:
            execute()
        except Exception:  # recorded as failed on the run's row; nothing else to do in a worker
            return

    def launch(_session: Session) -> None:
        threading.Thread(target=work, name=name).start()

    event.listen(session, "after_commit", launch, once=True)


class _Run(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def directory(self) -> str: ...


_Info = TypeVar("_Info", bound=_Run)


def settled(store: Engine, read: Callable[[Session], _Info], timeout: float = 60.0) -> _Info:
    """Poll ``read`` until what it reads (a release, a profile run, a segment export) is no longer
    running, or ``timeout`` seconds have passed (for tests and scripts). A run is recorded done
    a moment before its folder takes its final name (`run_staged`), so a done run is settled
    once its folder is there: a caller may read its files straight away."""
    deadline = time.monotonic() + timeout
    while True:
        with read_scope(store) as session:
            info = read(session)
        published = info.status != DONE or Path(info.directory).is_dir()
        if (info.status != RUNNING and published) or time.monotonic() > deadline:
            return info
        time.sleep(0.05)


def manifest_counts(manifest: dict[str, Any]) -> dict[str, int]:
    """The `counts` of a run's manifest (a release's, a segment export's), empty until it is done."""
    counts = manifest.get("counts", {})
    return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}
