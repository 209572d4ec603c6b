"""Purging 個人関連情報 confirmation records (法31条3項) whose retention has ended.

Why: 法31条3項 applies 法30条3項・4項 — the provider keeps each confirmation record for the period
the rules set (3 years; 1 year where a contract stands in), and no longer than it needs them. A
record's retention end is written with it (`retention_until`) and sealed, with the rest of the
record, in its export's ledger entry (`related_info_provision`).

One purge is one write transaction: the records whose retention ended before the given day (today
in Japan by default; a later day is refused, so no record is purged before its end) are deleted,
and one `related_info_purge` entry says, per export, how many went and the digests of what went
and of what remains — counts and digests, never an identifier. What remains is what
`records_intact` checks from then on (`segments.records_seal`), so the seal still holds after a
purge. An export whose records no longer match their seal is refused rather than purged: sealing
the rest afresh would hide the change. The records are not bound rows (`domain.binding`), so the
running tallies and `hogo ledger verify` are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hogo.domain.clock import JST
from hogo.domain.ledger import EntryKind
from hogo.domain.related_info import retention_ended
from hogo.errors import Conflict, InputError
from hogo.services import ledger
from hogo.services.segments import (
    PURGE_REF,
    get_export,
    records_digest,
    records_seal,
    seal_holds,
    stored_records,
)
from hogo.store.segments import RelatedInfoConfirmationRow


@dataclass(frozen=True)
class PurgedExport:
    """One export's records in a purge: how many go and how many stay (no identifier)."""

    export_id: str
    recipient_id: str
    #: The export's retention end as its ledger entry sealed it.
    retention_until: date | None
    purged: int
    kept: int


@dataclass(frozen=True)
class Purge:
    """A purge (or, with ``dry_run``, what one would remove): the day, the exports, the entry."""

    before: date
    dry_run: bool
    exports: list[PurgedExport] = field(default_factory=list)
    ledger_seq: int | None = None

    @property
    def purged(self) -> int:
        return sum(e.purged for e in self.exports)


def purge_day(before: date | None, today: date | None = None) -> date:
    """The day before which retention must have ended: today in Japan unless given; never later."""
    today = today or datetime.now(JST).date()
    if before is None:
        return today
    if before > today:
        raise InputError(
            "今日より後の日は指定できません。保存期間の終わっていない確認記録は削除しません(法31条3項)。",
            "the day may not be after today: records whose retention has not ended are never purged.",
            field="before",
        )
    return before


def _sealed_end(sealed: dict[str, Any]) -> date | None:
    end = sealed.get("retention_until")
    return date.fromisoformat(end) if isinstance(end, str) else None


def _plan(session: Session, export_id: str, day: date) -> tuple[PurgedExport, dict[str, Any]]:
    """One export's share of the purge and what the purge entry says of it."""
    info = get_export(session, export_id)
    sealed, rows = records_seal(session, info), stored_records(session, export_id)
    if not seal_holds(sealed, rows):
        raise Conflict(
            f"提供 {export_id} の確認記録が台帳の記録と一致しないため、削除しません。",
            f"the confirmation records of export {export_id} do not match the ledger; nothing purged.",
        )
    # the export's own end, from its provision entry (a purge's `remaining` does not repeat it)
    first = ledger.entry(session, info.ledger_seq) if info.ledger_seq is not None else None
    export_end = _sealed_end(first.payload().get("confirmation_records", {})) if first else None
    ends = (export_end,) if export_end is not None else ()
    gone = [r for r in rows if retention_ended(day, r["retention_until"], *ends)]
    kept = [r for r in rows if not retention_ended(day, r["retention_until"], *ends)]
    part = PurgedExport(export_id, info.recipient_id, export_end, len(gone), len(kept))
    said = {
        "recipient_id": info.recipient_id,
        "retention_until": export_end.isoformat() if export_end else None,
        "rows_removed": len(gone),
        "removed_sha256": records_digest(gone),
        "remaining": {"rows": len(kept), "sha256": records_digest(kept)},
    }
    return part, said


def purge_records(
    session: Session, before: date | None = None, *, dry_run: bool = False, today: date | None = None
) -> Purge:
    """Delete, in the caller's write transaction, the confirmation records whose retention ended
    before ``before`` (today in Japan by default) and append one `related_info_purge` entry;
    with ``dry_run`` only say what would go. Nothing to purge records nothing."""
    day = purge_day(before, today)
    if not dry_run:
        ledger.lock_head(session)  # the records and the seals cannot change until the entry is written
    t = RelatedInfoConfirmationRow
    due = session.scalars(
        select(t.export_id).where(t.retention_until < day).distinct().order_by(t.export_id)
    ).all()
    parts: list[PurgedExport] = []
    said: dict[str, dict[str, Any]] = {}
    for export_id in due:
        part, entry = _plan(session, export_id, day)
        if part.purged:
            parts.append(part)
            said[export_id] = entry
    if dry_run or not parts:
        return Purge(day, dry_run, parts)
    for part in parts:
        session.execute(delete(t).where(t.export_id == part.export_id, t.retention_until < day))
    payload = {
        "article": "法31条3項(法30条3項・4項)",
        "before": day.isoformat(),
        "rows_removed": sum(p.purged for p in parts),
        "exports": said,
    }
    seq = ledger.append(session, EntryKind.related_info_purge, PURGE_REF, payload)
    return Purge(day, False, parts, seq)
