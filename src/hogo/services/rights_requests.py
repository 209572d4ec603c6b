"""Rights requests (本人からの請求, 法32条〜35条) as tracked cases: file, verify the person's
identity, decide (with the statutory ground for any refusal), carry out, answer, extend.

Each function works in the caller's session. Every step is written to the case's steps and
appended to the ledger in the same transaction; the ledger gets the request id, codes, counts
and digests, and names the person only by their pseudonym (`services.person_keys`, forgotten
when the person is erased) on the step that files the request (never the person's words,
contacts or corrected values: those as SHA-256 digests).

Carrying out uses the services that already do each thing: 利用停止・第三者提供の停止 record
`object` consent events (`services.capture`), so every later decision, bulk eligibility and
release excludes the person; 訂正 patches the person (`services.subjects`); 消去 is
`services.erasure.erase`; 開示 is `services.disclosure`. For 法35 requests the recipients that
received the person's data (法29条 records) are listed for the officer to inform, and a
suppression entry (`services.suppression`) stops an import bringing the person back silently.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain import shredding as sh
from hogo.domain.clock import JST, as_aware, to_jst
from hogo.domain.consent import ConsentAction, ConsentMethod, SubjectPatch
from hogo.domain.ledger import EntryKind, canonical, canonical_sha256
from hogo.domain.model import Frozen
from hogo.domain.policy import Policy, Purpose, PurposeKind, Relationship
from hogo.domain.rights import request as rr
from hogo.domain.rights.answer import Notice, notice
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestKind,
    RequestOutcome,
    RequestState,
    RequestStepKind,
    VerificationLevel,
)
from hogo.errors import Conflict, InputError, NotFound
from hogo.services import ledger, person_keys, suppression
from hogo.services.capture import CaptureDetails, Choice, capture
from hogo.services.disclosure import disclosure
from hogo.services.erasure import erase
from hogo.services.mail import Mail, MailFailed, Sender
from hogo.services.policy import require_policy
from hogo.services.provisions import provisions_for
from hogo.services.subjects import get_subject, patch_subjects
from hogo.store.rights_requests import RightsRequestRow, RightsRequestStepRow
from hogo.store.rows import view_of
from hogo.store.tables import SubjectRow

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_NAMESPACE = uuid.UUID("6f1c1f0e-8a52-4c1e-9d0e-35a7a1b2c3d4")

#: How the consent events a 法35 request turns into were "collected": by the request's channel.
_METHODS: dict[RequestChannel, ConsentMethod] = {
    RequestChannel.privacy_center: ConsentMethod.web_form,
    RequestChannel.api: ConsentMethod.api,
    RequestChannel.email: ConsentMethod.email,
    RequestChannel.post: ConsentMethod.paper,
    RequestChannel.counter: ConsentMethod.paper,
    RequestChannel.phone: ConsentMethod.verbal,
}


class _OfCase(Generic[T]):
    """What a view shows of its case, read from the case (the front ends read `view.state`)."""

    def __init__(self, read: Callable[[rr.RightsRequest], T]) -> None:
        self.read = read

    def __get__(self, view: RequestView, owner: type[RequestView] | None = None) -> T:
        return self.read(view.case)


@dataclass(frozen=True)
class RequestView:
    """One case as the front ends (the console, the API, the privacy center) show it."""

    request_id: str
    #: None once the person is erased.
    subject_id: str | None
    channel: RequestChannel
    case: rr.RightsRequest

    kind = _OfCase(lambda case: case.kind)
    state = _OfCase(lambda case: case.state)
    received_at = _OfCase(lambda case: case.received_at)
    deadline = _OfCase(lambda case: case.deadline)
    answered_at = _OfCase(lambda case: case.answered_at)
    verification = _OfCase(lambda case: case.verification)
    outcome = _OfCase(lambda case: case.decision.outcome if case.decision else None)

    def overdue(self, now: datetime) -> bool:
        return self.case.overdue(now)

    def days_left(self, now: datetime) -> int:
        return self.case.days_left(now)


@dataclass(frozen=True)
class BoardLine:
    view: RequestView
    overdue: bool
    days_left: int


class StepEntry(Frozen):
    """One step of a case as recorded (the API's output derives from it)."""

    at: datetime
    step: RequestStepKind
    summary_ja: str
    summary_en: str
    ledger_seq: int


@dataclass(frozen=True)
class Answer:
    """The answer: the notice (result, grounds, recipients) and what it discloses (開示, 通知)."""

    notice: Notice
    content: dict[str, Any] | None
    organization: dict[str, Any]


def _refused(exc: rr.StepRefused) -> InputError:
    return InputError(exc.ja, exc.en, field=exc.field)


def _now(at: datetime | None) -> datetime:
    return as_aware(at) if at is not None else datetime.now(JST)


def _view(row: RightsRequestRow) -> RequestView:
    case = rr.RightsRequest.model_validate_json(row.document)
    return RequestView(row.request_id, row.subject_id, RequestChannel(row.channel), case)


def _load(session: Session, request_id: str) -> RightsRequestRow:
    usable = len(request_id) <= 32 and "\x00" not in request_id  # never sent to the store (PostgreSQL)
    row = session.get(RightsRequestRow, request_id) if usable else None
    if row is None:
        raise NotFound("その請求は登録されていません。", "no such request.")
    return row


def _save(row: RightsRequestRow, case: rr.RightsRequest) -> RequestView:
    row.document = case.model_dump_json()
    row.state = case.state.value
    row.deadline = case.deadline
    row.answered_at = case.answered_at
    row.updated_at = datetime.now(UTC)
    return _view(row)


def _record(
    session: Session,
    request_id: str,
    step: RequestStepKind,
    at: datetime,
    payload: Mapping[str, Any],
    ledger_extra: Mapping[str, Any] | None = None,
) -> int:
    """One step, mirrored into the ledger; `ledger_extra` goes to the ledger only (the ref)."""
    body = {"step": step.value, **payload}
    seq = ledger.append(
        session, EntryKind.rights_request, f"request:{request_id}", {**body, **(ledger_extra or {})}
    )
    session.add(
        RightsRequestStepRow(
            request_id=request_id,
            at=at,
            step=step.value,
            summary_ja=step.ja,
            summary_en=step.en,
            payload=canonical(body).decode("utf-8"),
            ledger_seq=seq,
        )
    )
    return seq


def details_of(values: Mapping[str, Any]) -> rr.Details:
    """Details from a front end's own parsing, refused naming the field (`Details` holds the bounds)."""
    return _model(
        rr.Details, values, ("請求の内容が正しくありません。", "the request's details are not valid.")
    )


def partial_of(values: Mapping[str, Any]) -> rr.Partial:
    """What to do of a partly refused request, from a front end's own parsing (`Partial`'s bounds)."""
    return _model(
        rr.Partial, values, ("実施する範囲が正しくありません。", "the part to carry out is not valid.")
    )


def _model(kind: type[M], values: Mapping[str, Any], texts: tuple[str, str]) -> M:
    try:
        return kind.model_validate(dict(values))
    except ValidationError as exc:
        loc = exc.errors(include_url=False, include_input=False)[0]["loc"]
        field = ".".join(str(x) for x in loc) or None
        raise InputError(*texts, field=field) from None


def _correction_patch(subject_id: str, corrections: Mapping[str, str | None]) -> SubjectPatch:
    """The corrections as a person patch; a value the person record cannot hold is refused."""
    given: dict[str, object] = {"subject_id": subject_id}
    for name, value in corrections.items():
        given[name] = value
    try:
        return SubjectPatch.model_validate(given)
    except ValidationError as exc:
        loc = exc.errors(include_url=False, include_input=False)[0]["loc"]
        field = f"corrections.{loc[0]}" if loc else "corrections"
        raise InputError(
            "訂正等の値が正しくありません。", "a corrected value is not valid.", field=field
        ) from None


def _check_purposes(policy: Policy, details: rr.Details) -> None:
    known = {p.id for p in policy.purposes}
    for i, purpose in enumerate(details.purposes):
        if purpose not in known:
            raise InputError("ポリシーにない利用目的です。", "unknown purpose.", field=f"purposes.{i}")


def file_request(
    session: Session,
    subject_id: str,
    kind: RequestKind,
    details: rr.Details,
    verification: VerificationLevel | None,
    channel: RequestChannel,
    *,
    received_at: datetime | None = None,
) -> RequestView:
    """Receive a request; with `verification` the person's identity is confirmed on arrival
    (a signed link, a code sent to the registered address). The deadline is the policy's
    `rights_request_days` after arrival."""
    get_subject(session, subject_id)
    policy = require_policy(session)
    _check_purposes(policy, details)
    if details.corrections:
        _correction_patch(subject_id, {k.value: v for k, v in details.corrections.items()})
    at = _now(received_at)
    try:
        case = rr.new_request(kind, details, at, policy.settings.rights_request_days)
    except rr.StepRefused as exc:
        raise _refused(exc) from None
    request_id = ledger.next_case_id(session, RightsRequestRow.request_id, "RR", at)
    row = RightsRequestRow(
        request_id=request_id,
        kind=kind.value,
        subject_id=subject_id,
        channel=channel.value,
        received_at=case.received_at,
    )
    _save(row, case)
    session.add(row)
    session.flush()
    payload = {
        "kind": kind.value,
        "channel": channel.value,
        "requester": details.requester.value,
        "claim": details.claim.value if details.claim else None,
        "purposes": list(details.purposes),
        "details_sha256": canonical_sha256(details.model_dump(mode="json")),
        "deadline": case.deadline.isoformat(),
    }
    person = person_keys.ensure(session, [subject_id], data=False)[subject_id].pseudonym
    _record(session, request_id, RequestStepKind.received, at, payload, {sh.PERSON: person})
    if verification is not None:
        return verify(session, request_id, verification, at=at)
    return _view(row)


def requests_of(session: Session, subject_id: str) -> list[RequestView]:
    """The person's requests, newest first (the privacy center lists them)."""
    rows = session.scalars(
        select(RightsRequestRow)
        .where(RightsRequestRow.subject_id == subject_id)
        .order_by(RightsRequestRow.received_at.desc(), RightsRequestRow.request_id.desc())
    )
    return [_view(r) for r in rows]


def get(session: Session, request_id: str) -> RequestView:
    return _view(_load(session, request_id))


def _step(
    session: Session,
    request_id: str,
    at: datetime | None,
    step: Callable[[rr.RightsRequest, datetime], rr.RightsRequest],
) -> tuple[RightsRequestRow, rr.RightsRequest, datetime]:
    """The stored case moved one step by the domain at `at` (now when None): its row, the case
    after the step, and the time; a step the case does not allow is refused (`_refused`)."""
    row = _load(session, request_id)
    when = _now(at)
    try:
        return row, step(_view(row).case, when), when
    except rr.StepRefused as exc:
        raise _refused(exc) from None


def verify(
    session: Session, request_id: str, level: VerificationLevel, *, at: datetime | None = None
) -> RequestView:
    """Record how the person's identity was confirmed (法33条・37条; 通則編 3-8)."""
    row, case, when = _step(session, request_id, at, lambda case, when: rr.verify(case, level, when))
    _record(session, request_id, RequestStepKind.identity_verified, when, {"level": level.value})
    return _save(row, case)


def decide_request(
    session: Session, request_id: str, decision: rr.Decision, *, at: datetime | None = None
) -> RequestView:
    """Allow, partly refuse or refuse, with the statutory ground of any refusal (法36条)."""
    row, case, when = _step(
        session, request_id, at, lambda case, when: rr.decide_request(case, decision, when)
    )
    payload = {
        "outcome": decision.outcome.value,
        "grounds": list(decision.grounds),
        "note_sha256": hashlib.sha256(decision.note.encode("utf-8")).hexdigest(),
    }
    _record(session, request_id, RequestStepKind.decided, when, payload)
    return _save(row, case)


def _subject_of(row: RightsRequestRow) -> str:
    if row.subject_id is None:
        raise Conflict("本人は消去済みです。", "the person has been erased.")
    return row.subject_id


def recipients_of(session: Session, subject_id: str) -> list[dict[str, Any]]:
    """The recipients that received the person's data (法29条 records), to be informed of a
    法35 request: one line per recipient, with the last provision and the purposes."""
    by_recipient: dict[str, dict[str, Any]] = {}
    for r in provisions_for(session, subject_id):
        if r.mode.value != "personal":
            continue
        line = by_recipient.setdefault(
            r.recipient_id,
            {
                "recipient_id": r.recipient_id,
                "name": r.recipient_name,
                "country": r.recipient_country,
                "provisions": 0,
                "purposes": [],
                "last_provided_on": "",
            },
        )
        line["provisions"] += 1
        if r.purpose_id not in line["purposes"]:
            line["purposes"].append(r.purpose_id)
        line["last_provided_on"] = max(line["last_provided_on"], to_jst(r.provided_at).date().isoformat())
    return sorted(by_recipient.values(), key=lambda x: str(x["recipient_id"]))


def stoppable(session: Session, request_id: str) -> list[tuple[str, str]]:
    """The purposes a 法35 stop request covers, with their titles (what a partial stop picks from)."""
    case = _view(_load(session, request_id)).case
    if case.kind not in (RequestKind.stop_use, RequestKind.stop_provision):
        return []
    policy = require_policy(session)
    titles = {p.id: p.title for p in policy.purposes}
    return [(p, titles.get(p, p)) for p in _purposes_to_stop(policy, case)]


def _purposes_to_stop(policy: Policy, case: rr.RightsRequest) -> list[str]:
    """The purposes named, else every purpose (stop use) or every providing purpose (stop provision)."""
    if case.details.purposes:
        return list(case.details.purposes)
    if case.kind is RequestKind.stop_provision:
        return providing_purposes(policy)
    return [p.id for p in policy.purposes]


def providing_purposes(policy: Policy) -> list[str]:
    """The purposes a stop of provision to third parties (法35条3項) can concern."""
    return [p.id for p in policy.purposes if _provides(policy, p)]


def _provides(policy: Policy, purpose: Purpose) -> bool:
    """The purpose provides to a third party (outsourcees, successors, joint users are not, 法27条5項)."""
    if purpose.kind is PurposeKind.third_party_provision:
        return True
    recipients = (policy.recipient(r) for r in purpose.recipients)
    return any(r is not None and r.relationship is Relationship.third_party for r in recipients)


def _object(
    session: Session,
    row: RightsRequestRow,
    subject_id: str,
    case: rr.RightsRequest,
    at: datetime,
    partial: rr.Partial,
) -> dict[str, Any]:
    """利用停止・第三者提供の停止: one `object` event per purpose, through consent capture."""
    purposes = _purposes_to_stop(require_policy(session), case)
    if partial.purposes is not None:
        if not set(partial.purposes) <= set(purposes):
            raise InputError(
                "請求の対象でない利用目的です。", "a purpose the request does not cover.", field="purposes"
            )
        purposes = [p for p in purposes if p in partial.purposes]
    if not purposes:
        return {"objected_purposes": [], "events": 0}
    request_id = row.request_id
    method = _METHODS[RequestChannel(row.channel)]
    details = CaptureDetails(
        subject_id=subject_id, collected_at=at, method=method, evidence=f"request:{request_id}"
    )
    choices = [Choice(p, ConsentAction.object) for p in purposes]
    done = capture(
        session, details, choices, False, lambda i: str(uuid.uuid5(_NAMESPACE, f"{request_id}\x1f{i}"))
    )
    return {"objected_purposes": purposes, "events": done.result.recorded}


def _suppress(session: Session, request_id: str, subject_id: str, *, erased: bool) -> int:
    key = suppression.token_key()
    person = session.get_one(SubjectRow, subject_id)
    tokens = suppression.tokens_of(key, subject_id, person.email, person.phone)
    return suppression.add(session, request_id, tokens, key, erased=erased)


def _correct(
    session: Session, subject_id: str, case: rr.RightsRequest, partial: rr.Partial
) -> dict[str, Any]:
    """訂正等: patch the person; the ledger seals the before and after of each field as digests."""
    fields = partial.fields
    wanted = {k.value: v for k, v in case.details.corrections.items() if fields is None or k in fields}
    if not wanted:
        raise InputError("訂正する項目を選んでください。", "choose the fields to correct.", field="fields")
    person = session.get_one(SubjectRow, subject_id)
    patch = _correction_patch(subject_id, wanted)
    before = {name: getattr(person, name) for name in wanted}
    changes = patch_subjects(session, [patch])
    after = {name: getattr(person, name) for name in wanted}
    sealed = {
        name: {
            "before_sha256": canonical_sha256(_plain(before[name])),
            "after_sha256": canonical_sha256(_plain(after[name])),
        }
        for name in sorted(wanted)
    }
    return {"fields": sorted(wanted), "changed": changes.updated, "values": sealed}


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _erase(session: Session, row: RightsRequestRow, subject_id: str) -> dict[str, Any]:
    """消去: the person's rows go (`erasure.erase`), and so does every trace in their requests:
    the subject id, what was disclosed to them, their own words and corrected values."""
    done = erase(session, subject_id)
    for other in session.scalars(select(RightsRequestRow).where(RightsRequestRow.subject_id == subject_id)):
        other.subject_id, other.content = None, None
        if other.request_id != row.request_id:
            _save(other, rr.forget_person(_view(other).case))
    return {"erasure_id": done.erasure_id, "erasure_seq": done.ledger_seq, "rows": dict(done.rows)}


def _carry(
    session: Session,
    row: RightsRequestRow,
    case: rr.RightsRequest,
    at: datetime,
    partial: rr.Partial,
    signing_key: Ed25519PrivateKey | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What carrying out does per kind: (the result, which the ledger seals, and the content)."""
    subject_id = _subject_of(row)
    if case.kind is RequestKind.disclosure:
        content = _withheld(disclosure(session, subject_id, at, signing_key), partial)
        return _content_result(content), content
    if case.kind is RequestKind.purpose_notice:
        content = {"purposes_of_use": disclosure(session, subject_id, at)["purposes_of_use"]}
        return _content_result(content), content
    if case.kind is RequestKind.correction:
        return _correct(session, subject_id, case, partial), None
    result: dict[str, Any] = {"recipients": recipients_of(session, subject_id)}
    erased = case.kind is RequestKind.erasure
    result["suppressed"] = _suppress(session, row.request_id, subject_id, erased=erased)
    if erased:
        result.update(_erase(session, row, subject_id))
    else:
        result.update(_object(session, row, subject_id, case, at, partial))
    return result, None


def _withheld(content: dict[str, Any], partial: rr.Partial) -> dict[str, Any]:
    """A disclosure partly refused (法33条2項): the withheld sections emptied and named."""
    for section in partial.withhold:
        content[section.value] = []
    if partial.withhold:
        content["withheld"] = [s.value for s in partial.withhold]
    return content


def _content_result(content: Mapping[str, Any]) -> dict[str, Any]:
    counts = {k: len(v) for k, v in content.items() if isinstance(v, list)}
    return {"content_sha256": canonical_sha256(content), "counts": counts}


def carry_out(
    session: Session,
    request_id: str,
    *,
    at: datetime | None = None,
    partial: rr.Partial | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> RequestView:
    """Do what was decided; `partial` narrows it where part was refused (the fields corrected,
    the purposes stopped, the disclosure sections withheld), recorded in the result."""
    row = _load(session, request_id)
    when = _now(at)
    case = _view(row).case
    partial = partial or rr.Partial()
    try:
        rr.carry_out(case, when, {})  # refuse before doing anything the case does not allow
        rr.check_partial(case, partial)
    except rr.StepRefused as exc:
        raise _refused(exc) from None
    result, content = _carry(session, row, case, when, partial, signing_key)
    if partial.narrows:
        result["partial"] = partial.model_dump(mode="json", exclude_none=True)
    done = rr.carry_out(case, when, result)
    if case.kind is RequestKind.erasure:
        done = rr.forget_person(done)
    if content is not None:
        row.content = json.dumps(content, ensure_ascii=False, default=str)
    ledger_result = {k: v for k, v in result.items() if k != "recipients"}
    ledger_result["recipients"] = [r["recipient_id"] for r in result.get("recipients", [])]
    _record(session, request_id, RequestStepKind.carried_out, when, {"result": ledger_result})
    return _save(row, done)


def answer(session: Session, request_id: str, *, at: datetime | None = None) -> RequestView:
    """Record that the person was sent the answer (法32条3項・33条3項・34条3項・35条7項)."""
    row, case, when = _step(session, request_id, at, rr.answer)
    view = _save(row, case)
    document = answer_of(session, request_id)
    payload = {
        "outcome": case.decision.outcome.value if case.decision else None,
        "notice_sha256": canonical_sha256(document.notice.model_dump(mode="json")),
    }
    _record(session, request_id, RequestStepKind.answered, when, payload)
    return view


def extend(
    session: Session, request_id: str, until: datetime, reason: str, *, at: datetime | None = None
) -> RequestView:
    """Move the deadline later, with the reason (kept with the case; the ledger has its digest)."""
    row, case, when = _step(session, request_id, at, lambda case, when: rr.extend(case, until, reason, when))
    payload = {
        "until": case.deadline.isoformat(),
        "reason_sha256": hashlib.sha256(reason.strip().encode("utf-8")).hexdigest(),
    }
    _record(session, request_id, RequestStepKind.extended, when, payload)
    return _save(row, case)


def board(session: Session, now: datetime, *, include_answered: bool = False) -> list[BoardLine]:
    """Every open request (with answered ones on asking): overdue first, then by deadline."""
    stmt = select(RightsRequestRow).order_by(RightsRequestRow.deadline, RightsRequestRow.request_id)
    if not include_answered:
        stmt = stmt.where(RightsRequestRow.state != RequestState.answered.value)
    lines = [
        BoardLine(view, view.overdue(now), view.days_left(now)) for view in map(_view, session.scalars(stmt))
    ]
    return sorted(lines, key=lambda line: (not line.overdue, line.view.deadline, line.view.request_id))


def steps(session: Session, request_id: str) -> list[StepEntry]:
    _load(session, request_id)
    rows = session.scalars(
        select(RightsRequestStepRow)
        .where(RightsRequestStepRow.request_id == request_id)
        .order_by(RightsRequestStepRow.id)
    )
    return [view_of(StepEntry, r, step=RequestStepKind(r.step)) for r in rows]


def answer_of(session: Session, request_id: str) -> Answer:
    """The answer to a decided request (the notice, and what it discloses) for rendering."""
    row = _load(session, request_id)
    case = _view(row).case
    if case.decision is None or (
        case.decision.outcome is not RequestOutcome.refused and case.carried_out_at is None
    ):
        raise Conflict(
            "回答は、決定し(行う場合は実施し)た後に作成できます。",
            "an answer can be made once the request is decided (and carried out, unless refused).",
        )
    policy = require_policy(session)
    content = json.loads(row.content) if row.content else None
    return Answer(notice(request_id, case), content, policy.organization.model_dump())


class AnswerMail(StrEnum):
    """What became of the e-mail telling the person their answer is ready."""

    sent = "sent"
    #: No registered address (or the person is erased): the answer waits in the privacy center.
    no_address = "no_address"
    #: No sender configured (HOGO_SMTP_HOST unset).
    not_configured = "not_configured"
    failed = "failed"


def _answer_ready_mail(to: str, request_id: str, entry_url: str) -> Mail:
    """A notice that the answer is ready, with the way in: never the answer itself (an e-mail
    may be read on its way or reach the wrong inbox; the answer is read after 本人確認)."""
    text = (
        f"ご請求(受付番号 {request_id})への回答をご用意しました。\n"
        "回答の内容は、プライバシーセンターで本人確認のうえご確認ください"
        "(PDF・JSON でダウンロードもできます)。\n"
        f"{entry_url}\n\n"
        "このメールには回答の内容を記載していません。お心当たりのない場合は、このメールを破棄してください。\n\n"
        f"The answer to your request {request_id} is ready. Please read it in the privacy center,\n"
        "after confirming it is you (PDF and JSON downloads are there too):\n"
        f"{entry_url}\n\n"
        "This message does not contain the answer. If you did not make a request, please ignore it.\n"
    )
    return Mail(to=to, subject="ご請求への回答のお知らせ / Your answer is ready", text=text)


def notify_answered(session: Session, request_id: str, sender: Sender | None, entry_url: str) -> AnswerMail:
    """Tell the person by e-mail that the answer to an answered request is ready (法32条3項・
    33条3項・34条3項・35条7項 notify; the content is read in the privacy center). A failure to
    send does not undo the answer: the outcome says what happened, for the officer to follow up."""
    row = _load(session, request_id)
    if _view(row).state is not RequestState.answered:
        raise Conflict("回答を記録した請求ではありません。", "the request has not been answered.")
    person = session.get(SubjectRow, row.subject_id) if row.subject_id is not None else None
    if person is None or not person.email:
        return AnswerMail.no_address
    if sender is None:
        return AnswerMail.not_configured
    try:
        sender.send(_answer_ready_mail(person.email, request_id, entry_url))
    except MailFailed:
        return AnswerMail.failed
    return AnswerMail.sent
