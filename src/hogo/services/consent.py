"""Recording consent events and legal exceptions, and answering the consent question."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hogo.domain import shredding as sh
from hogo.domain.binding import CONSENT_EVENTS, LEGAL_EXCEPTIONS, row_digest, tally_of
from hogo.domain.consent import (
    ALL_PURPOSES_IN_TERMS,
    COLLECTION_CLOCK_SKEW,
    ConsentEvent,
    LegalException,
    SubjectHistory,
)
from hogo.domain.decision import Decision, decide
from hogo.domain.ledger import EntryKind
from hogo.domain.policy import Policy
from hogo.errors import Conflict, InputError
from hogo.files.event_columns import FIELDS, EventColumns
from hogo.services import binding, collector, ledger, person_keys
from hogo.services.binding import row_payload
from hogo.services.event_payloads import encode, stored_text
from hogo.services.histories import history
from hogo.services.policy import require_policy
from hogo.services.policy_cache import PolicyCache
from hogo.services.subjects import get_subject
from hogo.store.bulk import CHUNK, rows_with, write_rows
from hogo.store.rows import stored
from hogo.store.tables import ConsentEventRow, LegalExceptionRow


@dataclass(frozen=True)
class RecordResult:
    recorded: int
    already_present: int


def event_to_row_values(event: ConsentEvent) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "subject_id": event.subject_id,
        "purpose_id": event.purpose_id,
        "action": event.action.value,
        "terms_version": event.terms_version,
        "method": event.method.value,
        "collected_at": event.collected_at,
        "evidence": event.evidence,
        "guardian_name": event.guardian_name,
        "guardian_relation": event.guardian_relation,
        "foreign_transfer_info_given": event.foreign_transfer_info_given,
    }


def event_digest(event: ConsentEvent, key: bytes | None) -> str:
    """The digest of the event's row, as its ledger entry seals it (keyed by the person's digest
    key from ledger v3 on)."""
    return row_digest(CONSENT_EVENTS, event_to_row_values(event), key)


def event_payload(event: ConsentEvent, digest: str, keys: sh.PersonKeys) -> dict[str, Any]:
    """The ledger payload of a consent event (v3): the event with its personal values sealed and
    its row's digest. The bulk import encodes the same payload, so both paths bind rows alike."""
    return row_payload(sh.pseudonymise(event.model_dump(mode="json"), sh.EVENT_FIELDS, keys), digest)


def row_to_event(row: ConsentEventRow) -> ConsentEvent:
    return ConsentEvent.model_validate(
        {k: getattr(row, k) for k in ConsentEvent.model_fields}, from_attributes=False
    )


def latest_collection(now: datetime | None = None) -> datetime:
    """The latest collection time an event recorded now may carry (`COLLECTION_CLOCK_SKEW`)."""
    return (now or datetime.now(UTC)) + COLLECTION_CLOCK_SKEW


def check_collected(event: ConsentEvent, latest: datetime, row: int | None = None) -> None:
    """A consent is recorded after it was collected: a collection time past `latest`
    (`latest_collection`) is an input error naming the row and field."""
    if event.collected_at > latest:
        future = ("取得日時が未来になっています。", "collected_at lies in the future.")
        raise InputError(*future, row=row, field="collected_at")


def check_against_policy(policy: Policy, event: ConsentEvent, row: int | None = None) -> None:
    """Unknown purposes or terms versions are input errors, not silent no-ops."""
    if event.purpose_id != ALL_PURPOSES_IN_TERMS and policy.purpose(event.purpose_id) is None:
        raise InputError(
            "ポリシーにない利用目的です。",
            "unknown purpose (not in the policy).",
            row=row,
            field="purpose_id",
        )
    if event.terms_version is not None and policy.terms_version(event.terms_version) is None:
        raise InputError(
            "ポリシーにない規約版です。", "unknown terms version.", row=row, field="terms_version"
        )


#: Made once with the ids as one expanding parameter: building ``in_(ids)`` coerced every id
#: into a bind parameter of its own, each time.
_EXISTING = select(ConsentEventRow).where(ConsentEventRow.event_id.in_(bindparam("ids", expanding=True)))


def record_events(
    session: Session, events: Sequence[ConsentEvent], rows: Sequence[int] | None = None
) -> RecordResult:
    """Store events once each: a repeated event id with the same content is skipped, a changed one refused."""
    seen, new = _record(session, events, rows)
    return RecordResult(recorded=len(new), already_present=len(seen) - len(new))


