"""Why persons were left out of a release, in words, per reason code (issue 17).

The release manifest counts exclusions by the code of `decide`'s first reason
(`hogo.domain.reasons`); these are the same reasons the subject page and `hogo consent check`
explain for one person, written for a count of persons. The article is the catalogue's.
"""

from __future__ import annotations

from hogo.domain import reasons as R
from hogo.release.run import NOT_REGISTERED

EXCLUSION_TEXTS: dict[str, tuple[str, str]] = {
    R.NO_CONSENT.code: (
        "この利用目的への本人の同意が記録されていない",
        "no consent recorded for this purpose",
    ),
    R.TERMS_DID_NOT_INCLUDE_PURPOSE.code: (
        "同意した規約版にこの利用目的が含まれていない(後の改定で追加された目的には改めて同意が必要)",
        "the terms version accepted did not contain this purpose (added later: consent needed again)",
    ),
    R.TERMS_VERSION_UNKNOWN.code: (
        "同意の根拠とされた規約版がポリシーに存在しない",
        "the terms version cited by the consent is not in the policy",
    ),
    R.CONSENT_DENIED.code: ("本人が同意を拒否した", "the person refused consent"),
    R.CONSENT_WITHDRAWN.code: ("本人が同意を撤回した", "the person withdrew consent"),
    R.OBJECTED.code: ("本人が利用停止・提供停止を求めた", "the person asked to stop use or provision"),
    R.IDENTITY_NOT_VERIFIED.code: (
        "本人確認がされておらず、同意を有効とみなせない",
        "identity not verified, so the consent cannot be relied on",
    ),
    R.GUARDIAN_CONSENT_MISSING.code: (
        "同意時に未成年(基準年齢未満)で、法定代理人等の同意が記録されていない",
        "under the age threshold when consenting, without a guardian's consent",
    ),
    R.FOREIGN_TRANSFER_INFO_MISSING.code: (
        "外国にある第三者への提供について法28条の情報提供を受けた上での同意がない",
        "no consent given after the 法28 information on the foreign recipient",
    ),
    NOT_REGISTERED: (
        "本人として登録されていない(同意等の記録がない)",
        "not registered as a person (no consent record at all)",
    ),
}


def exclusion_text(code: str, lang: str) -> tuple[str, str]:
    """(explanation, article) for a reason code; unknown codes fall back to the catalogue."""
    kind = R.BY_CODE.get(code)
    article = kind.article if kind is not None and "{" not in kind.article else ""
    if code in EXCLUSION_TEXTS:
        ja, en = EXCLUSION_TEXTS[code]
        return (en if lang == "en" else ja), article
    return ("other reason in the policy" if lang == "en" else "ポリシー上のその他の理由"), article
