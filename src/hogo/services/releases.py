"""Releases as use cases: start one (in the background or in the foreground), list and read them.

A release is accepted by writing a `running` row; `hogo.release.run.run_release` turns it `done`
in the transaction that records the release in the ledger, and a failure turns it `failed` with a
message that names no personal data (HogoError texts name fields and rows only; anything else is
recorded by its type). `run_release` removes its partial output on failure, so a failed release
leaves neither files nor records behind.

The background run starts only after the accepting transaction commits, so the row it updates is
always there; on SQLite that also keeps the run from waiting on the request's write lock.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from hogo.config import Settings
from hogo.domain.clock import JST, as_aware
from hogo.domain.decision import assess_purpose
from hogo.domain.provision import ReleaseMode
from hogo.errors import Conflict, HogoError, InputError, NotFound
from hogo.release import publish as publication
from hogo.release.run import ReleaseResult, Step, run_release
from hogo.release.spec import ReleaseSpec, SpecPaths, parse_spec
from hogo.services import ledger
from hogo.services.policy import require_policy
from hogo.store.database import read_scope, write_scope
from hogo.store.releases import DONE, FAILED, RUNNING, ReleaseRow

log = logging.getLogger(__name__)

MANIFEST = publication.MANIFEST
STOPPED = "実行していたプロセスが停止したため中断しました。\nthe process running it stopped."


@dataclass(frozen=True)
class ReleaseInfo:
    release_id: str
    mode: ReleaseMode
    purpose: str
    recipient: str
    status: str  # running | done | failed
    started_at: datetime
    finished_at: datetime | None
    directory: str
    manifest: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = self.manifest.get("counts", {})
        return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}

    @property
    def files(self) -> tuple[str, ...]:
        """Names of the files a done release holds (manifest.json included)."""
        if self.status != DONE:
            return ()
        listed = self.manifest.get("files", {})
        names = sorted(listed) if isinstance(listed, dict) else []
        return (*names, MANIFEST)

    def personal(self, name: str) -> bool:
        """Whether a file holds 個人データ provided to a third party (personal mode, not the manifest)."""
        return self.mode is ReleaseMode.personal and name != MANIFEST


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    path: Path
    #: True for files that hold 個人データ provided to a third party (personal mode).
    personal: bool


def _info(row: ReleaseRow) -> ReleaseInfo:
    return ReleaseInfo(
        release_id=row.release_id,
        mode=ReleaseMode(row.mode),
        purpose=row.purpose,
        recipient=row.recipient,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        directory=row.directory,
        manifest=json.loads(row.manifest) if row.manifest else {},
        error=row.error,
    )


def list_releases(session: Session, limit: int = 200) -> list[ReleaseInfo]:
    """Newest first."""
    rows = session.scalars(select(ReleaseRow).order_by(ReleaseRow.started_at.desc()).limit(limit))
    return [_info(r) for r in rows]


def get_release(session: Session, release_id: str) -> ReleaseInfo:
    row = session.get(ReleaseRow, release_id)
    if row is None:
        raise NotFound("その提供は記録されていません。", "no such release.")
    return _info(row)


def release_file(info: ReleaseInfo, name: str) -> ReleaseFile:
    """One file of a done release, by its exact name (never a path)."""
    if name not in info.files:
        raise NotFound("そのファイルはありません。", "no such file in this release.")
    path = Path(info.directory) / name
    if not path.is_file():
        raise NotFound("ファイルが見つかりません(移動または削除されました)。", "the file is gone.")
    return ReleaseFile(name, path, info.personal(name))


def submitted_spec(data: Any, settings: Settings) -> ReleaseSpec:
    """A spec sent over the API or the console: paths confined to the data and releases folders."""
    return parse_spec(data, SpecPaths.submitted(settings.inputs_root, settings.releases_root), "body")


def _release_id(spec: ReleaseSpec, at: datetime) -> str:
    """The id `run_release` would choose: the spec's, or date-purpose-recipient-random."""
    return spec.id or f"{at:%Y%m%d}-{spec.purpose}-{spec.recipient}-{uuid.uuid4().hex[:8]}"


