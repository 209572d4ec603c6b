"""API input and output schemas, apart from domain models and tables.

Output schemas list exactly what may leave the system: no password or token hashes, no contact
details of persons. Personal values (a birth date, a guardian's name, consent evidence that may
name a person) reach only callers with the `personal_data` permission; everyone else gets null
and a `*_present` flag saying whether there is a value (the table is in docs/api.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from hogo.domain.clock import FIRST_EVENT_YEAR, as_aware, check_span
from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod, PurposeRef, Subject
from hogo.domain.decision import Decision
from hogo.domain.ids import RecordId
from hogo.domain.policy import Policy


def _strict_day(value: Any) -> Any:
    """A day as the text YYYY-MM-DD (never a number), in 1900–2099."""
    if isinstance(value, str) and _DAY.fullmatch(value):
        value = date.fromisoformat(value)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError("must be a date written YYYY-MM-DD")
    check_span(value)
    return value


def _strict_instant(value: Any) -> Any:
    """A moment as ISO 8601 text (never a number), in 2000–2099; no offset means JST."""
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        try:
            value = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be a date and time in ISO 8601") from None
    if not isinstance(value, datetime):
        raise ValueError("must be a date and time in ISO 8601, e.g. 2024-06-01T10:00:00+09:00")
    check_span(value, FIRST_EVENT_YEAR)  # before the offset is applied, so nothing can overflow
    return as_aware(value)


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)

#: Every date the API takes: text only (a number is refused, not read as a timestamp), 1900–2099.
#: (A before-validator, so pydantic's own date/datetime serializer writes them back out.)
Day = Annotated[
    date,
    BeforeValidator(_strict_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": "^(19|20)[0-9]{2}-"}, mode="validation"),
]
#: Every moment the API takes: ISO 8601 text only, 2000–2099, aware (no offset means JST).
Instant = Annotated[
    datetime,
    BeforeValidator(_strict_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": "^20[0-9]{2}-"}, mode="validation"),
]

Id = RecordId
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """An output filled from the services' values by attribute name, so that no field is copied
    by hand: a field an output shares with its source is declared once, on the output, and only
    what an output computes (a permission's effect, a countdown) is given to `build`."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def build(cls, *sources: object, **computed: Any) -> Self:
        """Each field from `computed`, else from the first source that has it (nested outputs
        are read from the nested values the same way)."""
        data = dict(computed)
        for name in cls.model_fields:
            if name not in data:
                source = next((s for s in sources if hasattr(s, name)), None)
                if source is not None:
                    data[name] = getattr(source, name)
        return cls.model_validate(data)


# --- policy ------------------------------------------------------------------------------------


class OrganizationOut(Out):
    name: str
    address: str
    representative: str


class DataCategoryOut(Out):
    id: str
    appi_class: str
    title: str


class RecipientOut(Out):
    id: str
    name: str
    relationship: str
    country: str
    equivalent_measures: bool


class PurposeOut(Out):
    id: str
    title: str
    kind: str
    requires_consent: bool
    data_categories: list[str]
    recipients: list[str]
    opt_out_filed_with_ppc_on: date | None
    description: str


class TermsVersionOut(Out):
    version: str
    effective_from: date
    purposes: list[str]
    added_purposes: list[str] = Field(description="この版で追加された利用目的 / purposes this version added")


class PolicyOut(Out):
    revision: int
    organization: OrganizationOut
    data_categories: list[DataCategoryOut]
    recipients: list[RecipientOut]
    purposes: list[PurposeOut]
    terms: list[TermsVersionOut]

    @classmethod
    def of(cls, revision: int, policy: Policy, added: dict[str, tuple[str, ...]]) -> PolicyOut:
        """`added`: the purposes each terms version added, by version."""
        return cls.build(
            policy,
            revision=revision,
            purposes=[
                PurposeOut.build(
                    p, opt_out_filed_with_ppc_on=p.opt_out.filed_with_ppc_on if p.opt_out else None
                )
                for p in policy.purposes
            ],
            terms=[TermsVersionOut.build(t, added_purposes=added.get(t.version, ())) for t in policy.terms],
        )


# --- subjects ----------------------------------------------------------------------------------


class SubjectIn(_In):
    subject_id: Id
    birth_date: Day | None = Field(default=None, description="生年月日(YYYY-MM-DD、1900–2099年)")
    identity_verified: StrictBool = False


class SubjectOut(Out):
    subject_id: str
    birth_date: date | None = Field(description="生年月日(personal_data 権限がなければ null)")
    birth_date_present: bool = Field(description="生年月日が登録されているか / whether one is recorded")
    identity_verified: bool

    @classmethod
    def of(cls, s: Subject, personal: bool) -> SubjectOut:
        """`personal`: whether the caller may see personal values (Permission.personal_data)."""
        return cls.build(
            s, birth_date=s.birth_date if personal else None, birth_date_present=s.birth_date is not None
        )


class SubjectWriteOut(BaseModel):
    subject: SubjectOut
    created: bool


class SubjectListOut(BaseModel):
    items: list[SubjectOut]
    limit: int
    offset: int


# --- consent -----------------------------------------------------------------------------------


class ConsentChoiceIn(_In):
    purpose_id: PurposeRef = Field(description="利用目的ID(規約全体への同意は *)")
    action: ConsentAction


class ConsentCaptureIn(_In):
    subject_id: Id
    choices: list[ConsentChoiceIn] = Field(default_factory=list, max_length=50)
    terms_version: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None
    method: ConsentMethod = ConsentMethod.web_form
    collected_at: Instant | None = Field(
        default=None, description="取得日時(省略時は受信時刻、オフセットなしはJST、2000–2099年)"
    )
    evidence: Annotated[str, StringConstraints(max_length=512)] | None = None
    guardian_name: ShortText | None = None
    guardian_relation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    foreign_transfer_info_given: StrictBool = False


class WithdrawalIn(_In):
    subject_id: Id
    purpose_id: PurposeRef = Field(description="撤回する利用目的ID(* で規約全体)")
    collected_at: Instant | None = Field(default=None, description="撤回の日時(2000–2099年)")
    method: ConsentMethod = ConsentMethod.web_form


class ConsentEventOut(Out):
    event_id: str
    subject_id: str
    purpose_id: str
    action: ConsentAction
    collected_at: datetime
    terms_version: str | None
    method: ConsentMethod
    evidence: str | None = Field(description="証跡(本人を特定しうるため personal_data 権限がなければ null)")
    evidence_present: bool = Field(description="証跡が記録されているか / whether evidence is recorded")
    guardian_consent: bool = Field(description="法定代理人等の同意があるか(氏名は返しません)")
    foreign_transfer_info_given: bool

    @classmethod
    def of(cls, e: ConsentEvent, personal: bool) -> ConsentEventOut:
        return cls.build(
            e,
            evidence=e.evidence if personal else None,
            evidence_present=bool(e.evidence),
            guardian_consent=bool(e.guardian_name),
        )


class ConsentCaptureOut(BaseModel):
    events: list[ConsentEventOut]
    recorded: int = Field(description="新たに記録した件数 / events newly recorded")
    already_present: int = Field(description="記録済みだった件数 / events already recorded")
    gpc_objections: list[str] = Field(
        description="Sec-GPC により停止を求めた利用目的 / purposes objected by GPC"
    )


class ConsentEventListOut(BaseModel):
    items: list[ConsentEventOut]


class ReasonOut(Out):
    code: str
    article: str
    effect: Literal["allows", "denies", "informs"]
    message_ja: str
    message_en: str
    params: dict[str, str] = Field(
        default_factory=dict,
        description="メッセージが示す値(ID、ISO-8601 の日時)/ the values the messages name (ids, ISO times)",
    )


class DecisionOut(Out):
    subject_id: str
    purpose_id: str
    recipient_id: str | None
    at: datetime
    allowed: bool
    basis: str | None
    reasons: list[ReasonOut]
    event_id: str | None

    @classmethod
    def of(cls, d: Decision) -> DecisionOut:
        return cls.build(d, basis=d.basis.value if d.basis else None)


class TimelineOut(BaseModel):
    subject: SubjectOut
    events: list[ConsentEventOut]
    decisions: list[DecisionOut]


class GuardianOut(BaseModel):
    name: str
    relation: str | None


class ReceiptSubjectOut(BaseModel):
    id: str
    identity_verified: bool
    guardian: GuardianOut | None = Field(description="法定代理人等(personal_data 権限がなければ null)")
    guardian_present: bool = Field(description="法定代理人等の同意があるか / whether a guardian consented")


class ReceiptNoticeOut(BaseModel):
    terms_version: str | None
    evidence: str | None = Field(description="証跡(personal_data 権限がなければ null)")
    evidence_present: bool
    bundled_terms_acceptance: bool
    notice_shown: dict[str, Any] | None = Field(
        default=None,
        description="同意通知コンポーネントで示した通知の証跡(版・SHA-256・オリジン・言語・ブラウザ種別・GPC)",
    )


class ReceiptOut(BaseModel):
    """ISO/IEC TS 27560 consent record (see docs/api.md for its fields)."""

    model_config = ConfigDict(extra="allow")

    schema_: str = Field(alias="schema")
    record_id: str
    data_subject: ReceiptSubjectOut
    notice: ReceiptNoticeOut
    ledger: dict[str, Any]


# --- ledger and callers ------------------------------------------------------------------------


class LedgerStatusOut(BaseModel):
    entries: int
    head_hash: str
    verified: bool = Field(description="全件を検証したか / whether the whole chain was verified")
    ok: bool | None = Field(description="検証結果(未検証は null) / result, null when not verified")
    first_bad_seq: int | None = None


class MeOut(BaseModel):
    kind: Literal["user", "token"]
    name: str
    role: str
    permissions: list[str]


class GpcOut(BaseModel):
    gpc: bool
    lastUpdate: date
