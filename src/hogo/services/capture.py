"""Consent capture from a website or app: the person's choices, plus their browser's GPC signal.

Global Privacy Control (`Sec-GPC: 1`) is the person telling every site not to sell or share
their data. hogo records it as an objection (ConsentAction.object, 法27条2項・法35条 の停止の求め)
to every purpose that provides data to others for advertising or sale: kinds third_party_provision
and targeted_advertising. An objection at the same instant as a grant wins (the more protective
action), so a form that pre-ticks a provision box cannot override the signal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod
from hogo.domain.policy import Policy, PurposeKind
from hogo.errors import InputError
from hogo.services import idempotency
from hogo.services.consent import (
    RecordResult,
    check_against_policy,
    check_collected,
    latest_collection,
    record_event_groups,
)
from hogo.services.database import read_scope
from hogo.services.group_commit import GroupCommit
from hogo.services.policy_cache import PolicyCache

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


def _events_for(
    policy: Policy,
    details: CaptureDetails,
    choices: Sequence[Choice],
    gpc: bool,
    event_id: Callable[[int], str],
) -> tuple[list[ConsentEvent], tuple[str, ...]]:
    objected = gpc_purposes(policy) if gpc else ()
    if not choices and not objected:
        raise InputError("記録する同意がありません。", "nothing to record.", field="choices")
    return build_events(details, choices, objected, event_id), objected


def capture(
    session: Session,
    details: CaptureDetails,
    choices: Sequence[Choice],
    gpc: bool,
    event_id: Callable[[int], str],
    *,
    policies: PolicyCache | None = None,
) -> Captured:
    """Record the choices (and GPC objections) in the caller's transaction (a server passes its
    long-lived `policies`: the policy is parsed once per revision, not per capture)."""
    policies = policies or PolicyCache()
    events, objected = _events_for(policies.current(session), details, choices, gpc, event_id)
    result = record_event_groups(session, [events], policies=policies)[0]
    return Captured(tuple(events), result, objected)


@dataclass(frozen=True)
class Once:
    """An Idempotency-Key as `services.idempotency` keeps it: whose, the key, and the request it
    is bound to."""

    principal: str
    key: str
    bound_to: str


@dataclass(frozen=True)
class Answer:
    """What a queued capture answers: the response body (JSON), and whether it is the one stored
    for its Idempotency-Key before (a replay)."""

    body: str
    replayed: bool = False


@dataclass(frozen=True)
class PreparedCapture:
    """A capture checked against the policy and turned into events, to be recorded by
    `record_prepared`; `render` turns what was recorded into the answer's body (the front
    end's own format), which an Idempotency-Key stores in the same transaction."""

    events: tuple[ConsentEvent, ...]
    gpc_purposes: tuple[str, ...]
    once: Once | None
    render: Callable[[Captured], str]


@dataclass(frozen=True)
class CaptureRequest:
    """A front end's capture to record through the group commit (`submit`): the details and
    choices, the GPC signal, how event ids are made, the Idempotency-Key and how the answer's
    body is rendered."""

    details: CaptureDetails
    choices: Sequence[Choice]
    gpc: bool
    event_id: Callable[[int], str]
    once: Once | None
    render: Callable[[Captured], str]


def prepare(session: Session, request: CaptureRequest, *, policies: PolicyCache) -> PreparedCapture:
    """Everything a capture checks before the write lock, read-only: the events built and
    checked against the policy in force (errors name the field). The person and repeated event
    ids are checked again where they are recorded."""
    policy = policies.current(session)
    events, objected = _events_for(policy, request.details, request.choices, request.gpc, request.event_id)
    latest = latest_collection()
    for event in events:
        check_against_policy(policy, event)
        check_collected(event, latest)
    return PreparedCapture(tuple(events), objected, request.once, request.render)


def record_prepared(
    session: Session, prepared: Sequence[PreparedCapture], *, policies: PolicyCache | None = None
) -> list[Answer]:
    """Record prepared captures in the caller's transaction, as if one after the other: a key
    whose answer is stored replays it; the others' events go to the ledger together (one entry
    per event, in order: `record_event_groups`), and each keyed answer is stored with them."""
    answers: dict[int, Answer] = {}
    todo: list[int] = []
    for i, item in enumerate(prepared):
        stored = (
            idempotency.replay(session, item.once.principal, item.once.key, item.once.bound_to)
            if item.once is not None
            else None
        )
        if stored is not None:
            answers[i] = Answer(stored.body, replayed=True)
        else:
            todo.append(i)
    results = record_event_groups(session, [prepared[i].events for i in todo], policies=policies)
    for i, result in zip(todo, results, strict=True):
        item = prepared[i]
        body = item.render(Captured(item.events, result, item.gpc_purposes))
        once = item.once
        if once is not None:  # a key repeated within the batch gets the first one's answer
            body = idempotency.remember(session, once.principal, once.key, once.bound_to, 201, body).body
        answers[i] = Answer(body)
    return [answers[i] for i in range(len(prepared))]


def submit(
    db: Engine, queue: GroupCommit[PreparedCapture, Answer], request: CaptureRequest, *, policies: PolicyCache
) -> Future[Answer]:
    """A capture for a server: checked in a read transaction of its own (closed before waiting),
    then recorded with other requests' captures in one write transaction (`captures_queue`);
    the future is answered once that has committed, or with this capture's own error (an
    unknown person, an event id recorded before with other content, a key reused for another
    request: 409)."""
    with read_scope(db) as session:
        prepared = prepare(session, request, policies=policies)
    return queue.submit(prepared)


def captures_queue(db: Engine, policies: PolicyCache | None = None) -> GroupCommit[PreparedCapture, Answer]:
    """The group commit `POST /api/v1/consents` records through (one per serving process)."""

    def record(session: Session, prepared: Sequence[PreparedCapture]) -> list[Answer]:
        return record_prepared(session, prepared, policies=policies)

    return GroupCommit(db, record)
