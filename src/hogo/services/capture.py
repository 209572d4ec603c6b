"""Consent capture from a website or app: the person's choices, plus their browser's GPC signal.

Global Privacy Control (`Sec-GPC: 1`) is the person telling every site not to sell or share
their data. hogo records it as an objection (ConsentAction.object, 法27条2項・法35条 の停止の求め)
to every purpose that provides data to others for advertising or sale: kinds third_party_provision
and targeted_advertising. An objection at the same instant as a grant wins (the more protective
action), so a form that pre-ticks a provision box cannot override the signal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session

from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod
from hogo.domain.policy import Policy, PurposeKind
from hogo.errors import InputError
from hogo.services.consent import RecordResult, record_events
from hogo.services.policy import require_policy

GPC_KINDS = frozenset({PurposeKind.third_party_provision, PurposeKind.targeted_advertising})


@dataclass(frozen=True)
class Choice:
    purpose_id: str
    action: ConsentAction


@dataclass(frozen=True)
class CaptureDetails:
    subject_id: str
    collected_at: datetime
    method: ConsentMethod
    terms_version: str | None = None
    evidence: str | None = None
    guardian_name: str | None = None
    guardian_relation: str | None = None
    foreign_transfer_info_given: bool = False


@dataclass(frozen=True)
class Captured:
    events: tuple[ConsentEvent, ...]
    result: RecordResult
    gpc_purposes: tuple[str, ...]


def gpc_purposes(policy: Policy) -> tuple[str, ...]:
    return tuple(p.id for p in policy.purposes if p.kind in GPC_KINDS)


def build_events(
    details: CaptureDetails, choices: Sequence[Choice], gpc: Sequence[str], event_id: Callable[[int], str]
) -> list[ConsentEvent]:
    """Domain events for the choices, then one objection per GPC purpose; input errors name the field."""
    wanted = [(c.purpose_id, c.action) for c in choices] + [(p, ConsentAction.object) for p in gpc]
    events = []
    for i, (purpose_id, action) in enumerate(wanted):
        try:
            events.append(
                ConsentEvent(
                    event_id=event_id(i),
                    subject_id=details.subject_id,
                    purpose_id=purpose_id,
                    action=action,
                    collected_at=details.collected_at,
                    terms_version=details.terms_version,
                    method=details.method,
                    evidence=details.evidence,
                    guardian_name=details.guardian_name if action is ConsentAction.grant else None,
                    guardian_relation=details.guardian_relation if action is ConsentAction.grant else None,
                    foreign_transfer_info_given=details.foreign_transfer_info_given,
                )
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "choices"
            raise InputError(
                "同意の内容が正しくありません。", "the consent is not valid.", field=f"choices.{i}.{where}"
            ) from None
    return events


def capture(
    session: Session,
    details: CaptureDetails,
    choices: Sequence[Choice],
    gpc: bool,
    event_id: Callable[[int], str],
) -> Captured:
    """Record the choices (and GPC objections) in the caller's transaction."""
    policy = require_policy(session)
    objected = gpc_purposes(policy) if gpc else ()
    if not choices and not objected:
        raise InputError("記録する同意がありません。", "nothing to record.", field="choices")
    events = build_events(details, choices, objected, event_id)
    result = record_events(session, events)
    return Captured(tuple(events), result, objected)
