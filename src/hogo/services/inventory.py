"""Inventory (管理台帳) use cases: import, list, remove, and resolve whom a dataset covers.

Imports are checked against the current policy as a whole before anything is written (a
dataset naming an unknown data category, purpose or outsourcee stops the import, naming the
dataset's position and field), then each changed dataset gets a new version and a ledger entry
holding that version in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.inventory import Dataset, Inventory, SubjectQueryKind, problems_against_policy
from hogo.domain.ledger import EntryKind, canonical
from hogo.errors import InputError, NotFound
from hogo.services import ledger
from hogo.services.policy import current_policy
from hogo.store.inventory import InventoryDatasetRow
from hogo.store.rows import stored
from hogo.store.tables import SubjectRow


@dataclass(frozen=True)
class ImportResult:
    added: list[str]
    changed: list[str]
    unchanged: list[str]
    removed: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
        }


def _document(dataset: Dataset) -> str:
    return canonical(dataset.model_dump(mode="json", exclude_defaults=True)).decode("utf-8")


def check_inventory(session: Session, inventory: Inventory) -> None:
    """Every reference must resolve in the policy; without a policy, categories cannot be classed."""
    policy = current_policy(session)
    if policy is None:
        raise InputError(
            "ポリシーが未適用です。先に `hogo policy apply` を実行してください。",
            "no policy applied yet; run `hogo policy apply` first.",
        )
    for position, dataset in enumerate(inventory.datasets, start=1):
        problems = problems_against_policy(dataset, policy)
        if problems:
            raise InputError(
                "ポリシーに定義されていない値です(データ区分・利用目的・委託先)。",
                "not defined in the policy (data category, purpose or outsourcee).",
                row=position,
                field=problems[0],
            )


def import_inventory(session: Session, inventory: Inventory, *, replace: bool = False) -> ImportResult:
    """Upsert datasets by id (all or nothing); `replace` also removes datasets not in the file."""
    check_inventory(session, inventory)
    now = datetime.now(UTC)
    stored = {r.id: r for r in session.scalars(select(InventoryDatasetRow))}
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    for dataset in inventory.datasets:
        document = _document(dataset)
        row = stored.get(dataset.id)
        if row is not None and row.document == document:
            unchanged.append(dataset.id)
            continue
        version = 1 if row is None else row.version + 1
        seq = ledger.append(
            session,
            EntryKind.inventory,
            f"dataset:{dataset.id}",
            {"event": "saved", "version": version, "dataset": dataset.model_dump(mode="json")},
        )
        if row is None:
            session.add(
                InventoryDatasetRow(
                    id=dataset.id,
                    name=dataset.name,
                    version=version,
                    document=document,
                    updated_at=now,
                    ledger_seq=seq,
                )
            )
            added.append(dataset.id)
        else:
            row.name, row.version, row.document, row.updated_at, row.ledger_seq = (
                dataset.name,
                version,
                document,
                now,
                seq,
            )
            changed.append(dataset.id)
    removed: list[str] = []
    if replace:
        keep = {d.id for d in inventory.datasets}
        for dataset_id in sorted(set(stored) - keep):
            remove_dataset(session, dataset_id)
            removed.append(dataset_id)
    return ImportResult(added, changed, unchanged, removed)


def remove_dataset(session: Session, dataset_id: str) -> None:
    row = stored(
        session, InventoryDatasetRow, dataset_id, "その台帳項目は登録されていません。", "no such dataset."
    )
    ledger.append(
        session, EntryKind.inventory, f"dataset:{dataset_id}", {"event": "removed", "version": row.version}
    )
    session.delete(row)


def load_inventory(session: Session) -> Inventory:
    rows = session.scalars(select(InventoryDatasetRow).order_by(InventoryDatasetRow.id))
    return Inventory(datasets=tuple(Dataset.model_validate_json(r.document) for r in rows))


def versions(session: Session, dataset_id: str) -> list[dict[str, object]]:
    """Every saved version of a dataset, from the ledger (oldest first)."""
    result: list[dict[str, object]] = []
    for entry in ledger.entries_for(session, f"dataset:{dataset_id}"):
        payload = dict(entry.payload())
        result.append({"seq": entry.seq, "recorded_at": entry.recorded_at, **payload})
    return result


@dataclass(frozen=True)
class DatasetVersion:
    """One saved (or removed) version of a dataset, as the ledger holds it."""

    seq: int
    recorded_at: datetime
    event: str
    version: int
    dataset: Dataset | None


def history(session: Session, dataset_id: str) -> tuple[Dataset, list[DatasetVersion]]:
    """A dataset as it stands and every version of it (oldest first); NotFound if not in the inventory."""
    dataset = load_inventory(session).dataset(dataset_id)
    if dataset is None:
        raise NotFound("その台帳項目は登録されていません。", "no such dataset.")
    found: list[DatasetVersion] = []
    for entry in ledger.entries_for(session, f"dataset:{dataset_id}"):
        payload = dict(entry.payload())
        saved = payload.get("dataset")
        found.append(
            DatasetVersion(
                seq=entry.seq,
                recorded_at=datetime.fromisoformat(entry.recorded_at),
                event=str(payload.get("event", "")),
                version=int(payload.get("version", 0)),
                dataset=Dataset.model_validate(saved) if isinstance(saved, dict) else None,
            )
        )
    return dataset, found


def datasets(session: Session, ids: Sequence[str]) -> list[Dataset]:
    """The named datasets, in the given order; an unknown id is an input error naming its position."""
    inventory = load_inventory(session)
    found: list[Dataset] = []
    for position, dataset_id in enumerate(ids, start=1):
        dataset = inventory.dataset(dataset_id)
        if dataset is None:
            raise InputError(
                f"{position}番目のデータセットは管理台帳に登録されていません。",
                f"dataset no. {position} is not in the inventory.",
                field="dataset",
            )
        found.append(dataset)
    return found


def subjects_of(session: Session, dataset: Dataset) -> list[str]:
    """The subject ids a dataset covers (query resolved with bound parameters)."""
    scope = dataset.subjects
    if scope.kind is SubjectQueryKind.listed:
        return sorted(set(scope.subject_ids))
    if scope.kind is SubjectQueryKind.none:
        return []
    stmt = select(SubjectRow.subject_id)
    if scope.kind is SubjectQueryKind.id_prefix:
        stmt = stmt.where(SubjectRow.subject_id.startswith(scope.value, autoescape=True))
    return list(session.scalars(stmt.order_by(SubjectRow.subject_id)))


def resolve(session: Session, found: Iterable[Dataset]) -> dict[str, list[str]]:
    return {d.id: subjects_of(session, d) for d in found if d.subjects.kind is not SubjectQueryKind.none}
