"""Consent data for set-wise work (eligibility, releases): streamed from the store, or read in
place from a snapshot whose ledger anchor is checked first; and writing such a snapshot.

The front ends reach `hogo.store.export` and `hogo.store.snapshot` through here (they call
services, never the store).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from hogo.eligibility import ConsentSource
from hogo.services.binding import require_reconciled
from hogo.store.database import write_scope
from hogo.store.export import StoreConsent
from hogo.store.snapshot import SnapshotInfo, Step, open_snapshot
from hogo.store.snapshot import write_snapshot as _write_snapshot


def consent_source(store: Engine, snapshot: Path | None = None) -> ConsentSource:
    """The snapshot in `snapshot` if given (checked against the ledger), else the store itself;
    either way only from a store whose tables reconcile with the ledger."""
    _require_reconciled(store)
    return open_snapshot(snapshot, store) if snapshot else StoreConsent(store)


def write_snapshot(store: Engine, folder: Path, step: Step | None = None) -> SnapshotInfo:
    """Write the consent data to a new folder of Parquet files anchored to the ledger head, from a
    store whose tables reconcile with the ledger (checked first, cheaply)."""
    _require_reconciled(store)
    return _write_snapshot(store, folder, step)


def _require_reconciled(store: Engine) -> None:
    with write_scope(store) as session:
        require_reconciled(session)
