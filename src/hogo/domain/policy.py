"""The organisation's declared policy: purposes of use, terms versions, recipients, data categories.

A policy is the single source of truth the decision engine reasons over. It is validated as a
whole so that every cross-reference (a purpose naming a recipient, a terms version naming a
purpose) is known to resolve before anything is stored.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self

import pycountry
from pydantic import AfterValidator, Field, StringConstraints, model_validator

from hogo.domain.display import Labelled
from hogo.domain.ids import Identifier
from hogo.domain.model import Frozen

# 法28: countries designated by PPC rule 15 as having an equivalent regime (EU/EEA and the UK),
# plus Japan itself. ISO 3166-1 alpha-2.
EEA_AND_UK: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",  # EU 27
        "IS", "LI", "NO",  # EEA
        "GB",  # UK
    }
)  # fmt: skip


def _iso_country(value: str) -> str:
    """ISO 3166-1 alpha-2 as maintained in pycountry (Debian's iso-codes): `ZZ`, `UK`, `EU` are not
    countries, and whether a recipient is abroad (法28条) turns on the code."""
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(
            "ISO 3166-1 の国コードではありません(例: JP, US, GB) / not an ISO 3166-1 country code"
        )
    return value


CountryCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, min_length=2, max_length=2, pattern=r"^[A-Z]{2}$"
    ),
    AfterValidator(_iso_country),
]


class AppiClass(Labelled, StrEnum):
    """How APPI classifies a data category; it decides which rules apply."""

    personal_data = "personal_data"  # 個人データ
    sensitive = "sensitive"  # 要配慮個人情報 (法2条3項)
    my_number = "my_number"  # 特定個人情報 (番号法)
    personal_related = "personal_related"  # 個人関連情報 (法2条7項)


class PurposeKind(Labelled, StrEnum):
    internal_use = "internal_use"
    third_party_provision = "third_party_provision"
    targeted_advertising = "targeted_advertising"
    profiling = "profiling"
    joint_use = "joint_use"


class Relationship(StrEnum):
    """法27条5項: outsourcees, successors and joint users are not third parties."""

    third_party = "third_party"
    outsourcee = "outsourcee"  # 委託先 (法27条5項1号)
    successor = "successor"  # 事業承継 (法27条5項2号)
    joint_use = "joint_use"  # 共同利用 (法27条5項3号)


class Organization(Frozen):
    name: str = Field(min_length=1)
    address: str = ""
    representative: str = ""


class PolicySettings(Frozen):
    guardian_consent_below_age: int = Field(default=16, ge=0, le=25)
    # Consent presumes the person was identified (通則編 2-16). A business that collects consent
    # anonymously on a website may relax this, at its own risk.
    require_identity_verification: bool = True
    # A bundled acceptance of new terms does not undo a purpose-specific refusal, withdrawal or
    # objection (consent is specific per purpose); only a purpose-specific grant does. A business
    # may choose otherwise; the decision then says so with BLANKET_ACCEPTANCE_REVIVES.
    blanket_acceptance_revives_specific_refusal: bool = False
    # "遅滞なく" (法33条3項・34条3項・35条7項) has no number in the Act: the days a rights request
    # may take before it is overdue on the board (P-mark practice: an internal deadline).
    rights_request_days: int = Field(default=14, ge=1, le=90)


class DataCategory(Frozen):
    id: Identifier
    appi_class: AppiClass
    title: str = ""


class ForeignTransferInfo(Frozen):
    """法28条2項 (規則17条2項): what a person is told before consenting to a transfer abroad —
    the country's system for protecting personal information and the recipient's measures (the
    country's name comes from `Recipient.country`)."""

    regime: str = Field(min_length=1, max_length=2000)
    measures: str = Field(min_length=1, max_length=2000)
    source_url: str = Field(default="", max_length=500)


class Recipient(Frozen):
    id: Identifier
    name: str = Field(min_length=1)
    relationship: Relationship = Relationship.third_party
    country: CountryCode = "JP"
    # 法28条1項: a recipient abroad with a system of equivalent measures (基準適合体制).
    equivalent_measures: bool = False
    #: 法28条2項 information shown in consent notices; only meaningful for a recipient abroad.
    transfer_info: ForeignTransferInfo | None = None

    @property
    def is_foreign(self) -> bool:
        return self.country != "JP"

    @property
    def needs_foreign_transfer_consent(self) -> bool:
        """法28: consent after the prescribed information, unless designated or equivalent."""
        return self.is_foreign and self.country not in EEA_AND_UK and not self.equivalent_measures


class OptOutFiling(Frozen):
    """法27条2項: provision by opt-out after notifying persons and filing with the PPC."""

    filed_with_ppc_on: date
    published_by_ppc_on: date | None = None


class ProfilingDeclaration(Frozen):
    """通則編 3-1-1: when a business analyses a person's behaviour or interests from the data it
    holds, the purpose of use says so — that the analysis happens, and what its results are used
    for — so the person can foresee it."""

    #: What is analysed, e.g. 購買履歴から趣味・嗜好を分析します.
    analysis: str = Field(min_length=1, max_length=2000)
    #: What the results are used for, e.g. 分析結果に応じた商品のご案内に利用します.
    use_of_results: str = Field(min_length=1, max_length=2000)


class Purpose(Frozen):
    id: Identifier
    title: str = Field(min_length=1)
    kind: PurposeKind
    requires_consent: bool = False
    data_categories: tuple[Identifier, ...] = ()
    recipients: tuple[Identifier, ...] = ()
    opt_out: OptOutFiling | None = None
    description: str = ""
    #: Required for a `profiling` purpose (通則編 3-1-1); its data categories are what it may read.
    profiling: ProfilingDeclaration | None = None


class ExternalTransmission(Frozen):
    """One tag or SDK on the business's pages that has the user's browser send information to
    someone (外部送信, 電気通信事業法27条の12): per destination the user is told what is sent, to
    whom, and for what purpose. A transmission needed to provide the page itself (27条の12第1号)
    is still listed, marked as such, so the published list is complete."""

    id: Identifier
    #: The tag or SDK as the page runs it, e.g. "Google Analytics 4".
    tool: str = Field(min_length=1, max_length=200)
    #: 送信先の氏名又は名称.
    recipient: str = Field(min_length=1, max_length=200)
    #: 送信される利用者に関する情報の内容.
    information: tuple[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)], ...] = Field(
        min_length=1
    )
    #: 送信される情報の利用目的 (what the recipient uses it for).
    purpose: str = Field(min_length=1, max_length=2000)
    #: Where the user can stop the transmission (オプトアウト), if the recipient offers it.
    opt_out_url: str = Field(default="", max_length=500, pattern=r"^(https://\S+)?$")
    necessary_for_service: bool = False


