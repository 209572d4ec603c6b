"""A rights request as one value, and the only ways it changes: the case's state machine.

received → identity_verified → decided → carried_out → answered; a refusal is answered
without carrying anything out, and nothing follows the answer. The person's identity must be
confirmed before anything is decided (法33条・法37条; 通則編 3-8), so every decided request
records how. Each request has a deadline: "遅滞なく" has no number in the Act, so it is the
policy setting `rights_request_days` (14 days by default, P-mark practice); the officer may
extend it, never shorten it, and only with a reason.

Every function is pure and returns a new value or raises `StepRefused`, whose Japanese and
English texts name the field at fault; the service records each step in the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import Field, model_validator

from hogo.domain.clock import as_aware, to_jst
from hogo.domain.consent import AwareDatetime
from hogo.domain.display import Labelled
from hogo.domain.ids import Identifier
from hogo.domain.model import Frozen
from hogo.domain.rights.grounds import grounds_for
from hogo.domain.rights.kinds import (
    ARTICLE_35,
    CLAIMS,
    DisclosureMethod,
    RequestClaim,
    Requester,
    RequestKind,
    RequestOutcome,
    RequestState,
    VerificationLevel,
)

#: Default of the policy setting `rights_request_days`.
DEFAULT_DAYS = 14
#: An extension reaches at most this far past the request (a deadline is not a shelf).
MAX_EXTENSION_DAYS = 90


class StepRefused(ValueError):
    """A step the case does not allow now, or input the step cannot take."""

    def __init__(self, ja: str, en: str, field: str | None = None) -> None:
        super().__init__(en)
        self.ja, self.en, self.field = ja, en, field


class CorrectableField(Labelled, StrEnum):
    """The attributes hogo keeps about a person that a correction (法34条) can change."""

    birth_date = "birth_date"
    email = "email"
    phone = "phone"


class Details(Frozen):
    """What the person asked, beyond the kind."""

    #: The person's own words (kept with the case, never in the ledger: it may name people).
    text: str = Field(default="", max_length=4000)
    requester: Requester = Requester.person
    #: 法35: why the person asks (the paragraph, and so the grounds, follow from it).
    claim: RequestClaim | None = None
    #: 法35 stop of use or provision: the purposes concerned; empty means every purpose it can.
    purposes: tuple[Identifier, ...] = Field(default=(), max_length=200)
    #: 法33条1項: the disclosure method the person asks for.
    method: DisclosureMethod = DisclosureMethod.electronic
    #: 法34: the field and the value the person says is true (None: delete the value).
    corrections: dict[CorrectableField, str | None] = Field(default_factory=dict)


def check_details(kind: RequestKind, details: Details) -> None:
    """Refuse details that do not fit the kind (a claim only under 法35, corrections only under 34)."""
    if kind in ARTICLE_35:
        if details.claim is None:
            raise StepRefused("請求の理由を選んでください。", "choose the reason for the request.", "claim")
        if details.claim not in CLAIMS[kind]:
            raise StepRefused(
                "この請求の種類には選べない理由です。",
                "this reason does not fit the kind of request.",
                "claim",
            )
    elif details.claim is not None:
        raise StepRefused("理由はこの種類の請求には指定できません。", "no reason for this kind.", "claim")
    if kind is RequestKind.correction and not details.corrections:
        raise StepRefused("訂正等の内容を指定してください。", "give what to correct.", "corrections")
    if kind is not RequestKind.correction and details.corrections:
        raise StepRefused(
            "訂正等の内容は訂正等の請求にのみ指定できます。", "corrections only for 訂正等.", "corrections"
        )
    if details.purposes and kind not in (RequestKind.stop_use, RequestKind.stop_provision):
        raise StepRefused(
            "利用目的は利用停止・第三者提供の停止の請求にのみ指定できます。",
            "purposes only for stopping use or provision.",
            "purposes",
        )


class DisclosureSection(Labelled, StrEnum):
    """Parts of the disclosure answer (法33条1項・5項) a partial refusal may withhold."""

    consent_events = "consent_events"
    legal_exceptions = "legal_exceptions"
    decisions = "decisions"
    third_party_provision_records = "third_party_provision_records"
    third_party_receipt_records = "third_party_receipt_records"


class Partial(Frozen):
    """What a partly refused request still does (`None`, empty: everything asked): the fields
    corrected (法34条), the purposes stopped (法35条), the disclosure sections withheld (法33条2項)."""

    fields: tuple[CorrectableField, ...] | None = Field(default=None, max_length=3)
    purposes: tuple[Identifier, ...] | None = Field(default=None, max_length=200)
    withhold: tuple[DisclosureSection, ...] = Field(default=(), max_length=5)

    @property
    def narrows(self) -> bool:
        return self.fields is not None or self.purposes is not None or bool(self.withhold)


class Decision(Frozen):
    outcome: RequestOutcome
    #: Codes of `hogo.domain.rights.grounds`; at least one unless allowed (法36条).
    grounds: tuple[str, ...] = Field(default=(), max_length=10)
    #: The officer's explanation to the person (what was done instead, which part is refused).
    note: str = Field(default="", max_length=4000)


class Extension(Frozen):
    at: AwareDatetime
    until: AwareDatetime
    reason: str = Field(min_length=1, max_length=2000)


class RightsRequest(Frozen):
    kind: RequestKind
    details: Details = Details()
    received_at: AwareDatetime
    #: The deadline set when the request arrived (received_at + the policy's days).
    due_at: AwareDatetime
    state: RequestState = RequestState.received
    verification: VerificationLevel | None = None
    verified_at: AwareDatetime | None = None
    decision: Decision | None = None
    decided_at: AwareDatetime | None = None
    carried_out_at: AwareDatetime | None = None
    #: What carrying out did (counts, ids, digests): shown in the answer, never personal values.
    result: dict[str, Any] = Field(default_factory=dict)
    answered_at: AwareDatetime | None = None
    extensions: tuple[Extension, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_details(self.kind, self.details)
        if self.due_at <= self.received_at:
            raise ValueError("the deadline must be after the request arrived")
        return self

    @property
    def deadline(self) -> datetime:
        """The deadline in force: the last extension's, else the one set on arrival."""
        return self.extensions[-1].until if self.extensions else self.due_at

    @property
    def open(self) -> bool:
        return self.state is not RequestState.answered

    def overdue(self, now: datetime) -> bool:
        return self.open and as_aware(now) > self.deadline

    def days_left(self, now: datetime) -> int:
        """Calendar days (JST) from `now` to the deadline; negative once it has passed."""
        return (to_jst(self.deadline).date() - to_jst(as_aware(now)).date()).days


