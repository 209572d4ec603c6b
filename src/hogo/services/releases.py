"""Releases as use cases: start one (in the background or in the foreground), list and read them.

A release is accepted by planning it (`hogo.release.plan`: its id, folder and lawfulness, judged
once) and writing a `running` row. The data work is the pipeline's (`hogo.release.run`), which
reads no store and records nothing; this module gives it the policy, the consent source, a data
engine chosen by the spec or HOGO_ENGINE and a private work folder, then records what it returns
— the 法29条 provision record for personal data, the ledger entry, the `done` row — in one write
transaction, and only after that commits gives the folder its final name
(`hogo.release.publish`). A failure turns the row `failed` with a message that names no personal
data (HogoError texts name fields and rows only; anything else is recorded by its type) and
removes the partial output, so a failed release leaves neither files nor records behind.

The background run starts only after the accepting transaction commits, so the row it updates is
always there; on SQLite that also keeps the run from waiting on the request's write lock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hogo.config import Settings
from hogo.domain.clock import JST, as_aware
from hogo.domain.ledger import EntryKind
from hogo.domain.provision import ReleaseMode
from hogo.eligibility import ConsentSource
from hogo.engines import SqlEngine
from hogo.errors import Conflict, InputError, NotFound
from hogo.files.digest import sha256_file
from hogo.release import publish as publication
from hogo.release.plan import ProfileInput, ReleasePlan, plan_release
from hogo.release.publish import seal, write_manifest
from hogo.release.run import PreparedRelease, Step, prepare_release, quiet
from hogo.release.spec import ReleaseSpec, SpecPaths, parse_spec
from hogo.services import ledger, runs
from hogo.services.binding import require_reconciled
from hogo.services.policy import require_policy, revision_in_force
from hogo.services.provisions import record_provision
from hogo.store.database import write_scope
from hogo.store.export import StoreConsent
from hogo.store.profiles import ProfileRunRow
from hogo.store.releases import ReleaseRow, mark_done
from hogo.store.rows import stored
from hogo.store.snapshot import ConsentFiles, open_snapshot
from hogo.store.tables import DONE, FAILED, RUNNING

log = logging.getLogger(__name__)
_Prepared = TypeVar("_Prepared")

MANIFEST = publication.MANIFEST


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
        return runs.manifest_counts(self.manifest)

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
    return runs.run_view(ReleaseInfo, row, mode=ReleaseMode(row.mode))


def list_releases(session: Session, limit: int = 200) -> list[ReleaseInfo]:
    """Newest first."""
    return [_info(r) for r in runs.newest_runs(session, ReleaseRow, limit)]


def get_release(session: Session, release_id: str) -> ReleaseInfo:
    row = stored(session, ReleaseRow, release_id, "その提供は記録されていません。", "no such release.")
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


def _accept(session: Session, spec: ReleaseSpec) -> ReleasePlan:
    """Plan the release before any data is read, and write its `running` row.

    The plan fixes the id, so the caller can name the release before it runs.
    """
    at = as_aware(spec.at) if spec.at else datetime.now(JST)
    plan = plan_release(spec, require_policy(session, at), at)
    if spec.output.profile_items:
        plan = replace(plan, profiles=_profile_inputs(session, plan))
    row = session.get(ReleaseRow, plan.release_id)
    if row is not None and row.status != FAILED:
        raise Conflict("この提供IDは既に使われています。", "this release id is already in use.")
    if row is None:
        row = ReleaseRow(release_id=plan.release_id)
        session.add(row)
    row.mode, row.purpose, row.recipient = spec.mode.value, spec.purpose, spec.recipient
    row.status, row.started_at, row.finished_at = RUNNING, datetime.now(UTC), None
    row.runner = runs.runner()
    row.directory, row.manifest, row.error = str(plan.directory), None, None
    session.flush()
    return plan


def _profile_inputs(session: Session, plan: ReleasePlan) -> dict[str, ProfileInput]:
    """The recorded profile runs the release's `profile:` items name, each checked: the run is
    done, has the feature, and the item's data category is one its profiling purpose declares (the
    release purpose must cover it too, `hogo.release.plan`)."""
    found: dict[str, ProfileInput] = {}
    for item, (job_id, feature) in plan.spec.output.profile_items.items():
        where = f"output.items.{item}"
        row = session.get(ProfileRunRow, job_id)
        if row is None or row.status != DONE or row.manifest is None or row.output_sha256 is None:
            raise InputError(
                "そのプロファイルは記録されていません。", "no such recorded profile run.", field=where
            )
        manifest = json.loads(row.manifest)
        columns = [*manifest.get("features", []), *manifest.get("scores", [])]
        if feature not in {c.get("name") for c in columns}:
            missing = (
                "そのプロファイルにこの特徴量・スコアはありません。",
                "the profile run has no such feature or score.",
            )
            raise InputError(*missing, field=where)
        profiling = plan.policy.purpose(row.purpose)
        if profiling is None or plan.spec.output.items[item] not in profiling.data_categories:
            raise InputError(
                "プロファイルの項目は、そのプロファイリングの利用目的のデータ区分として指定してください。",
                "a profile item's data category must be one its profiling purpose declares.",
                field=where,
            )
        path = Path(row.directory) / row.output_file
        found[job_id] = ProfileInput(job_id, row.purpose, path, row.output_sha256)
    return found


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
            if row.status == RUNNING and (row.runner is None or runs.alive(row.runner)):
                continue
            if row.status == RUNNING:
                row.status, row.finished_at = FAILED, datetime.now(UTC)
                row.error = runs.STOPPED
                recovered.append(row.release_id)
            if not ledger.entries_for(session, f"release:{row.release_id}"):
                publication.discard(Path(row.directory), row.release_id)
        done = session.scalars(select(ReleaseRow).where(ReleaseRow.status == DONE)).all()
        for row in done:
            if (
                row.runner is not None
                and not runs.alive(row.runner)
                and publication.finish(Path(row.directory), row.release_id)
            ):
                log.warning(
                    "release %s was recorded before its process stopped; folder completed", row.release_id
                )
    for release_id in recovered:
        log.warning("release %s was interrupted; marked as failed", release_id)
    return recovered


@dataclass(frozen=True)
class RecordedRelease:
    """A release that ran, was recorded and took its folder."""

    release_id: str
    mode: ReleaseMode
    directory: Path
    counts: dict[str, int]
    manifest: dict[str, Any]


def _execute(
    store: Engine, plan: ReleasePlan, step: Step | None = None, consent: ConsentSource | None = None
) -> RecordedRelease:
    with runs.failure_recorded(store, ReleaseRow, plan.release_id, "release"):
        return _run(store, plan, step or quiet, consent)


def _run(store: Engine, plan: ReleasePlan, step: Step, consent: ConsentSource | None) -> RecordedRelease:
    def prepare(engine: SqlEngine, work: Path) -> tuple[PreparedRelease, ConsentSource]:
        with write_scope(store) as session:
            require_reconciled(session)  # the tables read below agree with the ledger
        source = consent
        if source is None:
            snapshot = plan.spec.consent_snapshot
            source = open_snapshot(snapshot, store) if snapshot is not None else StoreConsent(store)
        return prepare_release(plan, source, engine, work, step), source

    def record(session: Session, done: tuple[PreparedRelease, ConsentSource], work: Path) -> dict[str, Any]:
        step("記録中 / recording")
        return _record(session, plan, done[0], done[1], work)

    (prepared, _), manifest = runs.run_staged(store, plan.directory, plan.spec.engine, prepare, record)
    return RecordedRelease(plan.release_id, plan.spec.mode, plan.directory, prepared.counts, manifest)


def _record(
    session: Session, plan: ReleasePlan, prepared: PreparedRelease, consent: ConsentSource, work: Path
) -> dict[str, Any]:
    """Record a prepared release in the caller's write transaction; returns its full manifest.

    The 法29条 provision record (personal data), the ledger entry and the `done` row commit
    together, and the manifest is written into the work folder inside the same transaction so a
    folder holding a manifest exists only for a release being recorded.
    """
    spec, manifest = plan.spec, dict(prepared.manifest)
    if isinstance(consent, ConsentFiles):
        info = consent.info
        manifest["consent_snapshot"] = {"ledger_seq": info.ledger_seq, "created_at": info.created_at}
    revision = revision_in_force(session, plan.at)
    manifest.update(
        {
            "release_id": plan.release_id,
            "mode": spec.mode.value,
            "purpose": spec.purpose,
            "recipient": spec.recipient,
            "at": plan.at.isoformat(),
            "policy": {
                "revision": revision.revision if revision else None,
                "sha256": revision.sha256 if revision else None,
            },
            "counts": prepared.counts,
        }
    )
    if spec.mode is ReleaseMode.personal:
        record = record_provision(
            session,
            plan.policy,
            provision_id=plan.release_id,
            mode=spec.mode,
            purpose_id=spec.purpose,
            recipient_id=spec.recipient,
            provided_at=plan.at,
            data_items=spec.output.data_items,
            persons=prepared.persons,
        )
        manifest["provision_record"] = record.model_dump(mode="json")
    manifest["files"] = {p.name: sha256_file(p) for p in sorted(work.iterdir())}
    seq = ledger.append(session, EntryKind.processing, f"release:{plan.release_id}",
                        {k: v for k, v in manifest.items() if k != "match"})  # fmt: skip
    manifest["ledger_seq"] = seq
    mark_done(session, release_id=plan.release_id, mode=spec.mode.value, purpose=spec.purpose,
              recipient=spec.recipient, directory=str(plan.directory), manifest=manifest)  # fmt: skip
    write_manifest(work, manifest)
    seal(work)
    return manifest


def start_release(session: Session, store: Engine, spec: ReleaseSpec) -> str:
    """Accept the release in the caller's transaction; it runs in a thread once that commits."""
    plan = _accept(session, spec)
    runs.run_after_commit(session, f"release-{plan.release_id}", lambda: _execute(store, plan))
    return plan.release_id


def run_now(
    store: Engine, spec: ReleaseSpec, step: Step | None = None, *, consent: ConsentSource | None = None
) -> RecordedRelease:
    """Accept and run a release in the foreground (`hogo release run`); failures are recorded.

    ``consent`` may supply the consent data already read from this store (benchmarks); by default
    it is streamed from the store, or read from the spec's consent snapshot.
    """
    recover_interrupted(store)
    with write_scope(store) as session:
        plan = _accept(session, spec)
    return _execute(store, plan, step, consent)


def wait_for(store: Engine, release_id: str, timeout: float = 60.0) -> ReleaseInfo:
    """Poll until a release is no longer running (for tests and scripts)."""
    return runs.settled(store, lambda session: get_release(session, release_id), timeout)
