"""API input and output schemas, apart from domain models and tables.

Output schemas list exactly what may leave the system: no password or token hashes, no contact
details of persons, no guardian names (only whether a guardian consented).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod
from hogo.domain.decision import Decision
from hogo.domain.policy import Policy

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^\S+$")]
PurposeRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^(\*|[A-Za-z0-9_.\-]+)$"),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- policy ------------------------------------------------------------------------------------


class OrganizationOut(BaseModel):
    name: str
    address: str
    representative: str


class DataCategoryOut(BaseModel):
    id: str
    appi_class: str
    title: str


class RecipientOut(BaseModel):
    id: str
    name: str
    relationship: str
    country: str
    equivalent_measures: bool


class PurposeOut(BaseModel):
    id: str
    title: str
    kind: str
    requires_consent: bool
    data_categories: list[str]
    recipients: list[str]
    opt_out_filed_with_ppc_on: date | None
    description: str


class TermsVersionOut(BaseModel):
    version: str
    effective_from: date
    purposes: list[str]
    added_purposes: list[str] = Field(description="この版で追加された利用目的 / purposes this version added")


class PolicyOut(BaseModel):
    revision: int
    organization: OrganizationOut
    data_categories: list[DataCategoryOut]
    recipients: list[RecipientOut]
    purposes: list[PurposeOut]
    terms: list[TermsVersionOut]

    @classmethod
    def build(cls, revision: int, policy: Policy, added: dict[str, tuple[str, ...]]) -> PolicyOut:
        return cls(
            revision=revision,
            organization=OrganizationOut(**policy.organization.model_dump()),
            data_categories=[DataCategoryOut(**c.model_dump(mode="json")) for c in policy.data_categories],
            recipients=[RecipientOut(**r.model_dump(mode="json")) for r in policy.recipients],
            purposes=[
                PurposeOut(
                    id=p.id,
                    title=p.title,
                    kind=p.kind.value,
                    requires_consent=p.requires_consent,
                    data_categories=list(p.data_categories),
                    recipients=list(p.recipients),
                    opt_out_filed_with_ppc_on=p.opt_out.filed_with_ppc_on if p.opt_out else None,
                    description=p.description,
                )
                for p in policy.purposes
            ],
            terms=[
                TermsVersionOut(
                    version=t.version,
                    effective_from=t.effective_from,
                    purposes=list(t.purposes),
                    added_purposes=list(added.get(t.version, ())),
                )
                for t in policy.terms
            ],
        )


# --- subjects ----------------------------------------------------------------------------------


class SubjectIn(_In):
    subject_id: Id
    birth_date: date | None = None
    identity_verified: bool = False


class SubjectOut(BaseModel):
    subject_id: str
    birth_date: date | None
    identity_verified: bool


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
    collected_at: datetime | None = Field(
        default=None, description="取得日時(省略時は受信時刻、オフセットなしはJST)"
    )
    evidence: Annotated[str, StringConstraints(max_length=512)] | None = None
    guardian_name: ShortText | None = None
    guardian_relation: ShortText | None = None
    foreign_transfer_info_given: bool = False


class WithdrawalIn(_In):
    subject_id: Id
    purpose_id: PurposeRef = Field(description="撤回する利用目的ID(* で規約全体)")
    collected_at: datetime | None = None
    method: ConsentMethod = ConsentMethod.web_form


class ConsentEventOut(BaseModel):
    event_id: str
    subject_id: str
    purpose_id: str
    action: ConsentAction
    collected_at: datetime
    terms_version: str | None
    method: ConsentMethod
    evidence: str | None
    guardian_consent: bool
    foreign_transfer_info_given: bool

    @classmethod
    def of(cls, e: ConsentEvent) -> ConsentEventOut:
        return cls(
            event_id=e.event_id,
            subject_id=e.subject_id,
            purpose_id=e.purpose_id,
            action=e.action,
            collected_at=e.collected_at,
            terms_version=e.terms_version,
            method=e.method,
            evidence=e.evidence,
            guardian_consent=bool(e.guardian_name),
            foreign_transfer_info_given=e.foreign_transfer_info_given,
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


class ReasonOut(BaseModel):
    code: str
    article: str
    effect: Literal["allows", "denies", "informs"]
    message_ja: str
    message_en: str
    params: dict[str, str] = Field(
        default_factory=dict,
        description="メッセージが示す値(ID、ISO-8601 の日時)/ the values the messages name (ids, ISO times)",
    )


class DecisionOut(BaseModel):
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
        return cls(
            subject_id=d.subject_id,
            purpose_id=d.purpose_id,
            recipient_id=d.recipient_id,
            at=d.at,
            allowed=d.allowed,
            basis=d.basis.value if d.basis else None,
            reasons=[ReasonOut(**r.model_dump(mode="json")) for r in d.reasons],
            event_id=d.event_id,
        )


class TimelineOut(BaseModel):
    subject: SubjectOut
    events: list[ConsentEventOut]
    decisions: list[DecisionOut]


class ReceiptOut(BaseModel):
    """ISO/IEC TS 27560 consent record (see docs/api.md for its fields)."""

    model_config = ConfigDict(extra="allow")

    schema_: str = Field(alias="schema")
    record_id: str
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