def new_request(
    kind: RequestKind,
    details: Details,
    received_at: datetime,
    days: int = DEFAULT_DAYS,
    verification: VerificationLevel | None = None,
) -> RightsRequest:
    """A request as received; with `verification` (a signed link from the member site, a code
    sent to the registered address) the identity is confirmed on arrival."""
    if days < 1:
        raise StepRefused("期限の日数は1日以上です。", "the deadline needs at least one day.", "days")
    check_details(kind, details)
    at = as_aware(received_at)
    request = RightsRequest(kind=kind, details=details, received_at=at, due_at=at + timedelta(days=days))
    return request if verification is None else verify(request, verification, at)


def _require(request: RightsRequest, *states: RequestState) -> None:
    if request.state not in states:
        now = request.state
        raise StepRefused(
            f"この請求は「{now.ja}」の段階のため、この操作はできません。",
            f"the request is at '{now.en}', so this step is not possible now.",
            "state",
        )


def _not_before(request: RightsRequest, at: datetime) -> datetime:
    at = as_aware(at)
    if at < request.received_at:
        raise StepRefused("日時が請求の受付より前です。", "the time is before the request arrived.", "at")
    return at


def verify(request: RightsRequest, level: VerificationLevel, at: datetime) -> RightsRequest:
    _require(request, RequestState.received)
    at = _not_before(request, at)
    return request.model_copy(
        update={"state": RequestState.identity_verified, "verification": level, "verified_at": at}
    )


def check_decision(request: RightsRequest, decision: Decision) -> None:
    """法36条: a refusal (whole or part) names its statutory grounds, and only grounds that fit."""
    allowed = {g.code for g in grounds_for(request.kind, request.details.claim)}
    if decision.outcome is RequestOutcome.allowed:
        if decision.grounds:
            raise StepRefused(
                "請求どおり行う場合、拒否の根拠は指定できません。", "no grounds when allowing.", "grounds"
            )
        return
    if not decision.grounds:
        raise StepRefused(
            "全部又は一部を行わない場合は、その根拠(条文)を選んでください(法36条)。",
            "a refusal, whole or in part, needs its statutory ground (art. 36).",
            "grounds",
        )
    if any(g not in allowed for g in decision.grounds) or len(set(decision.grounds)) != len(decision.grounds):
        raise StepRefused(
            "この請求には使えない根拠が含まれています。", "a ground does not fit this request.", "grounds"
        )