class TermsVersion(Frozen):
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    effective_from: date
    purposes: tuple[Identifier, ...]
    notice_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class Policy(Frozen):
    organization: Organization
    settings: PolicySettings = PolicySettings()
    data_categories: tuple[DataCategory, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    purposes: tuple[Purpose, ...] = ()
    terms: tuple[TermsVersion, ...] = ()
    external_transmissions: tuple[ExternalTransmission, ...] = ()

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        problems: list[str] = []
        _unique(problems, "data_categories", [c.id for c in self.data_categories])
        _unique(problems, "recipients", [r.id for r in self.recipients])
        _unique(problems, "purposes", [p.id for p in self.purposes])
        _unique(problems, "terms", [t.version for t in self.terms])
        _unique(problems, "external_transmissions", [x.id for x in self.external_transmissions])
        categories = {c.id for c in self.data_categories}
        recipients = {r.id for r in self.recipients}
        purposes = {p.id for p in self.purposes}
        for i, p in enumerate(self.purposes):
            problems.extend(_purpose_problems(f"purposes.{i}", p, categories, recipients))
            problems.extend(_profiling_problems(f"purposes.{i}", p, self))
        for i, t in enumerate(self.terms):
            for j, pid in enumerate(t.purposes):
                if pid not in purposes:
                    problems.append(f"terms.{i}.purposes.{j}: unknown purpose {pid!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Lookups are small linear scans: policies hold tens of entries, not thousands.
    def purpose(self, purpose_id: str) -> Purpose | None:
        return next((p for p in self.purposes if p.id == purpose_id), None)

    def recipient(self, recipient_id: str) -> Recipient | None:
        return next((r for r in self.recipients if r.id == recipient_id), None)

    def category(self, category_id: str) -> DataCategory | None:
        return next((c for c in self.data_categories if c.id == category_id), None)

    def terms_version(self, version: str) -> TermsVersion | None:
        return next((t for t in self.terms if t.version == version), None)

    def classes_of(self, purpose: Purpose) -> frozenset[AppiClass]:
        return frozenset(
            c.appi_class for cid in purpose.data_categories if (c := self.category(cid)) is not None
        )

    def terms_including(self, purpose_id: str) -> list[TermsVersion]:
        return sorted((t for t in self.terms if purpose_id in t.purposes), key=lambda t: t.effective_from)


def _unique(problems: list[str], key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            problems.append(f"{key}.{i}: duplicate id {value!r}")
        seen.add(value)


def _purpose_problems(at: str, p: Purpose, categories: set[str], recipients: set[str]) -> list[str]:
    """What is wrong with one purpose's references and kind (each problem names where it is)."""
    problems = [
        f"{at}.data_categories.{j}: unknown data category {c!r}"
        for j, c in enumerate(p.data_categories)
        if c not in categories
    ]
    problems += [
        f"{at}.recipients.{j}: unknown recipient {r!r}"
        for j, r in enumerate(p.recipients)
        if r not in recipients
    ]
    if p.kind is PurposeKind.third_party_provision and not p.recipients:
        problems.append(f"{at}.recipients: a third_party_provision names recipients")
    if p.opt_out is not None and p.kind is not PurposeKind.third_party_provision:
        problems.append(f"{at}.opt_out: only a third_party_provision can use opt-out")
    return problems


def _profiling_problems(at: str, p: Purpose, policy: Policy) -> list[str]:
    """A profiling purpose declares the analysis and its use (通則編 3-1-1); one whose categories
    include 要配慮個人情報 (read, or inferred by a job's feature) needs consent: the PPC does not
    count inferring such information as acquiring it under 法20条2項, hogo is stricter."""
    if p.kind is not PurposeKind.profiling:
        return []
    problems = []
    if p.profiling is None:
        problems.append(
            f"{at}.profiling: a profiling purpose says what is analysed and what the results are used "
            "for (analysis, use_of_results; 通則編3-1-1)"
        )
    if AppiClass.sensitive in policy.classes_of(p) and not p.requires_consent:
        problems.append(
            f"{at}.requires_consent: profiling that reads or infers 要配慮個人情報 needs consent "
            "(hogo applies 法20条2項 by analogy; see docs/profiling.md)"
        )
    return problems
