"""個人関連情報 (法31条): who may receive a segment keyed by a cookie or device id, and the record.

Two cases, told apart by the guidelines' 提供元基準 (whether the *provider* can identify the
person from what it holds):

- hogo links the cookie/device id to a member: the segment is 個人データ for the provider, and
  its provision is a personal provision under 法27条 (a personal release keyed by that id,
  `hogo.release`), decided per person by the decision engine and recorded under 法29条;
- the business holds the data keyed by an identifier it cannot link to anyone, and the recipient
  will link it to personal data it holds: 法31条. Before providing, the provider confirms that the
  recipient obtained the person's consent to acquire it as 個人データ (1項1号) and, for a recipient
  abroad, that the person was given the 法28条2項 information (1項2号); the confirmation is
  recorded (3項, applying 法30条3項・4項) and kept 3 years (1 year where a contract stands in).

This module judges one identifier's confirmation and when its record's retention has ended;
reading files, recording and purging are elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hogo.domain.display import Labelled
from hogo.domain.reasons import Effect, ReasonType


class IdentifierKind(Labelled, StrEnum):
    """What the identifier a segment is keyed by is."""

    cookie = "cookie"
    device = "device"
    ad_id = "ad_id"

    @property
    def column(self) -> str:
        """The output column the identifier is written under (`cookie_id`, `device_id`, `ad_id`)."""
        return self.value if self.value.endswith("_id") else f"{self.value}_id"


class ProvisionCase(Labelled, StrEnum):
    """Which provision a segment export is, by the article that governs it."""

    personal_data = "personal_data"  # 法27条: the provider links the identifier to a member
    related_info = "related_info"  # 法31条: the provider cannot, the recipient will

    @property
    def article(self) -> str:
        return "法27条1項" if self is ProvisionCase.personal_data else "法31条1項"


def case_of(case: ProvisionCase) -> dict[str, str]:
    """How a manifest and a ledger entry say which provision an export is."""
    return {"kind": case.value, "article": case.article, "title": case.ja}


# The confirmation results, each with the article it rests on. They are not reasons `decide` gives
# (個人関連情報 is not tied to a person hogo knows), so they are kept here, not in `reasons`.
CONFIRMED = ReasonType(
    "RELATED_INFO_CONFIRMED", "法31条1項1号", Effect.allows,
    "提供先が本人の同意(個人データとして取得することへの同意)を得ていることを確認しました。",
    "The recipient was confirmed to hold the person's consent to acquire the data as personal data.",
)  # fmt: skip
NOT_CONFIRMED = ReasonType(
    "RELATED_INFO_NOT_CONFIRMED", "法31条1項1号", Effect.denies,
    "提供先が本人の同意を得ていることを確認できないため、個人関連情報を提供できません。",
    "The recipient's consent from the person is not confirmed, so the information cannot be provided.",
)  # fmt: skip
CONSENT_AFTER_PROVISION = ReasonType(
    "RELATED_INFO_CONSENT_AFTER_PROVISION", "法31条1項1号", Effect.denies,
    "本人の同意の取得日時が提供の時点より後です。同意はあらかじめ得られている必要があります。",
    "The person's consent was obtained after the provision; it must be obtained beforehand.",
)  # fmt: skip
FOREIGN_INFO_MISSING = ReasonType(
    "RELATED_INFO_FOREIGN_INFO_MISSING", "法31条1項2号", Effect.denies,
    "外国にある提供先について、本人に法28条2項の情報が提供されたことを確認できません。",
    "For a recipient abroad, it is not confirmed that the person was given the information of art. 28(2).",
)  # fmt: skip
RESULTS: dict[str, ReasonType] = {
    r.code: r for r in (CONFIRMED, NOT_CONFIRMED, CONSENT_AFTER_PROVISION, FOREIGN_INFO_MISSING)
}


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The recipient's statement about one identifier: when and how it obtained the person's
    consent to acquire the data as 個人データ, and whether the 法28条2項 information was given."""

    row: int
    identifier: str
    consent_obtained_at: datetime
    method: str
    #: None when the file does not say (a domestic recipient need not).
    foreign_info_given: bool | None


def judge(confirmation: Confirmation | None, at: datetime, foreign: bool) -> ReasonType:
    """The confirmation result for one identifier provided at ``at``.

    ``foreign``: the recipient is a third party in a foreign country in 法28条1項's sense (not a
    designated country, no equivalent system), for which 法31条1項2号 asks the information too.
    Consent must precede the provision (「あらかじめ」): a consent dated after ``at`` confirms nothing.
    """
    if confirmation is None:
        return NOT_CONFIRMED
    if confirmation.consent_obtained_at > at:
        return CONSENT_AFTER_PROVISION
    if foreign and confirmation.foreign_info_given is not True:
        return FOREIGN_INFO_MISSING
    return CONFIRMED


def retention_ended(before: date, *kept_until: date) -> bool:
    """May a confirmation record be purged on the day ``before``?

    A record is kept *until* its retention end, that day included (法31条3項, applying 法30条4項),
    so only an end before ``before`` has passed. Every end that covers the record counts — its own
    and its export's as the ledger sealed it — so one that was shortened behind hogo's back cannot
    free the record early.
    """
    return bool(kept_until) and all(end < before for end in kept_until)
