"""Applying the policy file: idempotent, diffed, and recorded in the ledger."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.binding import POLICY_REVISIONS, row_digest, tally_of
from hogo.domain.ledger import EntryKind, canonical
from hogo.domain.policy import Policy
from hogo.errors import HogoError
from hogo.services import binding, ledger
from hogo.services.binding import row_payload
from hogo.store.tables import PolicyRevisionRow

_SECTIONS: dict[str, str] = {
    "data_categories": "id",
    "recipients": "id",
    "purposes": "id",
    "terms": "version",
}


@dataclass(frozen=True)
class PolicyChange:
    revision: int
    changed: bool
    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    modified: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "changed": self.changed,
            "added": self.added,
            "removed": self.removed,
            "modified": self.modified,
        }


def policy_document(policy: Policy) -> dict[str, Any]:
    result: dict[str, Any] = policy.model_dump(mode="json")
    return result


def current_revision(session: Session) -> PolicyRevisionRow | None:
    return session.execute(
        select(PolicyRevisionRow).order_by(PolicyRevisionRow.revision.desc()).limit(1)
    ).scalar()


def current_policy(session: Session) -> Policy | None:
    row = current_revision(session)
    return None if row is None else Policy.model_validate_json(row.document)


def require_policy(session: Session, at: datetime | None = None) -> Policy:
    """The policy in force now, or at ``at`` when a decision is about that time."""
    policy = current_policy(session) if at is None else policy_in_force(session, at)
    if policy is None:
        raise HogoError(
            "ポリシーが未適用です。先に `hogo policy apply` を実行してください。",
            "no policy applied yet; run `hogo policy apply` first.",
        )
    return policy


def revision_in_force(session: Session, at: datetime) -> PolicyRevisionRow | None:
    """The revision applied last at or before ``at``, so a decision about the past uses the
    purposes and terms declared then; the first revision for a time before any was applied
    (hogo holds no policy from before it)."""
    rev = PolicyRevisionRow
    row = session.execute(
        select(rev).where(rev.applied_at <= at).order_by(rev.revision.desc()).limit(1)
    ).scalar()
    if row is None:
        row = session.execute(select(rev).order_by(rev.revision).limit(1)).scalar()
    return row


def policy_in_force(session: Session, at: datetime) -> Policy | None:
    row = revision_in_force(session, at)
    return None if row is None else Policy.model_validate_json(row.document)


def apply_policy(session: Session, policy: Policy) -> PolicyChange:
    """Store the policy as a new revision unless it equals the current one."""
    document = policy_document(policy)
    encoded = canonical(document)
    digest = hashlib.sha256(encoded).hexdigest()
    previous = current_revision(session)
    if previous is not None and previous.sha256 == digest:
        return PolicyChange(revision=previous.revision, changed=False)
    before = json.loads(previous.document) if previous is not None else {}
    added, removed, modified = _diff(before, document)
    if before.get("organization") != document["organization"]:
        modified["organization"] = ["organization"]
    if before.get("settings") != document["settings"]:
        modified["settings"] = ["settings"]
    revision = (previous.revision if previous else 0) + 1
    values = {
        "revision": revision,
        "applied_at": datetime.now(UTC),
        "sha256": digest,
        "document": encoded.decode("utf-8"),
    }
    sealed = row_digest(POLICY_REVISIONS, values)
    summary = {
        "revision": revision,
        "sha256": digest,
        "added": added,
        "removed": removed,
        "modified": modified,
    }
    seq = ledger.append(session, EntryKind.policy_applied, f"policy:{revision}", row_payload(summary, sealed))
    session.add(PolicyRevisionRow(**values, ledger_seq=seq))
    binding.count(session, {POLICY_REVISIONS.name: tally_of([sealed])})
    session.flush()
    return PolicyChange(revision, True, added, removed, modified)


def _diff(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    modified: dict[str, list[str]] = {}
    for section, key in _SECTIONS.items():
        old = {item[key]: item for item in before.get(section, [])}
        new = {item[key]: item for item in after.get(section, [])}
        if a := sorted(new.keys() - old.keys()):
            added[section] = a
        if r := sorted(old.keys() - new.keys()):
            removed[section] = r
        if m := sorted(k for k in new.keys() & old.keys() if new[k] != old[k]):
            modified[section] = m
    return added, removed, modified