def record_event_groups(
    session: Session, groups: Sequence[Sequence[ConsentEvent]], *, policies: PolicyCache | None = None
) -> list[RecordResult]:
    """`record_events` for several callers' events at once (group commit, `services.group_commit`):
    one policy check, one ledger append and one insert for all, in the groups' order; each group's
    result is what `record_events` would have said had the groups been recorded one after the
    other (an id first recorded by an earlier group is `already_present` for a later one). A
    server's long-lived `policies` parse the policy once per revision, not once per batch."""
    _, new = _record(session, [e for g in groups for e in g], None, policies)
    fresh = {e.event_id for e in new}
    results = []
    for group in groups:
        ids = list(dict.fromkeys(e.event_id for e in group))
        recorded = sum(1 for i in ids if i in fresh)
        fresh.difference_update(ids)
        results.append(RecordResult(recorded=recorded, already_present=len(ids) - recorded))
    return results


def _record(
    session: Session,
    events: Sequence[ConsentEvent],
    rows: Sequence[int] | None,
    policies: PolicyCache | None = None,
) -> tuple[dict[str, ConsentEvent], list[ConsentEvent]]:
    """The distinct events by id, and those of them newly recorded (in order).

    The cycle collector is paused meanwhile (`collector`): a batch makes no reference cycles."""
    with collector.paused():
        return _record_paused(session, events, rows, policies)


def _record_paused(
    session: Session, events: Sequence[ConsentEvent], rows: Sequence[int] | None, policies: PolicyCache | None
) -> tuple[dict[str, ConsentEvent], list[ConsentEvent]]:
    policy = require_policy(session) if policies is None else policies.current(session)
    numbers: Sequence[int | None] = rows if rows is not None else [None] * len(events)
    seen = _distinct_events(policy, events, numbers)
    session.flush()  # the look-ups below read through the driver: rows the caller added first
    conn = session.connection()
    present = [r[0] for r in rows_with(conn, "consent_events", ["event_id"], "event_id", list(seen))]
    existing: dict[str, ConsentEventRow] = {}
    for i in range(0, len(present), CHUNK):  # usually none: only repeated events are read whole
        for r in session.execute(_EXISTING, {"ids": present[i : i + CHUNK]}).scalars():
            existing[r.event_id] = r
    subject_ids = {e.subject_id for e in seen.values()}
    # The persons' keys with the check that they are registered; their data keys unwrapped only
    # when every known person's events are new (no event of the batch is recorded yet).
    known, keys = person_keys.registered(conn, subject_ids, data=not present)
    if not existing and len(known) == len(subject_ids):  # the usual batch: every event is new
        new = list(seen.values())
    else:
        number_of = {e.event_id: n for e, n in zip(events, numbers, strict=True)}
        new = _new_events(seen, existing, known, number_of)
    _write_new(session, new, None if present else keys)
    return seen, new


def _new_events(
    seen: dict[str, ConsentEvent],
    existing: dict[str, ConsentEventRow],
    known: set[str],
    number_of: dict[str, int | None],
) -> list[ConsentEvent]:
    """The events not recorded yet, in order; the first event of an unknown person or changed
    from its stored row is refused (with its row number)."""
    new: list[ConsentEvent] = []
    for event in seen.values():
        number = number_of[event.event_id]
        if event.subject_id not in known:
            raise InputError("本人が登録されていません。", "unknown subject.", row=number, field="subject_id")
        stored = existing.get(event.event_id)
        if stored is None:
            new.append(event)
        elif row_to_event(stored) != event:
            raise Conflict(
                "同じ事象IDの別内容が既に記録されています。" + (f"({number}行目)" if number else ""),
                "an event with this id but different content is already recorded"
                + (f" (row {number})" if number else "")
                + ".",
            )
    return new


def _write_new(
    session: Session, new: list[ConsentEvent], found: dict[str, sh.PersonKeys] | None = None
) -> None:
    """Record new events: keys for persons without any, each event's payload and row digest from
    the batch encoder the bulk import uses (`event_payloads.encode`, byte for byte the single
    event's `event_payload` and `event_digest`), the entries hashed onto the chain, the rows
    written by the driver's fast path (values as stored), the tally moved.

    Why not an event at a time: pydantic dumps, two `json.dumps` and the column types' bind
    processors per event cost more than sealing and hashing it. ``found``: keys looked up
    already, data keys unwrapped (`person_keys.registered`)."""
    if not new:
        return
    keys = person_keys.ensure(session, {e.subject_id for e in new}, found=found)
    columns = EventColumns.from_events(new, list(range(len(new))))
    encoded = encode(columns, keys)
    session.flush()  # rows the caller added before these entries are written before them
    conn = session.connection()
    first, _ = ledger.append_prepared(
        conn, EntryKind.consent_event, [list(zip(encoded.refs, encoded.payloads, strict=True))]
    )
    recorded_at = stored_text(datetime.now(UTC))
    values = columns.columns()
    values[FIELDS.index("collected_at")] = list(encoded.stored_at)
    rows = zip(*values, itertools.repeat(recorded_at), itertools.count(first), strict=False)
    write_rows(conn, CONSENT_EVENTS.name, (*FIELDS, "recorded_at", "ledger_seq"), list(rows))
    binding.count(session, {CONSENT_EVENTS.name: tally_of(encoded.digests)})


