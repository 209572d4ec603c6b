"""個人関連情報 segment exports (法31条) as a use case: confirm, export, record, publish.

The pipeline (`hogo.segments`) reads no store and records nothing. This module plans the export
under the policy in force (`plan_segments`: the recipient, whether it is abroad, the items'
categories) and writes the `running` row; reads the recipient's confirmation file whole and
refuses it on any malformed or repeated row before any data is read or written; runs the pipeline
in a private folder; then, in one write transaction, appends the export's ledger entry (counts,
results, digests and the token key's fingerprint — never an identifier) and writes the
confirmation records (法31条3項) with their retention ends, and marks the export `done`; only
after that commits does the folder take its final name (`hogo.release.publish`), as a release's.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from hogo.config import Settings
from hogo.domain.binding import plain
from hogo.domain.clock import JST, as_aware
from hogo.domain.ledger import EntryKind
from hogo.domain.model import Frozen
from hogo.domain.provision import retention_until
from hogo.engines import SqlEngine
from hogo.errors import Conflict
from hogo.files.digest import sha256_file
from hogo.matching.tokens import load_key
from hogo.release.publish import seal, write_manifest
from hogo.release.spec import SpecPaths
from hogo.segments.confirmations import read_confirmations
from hogo.segments.export import OUTPUT, PreparedSegments, SegmentPlan, Step, plan_segments, prepare_segments
from hogo.segments.spec import SegmentSpec, parse_segment_spec
from hogo.services import ledger, runs
from hogo.services.policy import require_policy, revision_in_force
from hogo.store.database import write_scope
from hogo.store.rows import stored, view_of
from hogo.store.segments import RelatedInfoConfirmationRow, SegmentExportRow
from hogo.store.tables import DONE, FAILED, RUNNING

log = logging.getLogger(__name__)
_CHUNK = 10_000


@dataclass(frozen=True)
class ExportInfo:
    """A segment export as the store keeps it (counts, results and digests; no identifier)."""

    export_id: str
    recipient_id: str
    identifier_kind: str
    status: str  # running | done | failed
    at: datetime
    started_at: datetime
    finished_at: datetime | None
    directory: str
    output_file: str
    ledger_seq: int | None
    manifest: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return runs.manifest_counts(self.manifest)


class ConfirmationRecord(Frozen):
    """One confirmation record (法31条3項): an identifier by its keyed token only; the API's
    output derives from it."""

    export_id: str
    identifier_token: str
    identifier_kind: str
    recipient_id: str
    recipient_name: str
    items: list[str]
    consent_obtained_at: datetime
    method: str
    foreign_info_given: bool | None
    result: str
    confirmed_at: datetime
    record_form: str
    retention_until: date
    ledger_seq: int


def submitted_segment_spec(data: Any, settings: Settings) -> SegmentSpec:
    """A spec sent over the API: paths confined to the data and releases folders."""
    return parse_segment_spec(data, SpecPaths.submitted(settings.inputs_root, settings.releases_root), "body")


def _accept(session: Session, spec: SegmentSpec, now: datetime | None) -> SegmentPlan:
    """Plan the export before any data is read and write its `running` row (an id is used once;
    a failed export's id may be used again)."""
    row = session.get(SegmentExportRow, spec.id)
    if row is not None and row.status != FAILED:
        raise Conflict("このエクスポートIDは既に使われています。", "this export id is already in use.")
    at = as_aware(spec.at) if spec.at else (now or datetime.now(JST))
    plan = plan_segments(spec, require_policy(session, at), at)
    if row is None:
        row = SegmentExportRow(export_id=spec.id)
        session.add(row)
    row.recipient_id, row.identifier_kind, row.status = spec.recipient, spec.identifier_kind.value, RUNNING
    row.at, row.started_at, row.finished_at, row.error = plan.at, datetime.now(UTC), None, None
    row.directory, row.output_file = str(plan.directory), OUTPUT[spec.output.format]
    row.runner, row.manifest, row.ledger_seq = runs.runner(), None, None
    session.flush()
    return plan


def export_now(
    db: Engine, spec: SegmentSpec, step: Step | None = None, *, now: datetime | None = None
) -> runs.RecordedRun:
    """Accept, run, record and publish an export in the foreground (`hogo segment export`)."""
    recover_interrupted(db)
    with write_scope(db) as session:
        plan = _accept(session, spec, now)
    return _execute(db, plan, step)


def start_export(session: Session, db: Engine, spec: SegmentSpec) -> str:
    """Accept in the caller's transaction; the export runs in a thread once that commits (the API)."""
    plan = _accept(session, spec, None)
    runs.run_after_commit(session, f"segment-{spec.id}", lambda: _execute(db, plan))
    return spec.id


def wait_for(db: Engine, export_id: str, timeout: float = 60.0) -> ExportInfo:
    """Poll until an export is no longer running (for tests and scripts)."""
    return runs.settled(db, lambda session: get_export(session, export_id), timeout)


def _execute(db: Engine, plan: SegmentPlan, step: Step | None = None) -> runs.RecordedRun:
    spec = plan.spec
    with runs.failure_recorded(db, SegmentExportRow, spec.id, "segment export"):
        # The confirmations and the key first: a file that cannot confirm stops everything.
        confirmations = read_confirmations(spec.confirmations.path)
        key = load_key(spec.token_key_file, file_hint="token_key_file")

        def prepare(engine: SqlEngine, work: Path) -> PreparedSegments:
            prepared = prepare_segments(plan, confirmations, key, engine, work, step)
            prepared.manifest["token_key"] = key.fingerprint
            return prepared

        def record(session: Session, prepared: PreparedSegments, work: Path) -> dict[str, Any]:
            return _record(session, plan, prepared, work)

        prepared, manifest = runs.run_staged(db, plan.directory, spec.engine, prepare, record)
    return runs.RecordedRun(spec.id, plan.directory, prepared.counts, manifest)


#: The columns of a confirmation record the ledger seals (all but the export id and entry number).
SEALED = (
    "identifier_token", "identifier_kind", "recipient_id", "recipient_name", "items", "consent_obtained_at",
    "method", "foreign_info_given", "result", "confirmed_at", "record_form", "retention_until",
)  # fmt: skip
#: The ref of every purge entry (`related_info_purge`, `hogo.services.segment_purge`): few, so the
#: seal of an export's records is found through the ref's index.
PURGE_REF = "segment-records:purge"


def records_digest(rows: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 over the records' canonical lines, sorted: the ledger entry seals the records by it,
    so a record changed, added or removed afterwards is found (`records_intact`)."""
    lines = sorted(
        json.dumps([plain(r[c]) for c in SEALED], ensure_ascii=False, separators=(",", ":")) for r in rows
    )
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()


def records_seal(session: Session, info: ExportInfo) -> dict[str, Any] | None:
    """What the ledger last sealed of an export's records (count and `records_digest`): its
    provision entry's `confirmation_records`, or, once a purge removed some, what the latest purge
    left (`remaining`). None for an export that recorded nothing."""
    entry = ledger.entry(session, info.ledger_seq) if info.ledger_seq is not None else None
    if entry is None:
        return None
    sealed: dict[str, Any] = entry.payload().get("confirmation_records", {})
    for purge in ledger.entries_for(session, PURGE_REF):
        if purge.seq > entry.seq and purge.kind == EntryKind.related_info_purge.value:
            sealed = purge.payload().get("exports", {}).get(info.export_id, {}).get("remaining", sealed)
    return sealed


def stored_records(session: Session, export_id: str) -> list[dict[str, Any]]:
    """An export's confirmation records as the seal covers them (the `SEALED` columns)."""
    table = RelatedInfoConfirmationRow.__table__
    stmt = select(*(table.c[c] for c in SEALED)).where(table.c.export_id == export_id)
    return [dict(r) for r in session.execute(stmt).mappings()]


def seal_holds(sealed: Mapping[str, Any] | None, rows: list[dict[str, Any]]) -> bool:
    return (
        sealed is not None
        and sealed.get("rows") == len(rows)
        and sealed.get("sha256") == records_digest(rows)
    )


def records_intact(session: Session, export_id: str) -> bool:
    """Do the stored confirmation records of an export still match what the ledger last sealed?"""
    info = get_export(session, export_id)
    return seal_holds(records_seal(session, info), stored_records(session, export_id))


def _record(session: Session, plan: SegmentPlan, prepared: PreparedSegments, work: Path) -> dict[str, Any]:
    """Ledger entry, confirmation records and the `done` row in the caller's write transaction."""
    spec, revision = plan.spec, revision_in_force(session, plan.at)
    keep_until = retention_until(plan.at, spec.record_form)
    items = json.dumps(list(spec.items), ensure_ascii=False)
    rows: list[dict[str, Any]] = [
        {"export_id": spec.id, "identifier_token": c.token, "identifier_kind": spec.identifier_kind.value,
         "recipient_id": plan.recipient.id, "recipient_name": plan.recipient.name, "items": items,
         "consent_obtained_at": c.confirmation.consent_obtained_at, "method": c.confirmation.method,
         "foreign_info_given": c.confirmation.foreign_info_given, "result": c.result,
         "confirmed_at": plan.at, "record_form": spec.record_form.value, "retention_until": keep_until}
        for c in prepared.checked
    ]  # fmt: skip
    manifest: dict[str, Any] = {
        "export_id": spec.id,
        "recipient": {"id": plan.recipient.id, "name": plan.recipient.name,
                      "country": plan.recipient.country},
        "at": plan.at.isoformat(),
        "policy": {"revision": revision.revision if revision else None,
                   "sha256": revision.sha256 if revision else None},
        **prepared.manifest,
        "counts": prepared.counts,
        "confirmation_records": {"rows": len(rows), "sha256": records_digest(rows),
                                 "record_form": spec.record_form.value,
                                 "retention_until": keep_until.isoformat()},
        "files": {p.name: sha256_file(p) for p in sorted(work.iterdir())},
    }  # fmt: skip
    seq = ledger.append(session, EntryKind.related_info_provision, f"segment:{spec.id}", manifest)
    manifest["ledger_seq"] = seq
    for r in rows:
        r["ledger_seq"] = seq
    row = stored(session, SegmentExportRow, spec.id, "そのエクスポートはありません。", "no such export.")
    row.status, row.finished_at, row.ledger_seq = DONE, datetime.now(UTC), seq
    row.manifest = json.dumps(manifest, ensure_ascii=False, default=str)
    session.flush()
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(RelatedInfoConfirmationRow), rows[start : start + _CHUNK])
    write_manifest(work, manifest)
    seal(work)
    return manifest


def recover_interrupted(db: Engine) -> list[str]:
    """Settle segment exports whose process stopped mid-run (`hogo.services.runs.settle_stopped`);
    returns the ids marked failed."""
    return runs.settle_stopped(db, SegmentExportRow, "export_id", "segment export")


def list_exports(session: Session, limit: int = 200) -> list[ExportInfo]:
    """Newest first."""
    return [runs.run_view(ExportInfo, r) for r in runs.newest_runs(session, SegmentExportRow, limit)]


def get_export(session: Session, export_id: str) -> ExportInfo:
    missing = ("そのエクスポートは記録されていません。", "no such export.")
    return runs.run_view(ExportInfo, stored(session, SegmentExportRow, export_id, *missing))


def confirmation_records(
    session: Session, *, recipient: str | None = None, export_id: str | None = None, limit: int = 1000
) -> list[ConfirmationRecord]:
    """Confirmation records (法31条3項), newest first; by recipient or export when given."""
    stmt = select(RelatedInfoConfirmationRow)
    if recipient is not None:
        stmt = stmt.where(RelatedInfoConfirmationRow.recipient_id == recipient)
    if export_id is not None:
        stmt = stmt.where(RelatedInfoConfirmationRow.export_id == export_id)
    stmt = stmt.order_by(
        RelatedInfoConfirmationRow.confirmed_at.desc(), RelatedInfoConfirmationRow.export_id,
        RelatedInfoConfirmationRow.identifier_token,
    ).limit(limit)  # fmt: skip
    return [view_of(ConfirmationRecord, r, items=json.loads(r.items)) for r in session.scalars(stmt)]
