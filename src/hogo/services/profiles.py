"""Profile jobs as a use case: plan, run, seal in the ledger, publish the folder.

The pipeline (`hogo.profiling`) reads no store and records nothing. This module gives it the
policy, the consent source (the store, or the spec's snapshot), a data engine and a private work
folder; checks first that the tables it reads agree with the ledger; then appends one
`processing` entry whose payload is the job's manifest — policy revision, ledger head, feature
definitions and their hash, counts by basis and by reason excluded, the output file's SHA-256,
never a person or a score — and only after that commits gives the folder its final name, as a
release does (`hogo.release.publish`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hogo.config import load_settings
from hogo.domain.clock import JST
from hogo.domain.ledger import EntryKind
from hogo.eligibility import ConsentSource
from hogo.engines import get_engine
from hogo.files.digest import sha256_file
from hogo.profiling.plan import ProfilePlan, plan_profile
from hogo.profiling.run import PreparedProfile, Step, prepare_profile
from hogo.profiling.spec import ProfileSpec
from hogo.release.publish import seal, staged, write_manifest
from hogo.services import ledger
from hogo.services.binding import require_reconciled
from hogo.services.policy import require_policy, revision_in_force
from hogo.store.database import write_scope
from hogo.store.export import StoreConsent
from hogo.store.snapshot import open_snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedProfile:
    profile_id: str
    directory: Path
    counts: dict[str, int]
    manifest: dict[str, Any]


def run_profile(
    db: Engine, spec: ProfileSpec, step: Step | None = None, *, now: datetime | None = None
) -> RecordedProfile:
    """Plan the job under the policy in force, run it, record it, publish its folder."""
    with write_scope(db) as session:
        plan = plan_profile(spec, require_policy(session), now or datetime.now(JST))
        require_reconciled(session)  # the tables the decisions read agree with the ledger
    settings = load_settings()
    try:
        with staged(plan.directory) as stage:
            engine = get_engine(
                spec.engine or settings.engine,
                memory_limit=settings.engine_memory_limit,
                temp_directory=stage.spill,
            )
            try:
                snapshot = spec.consent_snapshot
                consent: ConsentSource = open_snapshot(snapshot, db) if snapshot else StoreConsent(db)
                prepared = prepare_profile(plan, consent, engine, stage.work, step)
                with write_scope(db) as session:
                    manifest = _record(session, plan, prepared, stage.work)
                stage.publish()
            finally:
                engine.close()
    except BaseException as exc:
        log.warning("profile job %s failed: %s", spec.id, type(exc).__name__)
        raise
    return RecordedProfile(spec.id, plan.directory, prepared.counts, manifest)


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
    write_manifest(work, manifest)
    seal(work)
    return manifest
