"""Persons (本人) and what they said: consent events, objections and recorded legal exceptions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    StringConstraints,
    model_validator,
)

from hogo.domain.clock import FIRST_YEAR, LAST_YEAR, OutOfSpan, check_span, storable
from hogo.domain.contacts import checked_email, checked_phone
from hogo.domain.display import Labelled
from hogo.domain.ids import NAME_ID_CHARS, NAME_ID_MAX, Identifier, RecordId
from hogo.domain.model import Frozen


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


AwareDatetime = Annotated[datetime, AfterValidator(storable)]
#: Optional free text where blank means "not given" (spreadsheets leave cells empty or spaces).
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
#: Optional free text no longer than the store's column for it: a longer value is refused naming
#: its field, instead of failing the store's write (PostgreSQL) or being stored whole (SQLite).
Text64 = Annotated[Annotated[str, StringConstraints(max_length=64)] | None, BeforeValidator(_blank_to_none)]
Text256 = Annotated[Annotated[str, StringConstraints(max_length=256)] | None, BeforeValidator(_blank_to_none)]
Text512 = Annotated[Annotated[str, StringConstraints(max_length=512)] | None, BeforeValidator(_blank_to_none)]


def _birth_date(value: date | None) -> date | None:
    """A birth date in the years hogo takes days from outside (`clock.FIRST_YEAR`–`LAST_YEAR`), as
    the API always held it: a file or the command line gave 0001 or 9999, and the age it decides."""
    if value is not None:
        try:
            check_span(value)
        except OutOfSpan:
            years = f"{FIRST_YEAR}〜{LAST_YEAR}"
            raise ValueError(f"生年月日は{years}年で書いてください / must be in the years {years}") from None
    return value


EventId = RecordId
SubjectId = RecordId
#: A purpose id, or `*` for acceptance of a whole terms version.
PurposeRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=NAME_ID_MAX, pattern=rf"^(\*|[{NAME_ID_CHARS}]+)$"),
]

#: A consent event for this purpose id is acceptance of a whole terms version (a bundled
#: "agree to the terms"). It covers exactly the purposes that version lists, nothing added later.
ALL_PURPOSES_IN_TERMS = "*"

#: How far a consent's collection time may lie after the moment it is recorded: the clock of a
#: member site or of an officer's machine may run a little ahead. A later time is a mistake that,
#: once its date came, would outrank every choice the person had made before it.
COLLECTION_CLOCK_SKEW = timedelta(minutes=5)


class Subject(Frozen):
    subject_id: SubjectId
    birth_date: date | None = None
    identity_verified: bool = False


class SubjectPatch(Frozen):
    """What one request says about a person: only the fields it sets are changed.

    A registration, a re-import or `hogo subject add M… --email …` must not wipe what it does not
    mention (a stored birth date decides whether a guardian is needed). Pydantic's
    `model_fields_set` tells "not given" (keep) apart from an explicit null (clear).
    """

    subject_id: SubjectId
    birth_date: Annotated[date | None, AfterValidator(_birth_date)] = None
    identity_verified: bool = False
    email: Annotated[OptionalText, AfterValidator(checked_email)] = None
    phone: Annotated[OptionalText, AfterValidator(checked_phone)] = None

    def given(self, name: str) -> bool:
        return name in self.model_fields_set


class ConsentAction(Labelled, StrEnum):
    grant = "grant"
    deny = "deny"
    withdraw = "withdraw"
    object = "object"  # the person's request to stop provision or use (法27条2項, 法35条)


class ActionRank(IntEnum):
    """Tie-break for events at the same instant: the more protective action wins."""

    grant = 0
    deny = 1
    object = 2
    withdraw = 3


class ConsentMethod(Labelled, StrEnum):
    web_form = "web_form"
    app = "app"
    paper = "paper"
    email = "email"
    verbal = "verbal"
    api = "api"
    import_ = "import"
    privacy_center = "privacy_center"  # by the person in hogo's privacy center
    other = "other"


class IdentityCheck(Labelled, StrEnum):
    """How a person coming to the privacy center was identified (法33条, 通則編 3-8 本人確認)."""

    signed_link = "signed_link"  # a link signed by the member site where the person is logged in
    email_code = "email_code"  # a one-time code sent to the person's registered e-mail address


class ConsentEvent(Frozen):
    event_id: EventId
    subject_id: SubjectId
    purpose_id: PurposeRef
    action: ConsentAction
    collected_at: AwareDatetime
    terms_version: Text64 = None
    method: ConsentMethod = ConsentMethod.other
    evidence: Text512 = None
    guardian_name: Text256 = None
    guardian_relation: Text64 = None
    foreign_transfer_info_given: bool = False

    @model_validator(mode="after")
    def _bundled_grant_names_terms(self) -> Self:
        if self.is_bundled and self.action is ConsentAction.grant and self.terms_version is None:
            raise ValueError("acceptance of the terms (purpose_id '*') must name terms_version")
        return self

    @property
    def is_bundled(self) -> bool:
        return self.purpose_id == ALL_PURPOSES_IN_TERMS

    def order_key(self) -> tuple[datetime, int, str]:
        return (self.collected_at, ActionRank[self.action.value], self.event_id)


class ExceptionGround(StrEnum):
    """法27条1項 各号: provision without consent."""

    laws = "laws"  # 1号 法令に基づく場合
    life_body_property = "life_body_property"  # 2号 人の生命、身体又は財産の保護
    public_health_children = "public_health_children"  # 3号 公衆衛生・児童の健全な育成
    government_cooperation = "government_cooperation"  # 4号 国の機関等への協力
    academic_teaching = "academic_teaching"  # 5号 学術研究の成果の公表又は教授
    academic_research = "academic_research"  # 6号 学術研究目的(共同研究)
    academic_recipient = "academic_recipient"  # 7号 第三者が学術研究機関等

    @property
    def item(self) -> int:
        return list(ExceptionGround).index(self) + 1


class LegalException(Frozen):
    """A recorded provision under a 法27条1項 ground, with who decided it and why."""

    exception_id: EventId
    subject_id: SubjectId
    purpose_id: Identifier
    ground: ExceptionGround
    recorded_at: AwareDatetime
    recipient_id: Identifier | None = None
    valid_until: AwareDatetime | None = None
    note: str = ""

    def applies(self, purpose_id: str, recipient_id: str | None, at: datetime) -> bool:
        return (
            self.purpose_id == purpose_id
            and (self.recipient_id is None or self.recipient_id == recipient_id)
            and self.recorded_at <= at
            and (self.valid_until is None or at < self.valid_until)
        )


class SubjectHistory(Frozen):
    """Everything known about one person that a decision may look at."""

    subject: Subject
    events: tuple[ConsentEvent, ...] = ()
    exceptions: tuple[LegalException, ...] = ()
