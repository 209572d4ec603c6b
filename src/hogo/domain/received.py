"""Records of personal data received from a third party (法30条, 第三者提供を受ける際の確認等).

The recipient must confirm who the provider is (name, address, and for a corporation its
representative) and how the provider acquired the data (取得の経緯), and keep a record of it.
For data provided by opt-out (法27条2項) the record also states the date received and that the
PPC's publication of the provider's filing was confirmed. The persons are listed apart and sealed
by a digest, as for the provider's records (法29条), so disclosure (法33条5項) can answer from them.

Not to be confused with consent receipts (`hogo.domain.receipts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hogo.domain.model import Frozen
from hogo.domain.provision import SealedPersonsRecord


class ProviderKind(StrEnum):
    """法30条1項1号: a corporation's representative is part of the provider's identity.

    An association without legal personality (法人でない団体) is named with its representative or
    administrator (代表者又は管理人) when it has one; one without is recorded by name and address.
    """

    corporation = "corporation"  # 法人
    association = "association"  # 法人でない団体(代表者又は管理人の定めがあれば、その氏名)
    individual = "individual"  # 個人


class ReceivedBasis(StrEnum):
    """On what footing the provider gave us the data."""

    consent = "consent"  # 本人の同意(法27条1項)
    opt_out = "opt_out"  # オプトアウト(法27条2項)


class Provider(Frozen):
    """The provider as confirmed under 法30条1項1号."""

    kind: ProviderKind
    name: str
    address: str
    #: 代表者(法人)、代表者又は管理人(法人でない団体): required for a corporation only.
    representative: str | None = None

    @property
    def person_fields(self) -> frozenset[str]:
        """The fields whose values name a natural person: shown only with the personal-data permission.

        An individual provider's name and address are that person's personal information; a
        representative or administrator is always a natural person. A corporation's or an
        association's own name and address are not.
        """
        fields = {"representative"}
        if self.kind is ProviderKind.individual:
            fields |= {"name", "address"}
        return frozenset(fields)


@dataclass(frozen=True)
class Gap:
    """An item 法30条 requires that is missing: the field to name, never its value."""

    field: str
    ja: str
    en: str


def confirmation_gaps(
    provider: Provider, acquisition: str, basis: ReceivedBasis, ppc_publication_confirmed: bool
) -> list[Gap]:
    """What is still unconfirmed; a record may only be made when this is empty."""
    gaps: list[Gap] = []
    if not provider.name.strip():
        gaps.append(
            Gap("provider_name", "提供者の氏名又は名称を確認してください。", "confirm the provider's name.")
        )
    if not provider.address.strip():
        gaps.append(
            Gap("provider_address", "提供者の住所を確認してください。", "confirm the provider's address.")
        )
    if provider.kind is ProviderKind.corporation and not (provider.representative or "").strip():
        gaps.append(
            Gap(
                "provider_representative",
                "法人の場合は代表者の氏名を確認してください(法30条1項1号)。",
                "a corporation's representative must be confirmed (APPI art. 30(1)(i)).",
            )
        )
    if not acquisition.strip():
        gaps.append(
            Gap(
                "acquisition",
                "提供者による個人データの取得の経緯を確認してください(法30条1項2号)。",
                "confirm how the provider acquired the data (APPI art. 30(1)(ii)).",
            )
        )
    if basis is ReceivedBasis.opt_out and not ppc_publication_confirmed:
        gaps.append(
            Gap(
                "ppc_publication_confirmed",
                "オプトアウトによる提供は、提供者の届出が個人情報保護委員会により公表されていることを確認してください。",
                "for opt-out data, confirm that the PPC published the provider's opt-out filing.",
            )
        )
    return gaps


class ReceivedProvisionRecord(SealedPersonsRecord):
    """The recipient's record (法30条3項); sealed in the ledger as its canonical JSON."""

    received_id: str
    provider: Provider
    acquisition: str
    received_at: datetime
    basis: ReceivedBasis
    #: Only meaningful, and only true, for opt-out data (the record item for opt-out receipt).
    ppc_publication_confirmed: bool = False
    #: The date received is a record item for opt-out data only.
    opt_out_received_dates: tuple[date, ...] = ()

    @property
    def consent_obtained(self) -> bool:
        return self.basis is ReceivedBasis.consent
