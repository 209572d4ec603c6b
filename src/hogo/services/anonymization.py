"""Record an anonymised release (匿名加工情報の作成) in the tamper-evident ledger.

Why a service: the anonymisation core writes files and returns a manifest but never touches the
database of record; the caller's session owns the transaction, as everywhere in hogo.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hogo.anonymization.manifest import ReleaseManifest
from hogo.domain.ledger import EntryKind
from hogo.services import ledger


def record_release(session: Session, manifest: ReleaseManifest) -> int:
    """Append one ``processing`` entry carrying the manifest; returns the ledger sequence number."""
    ref = f"anonymized:{manifest.output or manifest.source}"
    return ledger.append(session, EntryKind.processing, ref, manifest.model_dump(mode="json"))
