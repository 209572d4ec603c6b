"""API schemas for records of data received from third parties (法30条), input apart from output.

The output is the record as the ledger seals it, with the persons only as a count and a digest:
who the persons are is personal data and stays in the store (disclosure answers from it). A
provider's values that name a natural person reach only callers with the personal-data permission.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from hogo.api.schemas import Instant, Out
from hogo.domain.ids import Identifier, RecordId
from hogo.domain.provision import RecordForm
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis, ReceivedProvisionRecord

ReceivedId = Identifier
SubjectRef = RecordId
DataItem = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
#: Names and addresses are checked for emptiness by the domain (法30条1項), naming the field.
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=512)]
MAX_PERSONS = 100_000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- input -------------------------------------------------------------------------------------


class ProviderIn(_In):
    """提供者(法30条1項1号)。"""

    kind: ProviderKind = Field(description="corporation(法人)/ association(法人でない団体)/ individual(個人)")
    name: Name = Field(description="氏名又は名称")
    address: Address = Field(description="住所")
    representative: Name | None = Field(
        default=None,
        description="代表者の氏名(法人は必須)。法人でない団体は代表者又は管理人の定めがあればその氏名",
    )

    def domain(self) -> Provider:
        return Provider.model_validate(self.model_dump())


class ReceivedIn(_In):
    """第三者から個人データの提供を受けた記録(法30条3項)/ a record of data received."""

    provider: ProviderIn
    acquisition: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        description="提供者による当該個人データの取得の経緯(法30条1項2号)"
    )
    received_at: Instant | None = Field(
        default=None, description="受領日時(オフセットなしはJST、省略時は現在、2000–2099年)"
    )
    data_items: list[DataItem] = Field(
        min_length=1, max_length=100, description="提供を受けた個人データの項目"
    )
    basis: ReceivedBasis = Field(description="consent(本人の同意)/ opt_out(オプトアウト、法27条2項)")
    ppc_publication_confirmed: StrictBool = Field(
        default=False,
        description=(
            "オプトアウトの届出が個人情報保護委員会により公表されていることを確認した(opt_out では必須)"
        ),
    )
    record_form: RecordForm = Field(
        default=RecordForm.batch,
        description="記録の形式: each(提供ごと)/ batch(一括)/ contract(契約書等による代替)",
    )
    received_id: ReceivedId | None = Field(default=None, description="受領ID(省略時は自動採番)")
    subject_ids: list[SubjectRef] = Field(
        min_length=1,
        max_length=MAX_PERSONS,
        description="提供を受けた本人の本人ID(登録済みの本人に限る。誤りは位置で示します)",
    )


# --- output ------------------------------------------------------------------------------------


class ProviderOut(BaseModel):
    """Values naming a natural person (an individual's name and address, a representative) are
    null for callers without the personal-data permission; `withheld` lists which."""

    kind: ProviderKind
    name: str | None = Field(description="氏名又は名称(個人の氏名は personal_data 権限がなければ null)")
    address: str | None = Field(description="住所(個人の住所は personal_data 権限がなければ null)")
    representative: str | None = Field(description="代表者等の氏名(personal_data 権限がなければ null)")
    representative_present: bool = Field(description="代表者等の氏名が記録されているか")
    withheld: list[str] = Field(description="権限により省略した項目 / fields withheld from this caller")

    @classmethod
    def of(cls, p: Provider, personal: bool) -> ProviderOut:
        hidden = set() if personal else set(p.person_fields)
        if not p.representative:
            hidden.discard("representative")
        return cls(
            kind=p.kind,
            name=None if "name" in hidden else p.name,
            address=None if "address" in hidden else p.address,
            representative=None if "representative" in hidden else p.representative,
            representative_present=bool(p.representative),
            withheld=sorted(hidden),
        )


class ReceivedOut(Out):
    """The record without its persons: their number and the digest of their ids only."""

    received_id: str
    provider: ProviderOut
    acquisition: str
    received_at: datetime
    data_items: list[str]
    persons: int = Field(description="本人の数")
    persons_sha256: str = Field(description="本人IDの一覧のダイジェスト(台帳に封印)")
    basis: ReceivedBasis
    consent_obtained: bool = Field(description="本人の同意に基づく提供か")
    ppc_publication_confirmed: bool
    record_form: RecordForm
    opt_out_received_dates: list[date] = Field(description="受領日(オプトアウトによる提供の記録事項)")
    retention_until: date = Field(description="記録の保存期限(法30条4項)")

    @classmethod
    def of(cls, record: ReceivedProvisionRecord, personal: bool) -> ReceivedOut:
        """`personal`: whether the caller may see personal values (Permission.personal_data)."""
        return cls.build(record, provider=ProviderOut.of(record.provider, personal))


class ReceivedListOut(BaseModel):
    items: list[ReceivedOut]