def decide_request(request: RightsRequest, decision: Decision, at: datetime) -> RightsRequest:
    _require(request, RequestState.identity_verified)
    at = _not_before(request, at)
    check_decision(request, decision)
    return request.model_copy(update={"state": RequestState.decided, "decision": decision, "decided_at": at})


def check_partial(request: RightsRequest, partial: Partial) -> None:
    """Doing less than was asked needs a decision to refuse part (法36条), and only narrows what
    this kind of request does: fields it asks to correct, purposes, sections of a disclosure."""
    if not partial.narrows:
        return
    if request.decision is None or request.decision.outcome is not RequestOutcome.partly:
        raise StepRefused(
            "実施する範囲を限定できるのは、一部を行わないと決定した請求だけです。",
            "only a request decided as partly refused can be carried out in part.",
            "partial",
        )
    kind = request.kind
    if partial.fields is not None and (
        kind is not RequestKind.correction or not set(partial.fields) <= set(request.details.corrections)
    ):
        raise StepRefused(
            "請求にない訂正項目です。", "a field the request does not ask to correct.", "fields"
        )
    if partial.purposes is not None and kind not in (RequestKind.stop_use, RequestKind.stop_provision):
        raise StepRefused(
            "利用目的はこの請求には指定できません。", "no purposes for this request.", "purposes"
        )
    if partial.withhold and kind is not RequestKind.disclosure:
        raise StepRefused("開示以外の請求には指定できません。", "only a disclosure has sections.", "withhold")


def carry_out(request: RightsRequest, at: datetime, result: Mapping[str, Any]) -> RightsRequest:
    """Record that what was decided has been done (nothing to do after a whole refusal)."""
    _require(request, RequestState.decided)
    assert request.decision is not None
    if request.decision.outcome is RequestOutcome.refused:
        raise StepRefused(
            "全部を行わないと決定した請求は、実施せずに回答します。",
            "a request refused in whole is answered without carrying anything out.",
            "state",
        )
    at = _not_before(request, at)
    return request.model_copy(
        update={"state": RequestState.carried_out, "carried_out_at": at, "result": dict(result)}
    )


def answer(request: RightsRequest, at: datetime) -> RightsRequest:
    """The person is notified of the result (法32条3項・33条3項・34条3項・35条7項)."""
    refused = request.decision is not None and request.decision.outcome is RequestOutcome.refused
    _require(request, RequestState.decided if refused else RequestState.carried_out)
    at = _not_before(request, at)
    return request.model_copy(update={"state": RequestState.answered, "answered_at": at})


def extend(request: RightsRequest, until: datetime, reason: str, at: datetime) -> RightsRequest:
    """Move the deadline later, with the reason; an answered request keeps its deadline."""
    if not request.open:
        raise StepRefused("回答済みの請求の期限は延長できません。", "the request is answered.", "state")
    at = _not_before(request, at)
    until = as_aware(until)
    if until <= request.deadline:
        raise StepRefused(
            "延長後の期限は現在の期限より後にしてください。", "the new deadline must be later.", "until"
        )
    if until > request.received_at + timedelta(days=MAX_EXTENSION_DAYS):
        raise StepRefused(
            f"期限は受付から{MAX_EXTENSION_DAYS}日までしか延長できません。",
            f"a deadline can be at most {MAX_EXTENSION_DAYS} days after the request.",
            "until",
        )
    if not reason.strip():
        raise StepRefused("延長の理由を入力してください。", "give the reason for the extension.", "reason")
    ext = Extension(at=at, until=until, reason=reason.strip())
    return request.model_copy(update={"extensions": (*request.extensions, ext)})


def forget_person(request: RightsRequest) -> RightsRequest:
    """The case without what the person wrote or asked to have recorded (after their erasure):
    the kind, claim, steps, decision and deadlines stay as the proof of how it was handled."""
    details = request.details.model_copy(
        update={"text": "", "corrections": dict.fromkeys(request.details.corrections, "")}
    )
    return request.model_copy(update={"details": details})
