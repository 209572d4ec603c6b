"""Playbooks in force: the shipped defaults, replaced type by type by what the officer applied.

Applying a playbook changes only incidents opened afterwards; running incidents keep the tasks
they were opened with (their flow is part of their record).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.incidents.playbooks import Playbook, PlaybookSet
from hogo.domain.ledger import EntryKind, canonical
from hogo.files.playbook_yaml import default_playbooks
from hogo.services import ledger
from hogo.store.incidents import IncidentPlaybookRow


def _document(playbook: Playbook) -> str:
    return canonical(playbook.model_dump(mode="json")).decode("utf-8")


def current_playbooks(session: Session) -> PlaybookSet:
    stored = [Playbook.model_validate_json(r.document) for r in session.scalars(select(IncidentPlaybookRow))]
    return default_playbooks().merged(PlaybookSet(playbooks=tuple(stored)))


def apply_playbooks(session: Session, playbooks: PlaybookSet) -> dict[str, list[str]]:
    """Store each given type's playbook unless it equals the one in force; ledger every change."""
    in_force = current_playbooks(session)
    now = datetime.now(UTC)
    changed: list[str] = []
    unchanged: list[str] = []
    for playbook in playbooks.playbooks:
        current = in_force.for_type(playbook.incident_type)
        key = playbook.incident_type.value
        if current is not None and _document(current) == _document(playbook):
            unchanged.append(key)
            continue
        seq = ledger.append(
            session,
            EntryKind.incident,
            f"playbook:{key}",
            {"event": "playbook_applied", "playbook": playbook.model_dump(mode="json")},
        )
        session.merge(
            IncidentPlaybookRow(
                incident_type=key, document=_document(playbook), updated_at=now, ledger_seq=seq
            )
        )
        changed.append(key)
    return {"changed": changed, "unchanged": unchanged}
