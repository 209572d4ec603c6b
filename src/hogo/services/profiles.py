"""Profile jobs as a use case: plan, run, seal in the ledger, publish the folder.

The pipeline (`hogo.profiling`) reads no store and records nothing. This module gives it the
policy, the consent source (the store, or the spec's snapshot), a data engine and a private work
folder; checks first that the tables it reads agree with the ledger; then appends one
`processing` entry whose payload is the job's manifest — policy revision, ledger head, feature
definitions and their hash, counts by basis and by reason excluded, the output file's SHA-256,
never a person or a score — and only after that commits gives the folder its final name, as a
release does (`hogo.release.publish`). The run's row (`hogo.store.profiles`) is written in the
same transaction as the ledger entry.

Erasure (法35条) reaches the outputs hogo keeps: `forget` (called by `hogo.services.erasure`)
rewrites each stored output without the erased person's rows, updates the digest recorded for
the file and appends a `processing` entry saying how many rows left which run — never whose.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from hogo.config import Settings
from hogo.domain.clock import JST
from hogo.domain.ledger import EntryKind
from hogo.eligibility import ConsentSource
from hogo.engines import SqlEngine
from hogo.errors import Conflict
from hogo.files.digest import sha256_file
from hogo.profiling.plan import ProfilePlan, plan_profile
from hogo.profiling.run import OUTPUT, PreparedProfile, Step, prepare_profile
from hogo.profiling.spec import ProfileSpec, parse_profile_spec
from hogo.release.publish import FILE_MODE, seal, write_manifest
from hogo.release.run import read_output
from hogo.release.spec import SpecPaths
from hogo.services import ledger, runs
from hogo.services.binding import require_reconciled
from hogo.services.policy import require_policy, revision_in_force
from hogo.store.database import write_scope
from hogo.store.export import StoreConsent
from hogo.store.profiles import ProfileRunRow, mark_done
from hogo.store.rows import stored
from hogo.store.snapshot import open_snapshot
from hogo.store.tables import DONE, FAILED, RUNNING

log = logging.getLogger(__name__)


def _accept(session: Session, spec: ProfileSpec, now: datetime | None) -> ProfilePlan:
    """Plan the job before any data is read, and write its `running` row (an id is used once;
    a failed run's id may be run again)."""
    row = session.get(ProfileRunRow, spec.id)
    if row is not None and row.status != FAILED:
        raise Conflict("このプロファイルIDは既に使われています。", "this profile id is already in use.")
    plan = plan_profile(spec, require_policy(session), now or datetime.now(JST))
    if row is None:
        row = ProfileRunRow(profile_id=spec.id, rows_erased=0)
        session.add(row)
    row.purpose, row.status, row.run_at = spec.purpose, RUNNING, plan.at
    row.started_at, row.finished_at, row.error = datetime.now(UTC), None, None
    row.directory, row.output_file = str(plan.directory), OUTPUT[spec.output.format]
    row.runner = runs.runner()
    session.flush()
    return plan


def run_profile(
    db: Engine, spec: ProfileSpec, step: Step | None = None, *, now: datetime | None = None
) -> runs.RecordedRun:
    """Plan the job under the policy in force, run it, record it, publish its folder (foreground:
    `hogo profile run`); a failure is recorded on the run's row."""
    recover_interrupted(db)
    with write_scope(db) as session:
        plan = _accept(session, spec, now)
    return _execute(db, plan, step)


def start_profile(session: Session, db: Engine, spec: ProfileSpec) -> str:
    """Accept the job in the caller's transaction; it runs in a thread once that commits
    (`POST /api/v1/profiles`). The thread is not a daemon: a stopping server waits for it."""
    plan = _accept(session, spec, None)
    runs.run_after_commit(session, f"profile-{spec.id}", lambda: _execute(db, plan))
    return spec.id


def _execute(db: Engine, plan: ProfilePlan, step: Step | None = None) -> runs.RecordedRun:
    spec = plan.spec

    def prepare(engine: SqlEngine, work: Path) -> PreparedProfile:
        with write_scope(db) as session:
            require_reconciled(session)  # the tables the decisions read agree with the ledger
        snapshot = spec.consent_snapshot
        consent: ConsentSource = open_snapshot(snapshot, db) if snapshot else StoreConsent(db)
        return prepare_profile(plan, consent, engine, work, step)

    def record(session: Session, prepared: PreparedProfile, work: Path) -> dict[str, Any]:
        return _record(session, plan, prepared, work)

    with runs.failure_recorded(db, ProfileRunRow, spec.id, "profile job"):
        prepared, manifest = runs.run_staged(db, plan.directory, spec.engine, prepare, record)
    return runs.RecordedRun(spec.id, plan.directory, prepared.counts, manifest)


def recover_interrupted(db: Engine) -> list[str]:
    """Settle profile jobs whose process stopped mid-run (`hogo.services.runs.settle_stopped`);
    returns the ids marked failed."""
    return runs.settle_stopped(db, ProfileRunRow, "profile_id", "profile")


def wait_for(db: Engine, profile_id: str, timeout: float = 60.0) -> ProfileInfo:
    """Poll until a run is no longer running (for tests and scripts)."""
    return runs.settled(db, lambda session: get_profile(session, profile_id), timeout)


def _record(session: Session, plan: ProfilePlan, prepared: PreparedProfile, work: Path) -> dict[str, Any]:
    """The ledger entry and the manifest, in the caller's write transaction."""
    revision = revision_in_force(session, plan.at)
    manifest: dict[str, Any] = {
        "profile_id": plan.spec.id,
        "purpose": plan.spec.purpose,
        "at": plan.at.isoformat(),
        "policy": {
            "revision": revision.revision if revision else None,
            "sha256": revision.sha256 if revision else None,
        },
        "ledger_head": ledger.head(session).seq,
        "counts": prepared.counts,
        **prepared.manifest,
        "files": {p.name: sha256_file(p) for p in sorted(work.iterdir())},
    }
    manifest["ledger_seq"] = ledger.append(session, EntryKind.processing, f"profile:{plan.spec.id}", manifest)
    mark_done(session, plan.spec.id, OUTPUT[plan.spec.output.format], manifest)
    write_manifest(work, manifest)
    seal(work)
    return manifest


def submitted_profile_spec(data: Any, settings: Settings) -> ProfileSpec:
    """A job sent over the API: inputs confined to HOGO_INPUT_DIR, the output to the releases root."""
    return parse_profile_spec(data, SpecPaths.submitted(settings.inputs_root, settings.releases_root), "body")


@dataclass(frozen=True)
class ProfileInfo:
    """A recorded run, as the store keeps it (counts and digests, no person)."""

    profile_id: str
    purpose: str
    status: str  # running | done | failed
    run_at: datetime
    started_at: datetime
    finished_at: datetime | None
    directory: str
    output_file: str
    output_sha256: str | None
    profiled: int | None
    rows_erased: int
    ledger_seq: int | None
    manifest: dict[str, Any]
    error: str | None

    @property
    def counts(self) -> dict[str, int]:
        return runs.manifest_counts(self.manifest)

    @property
    def output_path(self) -> Path:
        return Path(self.directory) / self.output_file


def list_profiles(session: Session, limit: int = 200) -> list[ProfileInfo]:
    """Recorded runs, newest first."""
    return [runs.run_view(ProfileInfo, r) for r in runs.newest_runs(session, ProfileRunRow, limit)]


def get_profile(session: Session, profile_id: str) -> ProfileInfo:
    missing = ("そのプロファイルは記録されていません。", "no such profile run.")
    return runs.run_view(ProfileInfo, stored(session, ProfileRunRow, profile_id, *missing))


def forget(session: Session, subject_id: str) -> int:
    """Remove ``subject_id``'s rows from every stored profile output (法35条), in the caller's
    transaction; returns how many runs held the person.

    Each output that holds the person is rewritten without their rows into a private file beside
    it; the run's row takes the new file's digest and one `processing` entry (ref `profile:ID`)
    records how many rows were removed and the new digest — never whose rows. The new file
    replaces the old only once the transaction commits (and is removed if it rolls back), so
    the file and its recorded digest agree. An output that is gone (moved or deleted) is left.
    """
    touched = 0
    done = select(ProfileRunRow).where(ProfileRunRow.status == DONE).order_by(ProfileRunRow.profile_id)
    for row in session.scalars(done):
        path = Path(row.directory) / row.output_file
        if not path.is_file():
            continue
        table = read_output(path)
        keep = pc.not_equal(table["subject_id"], pa.scalar(subject_id, pa.string()))
        kept = table.filter(pc.fill_null(keep, True))
        removed = table.num_rows - kept.num_rows
        if removed == 0:
            continue
        pending = path.with_name(f".{path.name}.erasing")
        _write_output(kept, pending)
        row.output_sha256 = sha256_file(pending)
        row.rows_erased += removed
        payload = {"profile_id": row.profile_id, "erasure": {"rows_removed": removed},
                   "files": {row.output_file: row.output_sha256}}  # fmt: skip
        ledger.append(session, EntryKind.processing, f"profile:{row.profile_id}", payload)
        _replace_on_commit(session, pending, path)
        touched += 1
    session.flush()
    return touched


def _write_output(table: pa.Table, path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    if path.name.endswith(".parquet.erasing"):
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)


def _replace_on_commit(session: Session, pending: Path, target: Path) -> None:
    def replace(_session: Session) -> None:
        if pending.exists():
            os.replace(pending, target)

    def drop(_session: Session) -> None:
        pending.unlink(missing_ok=True)

    event.listen(session, "after_commit", replace, once=True)
    event.listen(session, "after_rollback", drop, once=True)