def _accept(session: Session, spec: ReleaseSpec) -> ReleaseSpec:
    """Check what can be checked before any data is read, and write the `running` row.

    Returns the spec with its id fixed, so the caller can name the release before it runs.
    """
    at = as_aware(spec.at) if spec.at else datetime.now(JST)
    policy = require_policy(session, at)
    refused = assess_purpose(policy, spec.purpose, at, spec.recipient).terminal
    if refused:
        first = refused[0]
        raise InputError(
            f"この提供はできません: {first.message_ja}({first.article})",
            f"release refused: {first.message_en}",
            field="purpose",
        )
    release_id = _release_id(spec, at)
    spec = spec.model_copy(update={"id": release_id})
    row = session.get(ReleaseRow, release_id)
    if row is not None and row.status != FAILED:
        raise Conflict("この提供IDは既に使われています。", "this release id is already in use.")
    try:
        taken = (spec.output.dir / release_id).exists()
    except (OSError, ValueError):
        raise InputError(
            "出力先のパスを使えません。", "the output path cannot be used.", field="output.dir"
        ) from None
    if taken:
        raise Conflict("同じ提供IDの出力が既にあります。", "a release with this id already exists.")
    if row is None:
        row = ReleaseRow(release_id=release_id)
        session.add(row)
    row.mode, row.purpose, row.recipient = spec.mode.value, spec.purpose, spec.recipient
    row.status, row.started_at, row.finished_at = RUNNING, datetime.now(UTC), None
    row.runner = runner()
    row.directory, row.manifest, row.error = str(spec.output.dir / release_id), None, None
    session.flush()
    return spec


def runner() -> str:
    """This process, as written on the releases it runs (asked each time: workers may fork)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(runner: str) -> bool:
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


def recover_interrupted(store: Engine) -> list[str]:
    """Settle releases whose process stopped mid-run; returns the ids marked failed.

    Why: a release runs in a thread of the server or in `hogo release run`; if that process is
    killed, its row would stay `running` for ever and its half-written folder would remain. A
    release that was not recorded is marked failed and what it wrote is removed, so its id can
    be run again; one that was recorded but not yet renamed into place gets its folder
    (`hogo.release.publish`). Only releases started on this host by a process that no longer
    exists are touched.
    """
    recovered: list[str] = []
    with write_scope(store) as session:
        rows = session.scalars(select(ReleaseRow).where(ReleaseRow.status != DONE)).all()
        for row in rows:
            if row.status == RUNNING and (row.runner is None or _alive(row.runner)):
                continue
            if row.status == RUNNING:
                row.status, row.finished_at = FAILED, datetime.now(UTC)
                row.error = STOPPED
                recovered.append(row.release_id)
            if not ledger.entries_for(session, f"release:{row.release_id}"):
                publication.discard(Path(row.directory), row.release_id)
        done = session.scalars(select(ReleaseRow).where(ReleaseRow.status == DONE)).all()
        for row in done:
            if (
                row.runner is not None
                and not _alive(row.runner)
                and publication.finish(Path(row.directory), row.release_id)
            ):
                log.warning(
                    "release %s was recorded before its process stopped; folder completed", row.release_id
                )
    for release_id in recovered:
        log.warning("release %s was interrupted; marked as failed", release_id)
    return recovered


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, HogoError):
        return exc.ja if exc.ja == exc.en else f"{exc.ja}\n{exc.en}"
    return f"内部エラーで中断しました({type(exc).__name__})。\ninternal error ({type(exc).__name__})."


def _mark_failed(store: Engine, release_id: str, exc: BaseException) -> None:
    with write_scope(store) as session:
        row = session.get(ReleaseRow, release_id)
        # A release that failed after its record committed stays done (its folder is completed
        # by recovery); only one still running can fail.
        if row is not None and row.status == RUNNING:
            row.status, row.finished_at, row.error = FAILED, datetime.now(UTC), _error_text(exc)


def _execute(store: Engine, spec: ReleaseSpec, step: Step | None = None) -> ReleaseResult:
    assert spec.id is not None
    try:
        return run_release(spec, store, step=step)
    except BaseException as exc:
        # The type only: an engine's message may quote a value from the data.
        log.warning("release %s failed: %s", spec.id, type(exc).__name__)
        _mark_failed(store, spec.id, exc)
        raise


def _background(store: Engine, spec: ReleaseSpec) -> None:
    try:
        _execute(store, spec)
    except Exception:  # recorded as failed by _execute; nothing else to do in a worker thread
        return


def start_release(session: Session, store: Engine, spec: ReleaseSpec) -> str:
    """Accept the release in the caller's transaction; it runs in a thread once that commits.

    The thread is not a daemon: a server shutting down waits for releases in progress.
    """
    spec = _accept(session, spec)
    assert spec.id is not None

    def launch(_session: Session) -> None:
        threading.Thread(target=_background, args=(store, spec), name=f"release-{spec.id}").start()

    event.listen(session, "after_commit", launch, once=True)
    return spec.id


def run_now(store: Engine, spec: ReleaseSpec, step: Step | None = None) -> ReleaseResult:
    """Accept and run a release in the foreground (`hogo release run`); failures are recorded."""
    recover_interrupted(store)
    with write_scope(store) as session:
        spec = _accept(session, spec)
    return _execute(store, spec, step)


def wait_for(store: Engine, release_id: str, timeout: float = 60.0) -> ReleaseInfo:
    """Poll until a release is no longer running (for tests and scripts)."""
    deadline = time.monotonic() + timeout
    while True:
        with read_scope(store) as session:
            info = get_release(session, release_id)
        if info.status != RUNNING or time.monotonic() > deadline:
            return info
        time.sleep(0.05)
