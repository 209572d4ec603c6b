"""The catalogue of reasons a decision can give, each with its stable code and the article cited.

Codes are an API: clients branch on them, so they never change meaning once released. Messages
are written in Japanese first, with the legal terms as the Act writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Effect(StrEnum):
    allows = "allows"
    denies = "denies"
    informs = "informs"


@dataclass(frozen=True, slots=True)
class ReasonType:
    code: str
    article: str
    effect: Effect
    ja: str
    en: str


def _r(code: str, article: str, effect: Effect, ja: str, en: str) -> ReasonType:
    return ReasonType(code, article, effect, ja, en)


A, D, I = Effect.allows, Effect.denies, Effect.informs  # noqa: E741

PURPOSE_UNKNOWN = _r(
    "PURPOSE_UNKNOWN",
    "法17条1項",
    D,
    "利用目的「{purpose}」はポリシーで特定されていません。",
    "Purpose of use '{purpose}' is not specified in the policy.",
)
RECIPIENT_UNKNOWN = _r(
    "RECIPIENT_UNKNOWN",
    "法27条1項",
    D,
    "提供先「{recipient}」はポリシーに登録されていません。",
    "Recipient '{recipient}' is not registered in the policy.",
)
RECIPIENT_NOT_IN_PURPOSE = _r(
    "RECIPIENT_NOT_IN_PURPOSE",
    "法18条1項",
    D,
    "提供先「{recipient}」は利用目的「{purpose}」の提供先に含まれていません。",
    "Recipient '{recipient}' is not among the recipients of purpose '{purpose}'.",
)
PURPOSE_NOT_IN_TERMS = _r(
    "PURPOSE_NOT_IN_TERMS",
    "法21条1項",
    D,
    "利用目的「{purpose}」はどの規約版にも含まれておらず、通知・公表されていません。",
    "Purpose '{purpose}' is in no terms version, so it was never notified or published.",
)
TERMS_NOT_YET_EFFECTIVE = _r(
    "TERMS_NOT_YET_EFFECTIVE",
    "法21条1項",
    D,
    "利用目的「{purpose}」を含む規約は{effective_from}から有効で、判定時点ではまだ有効ではありません。",
    "The terms containing purpose '{purpose}' take effect on {effective_from}, after this time.",
)
MY_NUMBER_PROVISION_PROHIBITED = _r(
    "MY_NUMBER_PROVISION_PROHIBITED",
    "番号法19条",
    D,
    "特定個人情報(マイナンバーを含む情報)は、同意やオプトアウトによって提供することはできません。",
    "Data containing a My Number may never be provided by consent or opt-out.",
)
MY_NUMBER_USE_LIMITED = _r(
    "MY_NUMBER_USE_LIMITED",
    "番号法9条",
    I,
    "特定個人情報は番号法が定める事務の範囲でのみ利用できます。",
    "My Number data may only be used for the procedures the My Number Act allows.",
)
LEGAL_EXCEPTION = _r(
    "LEGAL_EXCEPTION",
    "法27条1項{item}号",
    A,
    "記録された法令上の例外({ground})に基づき、本人の同意なく提供できます。",
    "Provision without consent on a recorded legal exception ({ground}).",
)
CONSENT_GRANTED = _r(
    "CONSENT_GRANTED",
    "{consent_article}",
    A,
    "本人は{collected_at}に利用目的「{purpose}」に同意しています(事象 {event_id})。",
    "The person consented to purpose '{purpose}' at {collected_at} (event {event_id}).",
)
NO_CONSENT = _r(
    "NO_CONSENT",
    "{consent_article}",
    D,
    "利用目的「{purpose}」について本人の同意が記録されていません。",
    "No consent of the person is recorded for purpose '{purpose}'.",
)
CONSENT_DENIED = _r(
    "CONSENT_DENIED",
    "{consent_article}",
    D,
    "本人は{collected_at}に利用目的「{purpose}」への同意を拒否しました(事象 {event_id})。",
    "The person refused consent to purpose '{purpose}' at {collected_at} (event {event_id}).",
)
CONSENT_WITHDRAWN = _r(
    "CONSENT_WITHDRAWN",
    "{consent_article}",
    D,
    "本人は{collected_at}に利用目的「{purpose}」への同意を撤回しました(事象 {event_id})。",
    "The person withdrew consent to purpose '{purpose}' at {collected_at} (event {event_id}).",
)
OBJECTED = _r(
    "OBJECTED",
    "法35条",
    D,
    "本人は{collected_at}に利用目的「{purpose}」について利用停止・提供停止を求めました(事象 {event_id})。",
    "The person asked at {collected_at} to stop use or provision for '{purpose}' (event {event_id}).",
)
BLANKET_ACCEPTANCE_DOES_NOT_REVIVE = _r(
    "BLANKET_ACCEPTANCE_DOES_NOT_REVIVE",
    "{consent_article}",
    I,
    "本人は{refused_at}に利用目的「{purpose}」について個別に{refusal_ja}(事象 {refusal_event})。"
    "その後の規約全体への同意({accepted_at}、規約版 {terms_version})は、この利用目的への同意とはみなしません。"
    "個別の同意が必要です(設定 blanket_acceptance_revives_specific_refusal)。",
    "The person specifically {refusal_en} purpose '{purpose}' at {refused_at} (event {refusal_event}); "
    "the later acceptance of the terms as a whole ({accepted_at}, version {terms_version}) is not taken "
    "as consent to it again: a purpose-specific grant is needed "
    "(setting blanket_acceptance_revives_specific_refusal).",
)
BLANKET_ACCEPTANCE_REVIVES = _r(
    "BLANKET_ACCEPTANCE_REVIVES",
    "{consent_article}",
    I,
    "本人は{refused_at}に利用目的「{purpose}」について個別に{refusal_ja}(事象 {refusal_event})が、"
    "ポリシーの設定(blanket_acceptance_revives_specific_refusal)により、その後の規約全体への同意"
    "({accepted_at}、規約版 {terms_version})をこの利用目的への同意として扱っています。",
    "The person specifically {refusal_en} purpose '{purpose}' at {refused_at} (event {refusal_event}); "
    "by the policy setting blanket_acceptance_revives_specific_refusal, the later acceptance of the terms "
    "as a whole ({accepted_at}, version {terms_version}) is taken as consent to it again.",
)
TERMS_DID_NOT_INCLUDE_PURPOSE = _r(
    "TERMS_DID_NOT_INCLUDE_PURPOSE",
    "法18条1項",
    D,
    "本人が同意した規約版 {terms_version} には利用目的「{purpose}」が含まれていません。後の改定で追加された利用目的には改めて同意が必要です。",
    "Terms version {terms_version} that the person accepted did not contain purpose '{purpose}'; "
    "a purpose added by a later revision needs fresh consent.",
)
TERMS_VERSION_UNKNOWN = _r(
    "TERMS_VERSION_UNKNOWN",
    "法18条1項",
    D,
    "同意の根拠とされた規約版 {terms_version} はポリシーに存在しません。",
    "The terms version {terms_version} cited by the consent is not in the policy.",
)
GUARDIAN_CONSENT_MISSING = _r(
    "GUARDIAN_CONSENT_MISSING",
    "通則編ガイドライン2-16",
    D,
    # No age in the text: it comes from the birth date, which only some roles may see.
    "同意時に本人は{threshold}歳未満でしたが、法定代理人等の同意が記録されていません。",
    "The person was under {threshold} when consenting and no guardian consent is recorded.",
)
IDENTITY_NOT_VERIFIED = _r(
    "IDENTITY_NOT_VERIFIED",
    "通則編ガイドライン2-16",
    D,
    "本人確認がされていないため、同意を有効とみなせません。",
    "The person's identity is not verified, so the consent cannot be relied on.",
)
FOREIGN_TRANSFER_INFO_MISSING = _r(
    "FOREIGN_TRANSFER_INFO_MISSING",
    "法28条2項",
    D,
    "外国({country})にある第三者への提供には、移転先国の制度等の情報を本人に提供した上での同意が必要です。",
    "Provision to a recipient in {country} needs consent given after the 法28 information.",
)
FOREIGN_TRANSFER_DESIGNATED = _r(
    "FOREIGN_TRANSFER_DESIGNATED",
    "法28条1項",
    I,
    "提供先の国({country})はEU・英国等の指定国、又は基準適合体制を整備しているため、国内と同様に扱います。",
    "The recipient's country ({country}) is designated or the recipient has equivalent measures.",
)
OPT_OUT_ALLOWED = _r(
    "OPT_OUT_ALLOWED",
    "法27条2項",
    A,
    "オプトアウトの届出({filed_on})済みで、本人から提供停止の求めがないため提供できます。",
    "Opt-out was filed with the PPC ({filed_on}) and the person has not objected.",
)
OPT_OUT_OBJECTED = _r(
    "OPT_OUT_OBJECTED",
    "法27条2項",
    D,
    "本人が提供停止を求めた(又は同意を拒否・撤回した)ため、オプトアウトによる提供はできません。",
    "The person objected to (or refused or withdrew consent for) provision; opt-out cannot apply.",
)
OPT_OUT_SENSITIVE_BANNED = _r(
    "OPT_OUT_SENSITIVE_BANNED",
    "法27条2項",
    D,
    "要配慮個人情報はオプトアウトにより第三者提供することはできません。",
    "要配慮個人情報 (sensitive data) may never be provided by opt-out.",
)
OPT_OUT_FOREIGN_BANNED = _r(
    "OPT_OUT_FOREIGN_BANNED",
    "法28条1項",
    D,
    "外国にある第三者への提供はオプトアウトでは行えず、本人の同意が必要です。",
    "Provision abroad cannot rely on opt-out; it needs the person's consent.",
)
OPT_OUT_NOT_YET_FILED = _r(
    "OPT_OUT_NOT_YET_FILED",
    "法27条2項",
    I,
    "オプトアウトの届出日({filed_on})より前のため、オプトアウトによる提供はできません。",
    "Opt-out cannot apply before its filing date ({filed_on}).",
)
SENSITIVE_DATA_CONSENT_REQUIRED = _r(
    "SENSITIVE_DATA_CONSENT_REQUIRED",
    "法20条2項",
    I,
    "要配慮個人情報を含むため、あらかじめ本人の同意が必要です。",
    "The data includes 要配慮個人情報, which needs the person's prior consent.",
)
THIRD_PARTY_CONSENT_REQUIRED = _r(
    "THIRD_PARTY_CONSENT_REQUIRED",
    "法27条1項",
    I,
    "個人データの第三者提供には、あらかじめ本人の同意が必要です。",
    "Providing personal data to a third party needs the person's prior consent.",
)
PERSONAL_RELATED_CONSENT_REQUIRED = _r(
    "PERSONAL_RELATED_CONSENT_REQUIRED",
    "法31条1項",
    I,
    "個人関連情報の提供には、提供先が本人の同意を得ていることの確認が必要です。",
    "Providing 個人関連情報 needs confirmation that the recipient obtained the person's consent.",
)
NOT_THIRD_PARTY_OUTSOURCEE = _r(
    "NOT_THIRD_PARTY_OUTSOURCEE",
    "法27条5項1号",
    A,
    "提供先「{recipient}」は委託先であり、第三者に該当しません。",
    "Recipient '{recipient}' is an outsourcee (委託先), not a third party.",
)
NOT_THIRD_PARTY_SUCCESSOR = _r(
    "NOT_THIRD_PARTY_SUCCESSOR",
    "法27条5項2号",
    A,
    "提供先「{recipient}」は事業承継に伴う提供先であり、第三者に該当しません。",
    "Recipient '{recipient}' receives the data in a business succession, not as a third party.",
)
NOT_THIRD_PARTY_JOINT_USE = _r(
    "NOT_THIRD_PARTY_JOINT_USE",
    "法27条5項3号",
    A,
    "提供先「{recipient}」は共同利用者であり、第三者に該当しません。",
    "Recipient '{recipient}' is a joint user (共同利用), not a third party.",
)
WITHIN_PURPOSE_OF_USE = _r(
    "WITHIN_PURPOSE_OF_USE",
    "法18条1項",
    A,
    "特定された利用目的「{purpose}」の範囲内の利用であり、本人の同意は不要です。",
    "Use within the specified purpose '{purpose}' needs no consent.",
)

ALL: tuple[ReasonType, ...] = tuple(v for v in list(globals().values()) if isinstance(v, ReasonType))
BY_CODE: dict[str, ReasonType] = {r.code: r for r in ALL}
