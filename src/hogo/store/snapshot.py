"""Consent snapshots: the store's consent data as Parquet, anchored to the ledger head.

Why: a release over tens of millions of members should not pull 30M consent events through the
database driver every time. A snapshot is written once (streamed, one chunk in memory at a time,
in one read transaction so the three tables and the ledger head agree), and releases read it in
place. It is only used while it is current: if the ledger holds any entry that changes consent
data (a subject, a consent event, a legal exception) after the snapshot's head, the release is
refused — a withdrawal recorded after the snapshot must never be missed. File digests are
checked before use.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, select

from hogo.domain.ledger import GENESIS, EntryKind
from hogo.domain.model import Frozen
from hogo.eligibility import Names
from hogo.engines import SqlEngine
from hogo.errors import InputError
from hogo.files.digest import sha256_file
from hogo.store.database import read_connection
from hogo.store.export import batch_reader, queries
from hogo.store.tables import LedgerEntryRow, LedgerHeadRow

FORMAT = "hogo-consent-snapshot/1"
INFO_FILE = "snapshot.json"
FILES = ("subjects.parquet", "consent_events.parquet", "legal_exceptions.parquet")
#: Ledger entries that change what a consent decision sees.
CONSENT_KINDS = (EntryKind.subject_added, EntryKind.subject_updated, EntryKind.consent_event,
                 EntryKind.legal_exception)  # fmt: skip

Step = Callable[[str, int], None]


class SnapshotInfo(Frozen):
    format: str = FORMAT
    created_at: str
    ledger_seq: int
    ledger_hash: str
    rows: dict[str, int]
    sha256: dict[str, str]


@dataclass(frozen=True)
class ConsentFiles:
    """A checked snapshot folder, registered in an engine without loading it into Python."""

    folder: Path
    info: SnapshotInfo

    def register(self, engine: SqlEngine, names: Names) -> None:
        for name, file in zip(names, FILES, strict=True):
            engine.register_file(name, self.folder / file, format="parquet")


def write_snapshot(store: Engine, folder: Path, step: Step | None = None) -> SnapshotInfo:
    """Write a snapshot into the new folder ``folder`` (atomically: a temporary folder is renamed)."""
    if folder.exists():
        raise InputError("出力先が既にあります。", "the output folder already exists", field=folder.name)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.part")
    work.mkdir()
    try:
        with read_connection(store) as conn:
            seq, head = _head(conn)
            rows: dict[str, int] = {}
            with batch_reader(conn) as read:
                for file, (stmt, schema) in zip(FILES, queries(), strict=True):
                    _write(work / file, read(stmt, schema), file, rows, step)
        info = SnapshotInfo(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            ledger_seq=seq,
            ledger_hash=head,
            rows=rows,
            sha256={file: sha256_file(work / file) for file in FILES},
        )
        (work / INFO_FILE).write_text(info.model_dump_json(indent=2), encoding="utf-8")
        os.replace(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return info


def open_snapshot(folder: Path, store: Engine) -> ConsentFiles:
    """A snapshot that is intact and current for ``store``; anything else is refused."""
    try:
        info = SnapshotInfo.model_validate_json((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        raise InputError(
            "同意スナップショットを読めません。", "cannot read the consent snapshot", field=INFO_FILE
        ) from None
    if info.format != FORMAT:
        raise InputError("同意スナップショットの形式が違います。", "unknown snapshot format", field="format")
    for file in FILES:
        path = folder / file
        if not path.is_file() or sha256_file(path) != info.sha256.get(file):
            raise InputError(
                "同意スナップショットのファイルが作成時と異なります。",
                "a snapshot file differs from when it was written",
                field=file,
            )
    with store.connect() as conn:
        anchored = GENESIS if info.ledger_seq == 0 else conn.scalar(
            select(LedgerEntryRow.hash).where(LedgerEntryRow.seq == info.ledger_seq)
        )  # fmt: skip
        if anchored != info.ledger_hash:
            raise InputError(
                "同意スナップショットはこの台帳から作られたものではありません。",
                "the snapshot was not made from this ledger",
                field="ledger_hash",
            )
        later = conn.scalar(
            select(func.count())
            .select_from(LedgerEntryRow)
            .where(LedgerEntryRow.seq > info.ledger_seq)
            .where(LedgerEntryRow.kind.in_([k.value for k in CONSENT_KINDS]))
        )
    if later:
        raise InputError(
            f"同意スナップショットの作成後に本人・同意の記録が{later}件あります。作り直してください。",
            f"{later} subject/consent entries were recorded after the snapshot; write a new one",
            field="ledger_seq",
        )
    return ConsentFiles(folder, info)


def _write(
    path: Path, batches: pa.RecordBatchReader, file: str, rows: dict[str, int], step: Step | None
) -> None:
    """One table of the snapshot, batch by batch as the store returns them."""
    with pq.ParquetWriter(path, batches.schema, compression="zstd") as writer:
        rows[file] = 0
        for batch in batches:
            writer.write_batch(batch)
            rows[file] += batch.num_rows
            if step is not None:
                step(file, rows[file])


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(LedgerHeadRow.seq, LedgerHeadRow.hash).where(LedgerHeadRow.id == 1)).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