def _distinct_events(
    policy: Policy, events: Sequence[ConsentEvent], numbers: Sequence[int | None]
) -> dict[str, ConsentEvent]:
    """The events by id, each checked against the policy and the clock (`check_collected`); an
    id repeated with other content is refused (the same content twice is one event). The
    policy's verdict depends only on the purpose and terms version, so each distinct pair is
    looked up once."""
    seen: dict[str, ConsentEvent] = {}
    known: set[tuple[str, str | None]] = set()
    latest = latest_collection()
    for event, number in zip(events, numbers, strict=True):
        check_collected(event, latest, number)
        pair = (event.purpose_id, event.terms_version)
        if pair not in known:
            check_against_policy(policy, event, number)
            known.add(pair)
        if event.event_id in seen and seen[event.event_id] != event:
            raise Conflict(
                f"{number}行目: 同じ事象IDで内容の異なる行があります。"
                if number
                else "同じ事象IDで内容が異なります。",
                f"row {number}: the same event id appears with different content."
                if number
                else "duplicate event id.",
            )
        seen[event.event_id] = event
    return seen


def record_exception(session: Session, exc: LegalException) -> None:
    policy = require_policy(session)
    if policy.purpose(exc.purpose_id) is None:
        raise InputError("ポリシーにない利用目的です。", "unknown purpose.", field="purpose_id")
    if exc.recipient_id is not None and policy.recipient(exc.recipient_id) is None:
        raise InputError("ポリシーにない提供先です。", "unknown recipient.", field="recipient_id")
    get_subject(session, exc.subject_id)
    if session.get(LegalExceptionRow, exc.exception_id) is not None:
        raise Conflict("この例外IDは既に記録されています。", "this exception id is already recorded.")
    values: dict[str, Any] = {
        "exception_id": exc.exception_id,
        "subject_id": exc.subject_id,
        "purpose_id": exc.purpose_id,
        "recipient_id": exc.recipient_id,
        "ground": exc.ground.value,
        "recorded_at": exc.recorded_at,
        "valid_until": exc.valid_until,
        "note": exc.note,
    }
    keys = person_keys.ensure(session, [exc.subject_id])[exc.subject_id]
    digest = row_digest(LEGAL_EXCEPTIONS, values, keys.digest_key)
    payload = sh.pseudonymise(exc.model_dump(mode="json"), sh.EXCEPTION_FIELDS, keys)
    seq = ledger.append(
        session, EntryKind.legal_exception, sh.person_ref(keys.pseudonym), row_payload(payload, digest)
    )
    session.add(LegalExceptionRow(**values, ledger_seq=seq))
    binding.count(session, {LEGAL_EXCEPTIONS.name: tally_of([digest])})
    session.flush()


@dataclass(frozen=True)
class Timeline:
    """A person's history with the decision for every purpose of the policy in force."""

    policy: Policy
    history: SubjectHistory
    decisions: tuple[Decision, ...]  # in the policy's order of purposes


def check(
    session: Session,
    subject_id: str,
    purpose_id: str,
    at: datetime,
    recipient_id: str | None = None,
    *,
    policies: PolicyCache | None = None,
) -> Decision:
    """May we use (or provide to `recipient_id`) this person's data for this purpose at `at`?

    The one path from the question to `decide`: `hogo consent check`, the API and the console
    all ask here, with the policy in force at `at` and the history from `services.histories`.
    The API passes its long-lived `policies` so the policy is parsed once per revision.
    """
    policy = (policies or PolicyCache()).current(session, at)
    return decide(policy, history(session, subject_id), purpose_id, at, recipient_id)


def timeline(
    session: Session, subject_id: str, at: datetime, *, policies: PolicyCache | None = None
) -> Timeline:
    """`check` for every purpose at once (a person's page, `hogo consent history`, the API's
    timeline): the policy and the history are read once."""
    policy = (policies or PolicyCache()).current(session, at)
    hist = history(session, subject_id)
    return Timeline(policy, hist, tuple(decide(policy, hist, p.id, at) for p in policy.purposes))


def get_event(session: Session, event_id: str) -> tuple[ConsentEvent, int]:
    row = stored(
        session, ConsentEventRow, event_id, "その同意事象は記録されていません。", "no such consent event."
    )
    return row_to_event(row), row.ledger_seq
