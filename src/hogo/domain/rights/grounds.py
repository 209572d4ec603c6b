"""The statutory grounds on which a business may refuse (all or part of) a request, each with a
stable code and the provision it rests on, as `hogo.domain.reasons` does for decisions.

法36条: when a business does not do (all of) what was asked, it explains why; the answer cites
the ground's article and shows its text. Which grounds fit depends on the kind and, under 法35,
on the claim (1項/3項 violations against 5項 needs).
"""

from __future__ import annotations

from hogo.domain.reasons import Effect, ReasonType
from hogo.domain.rights.kinds import ARTICLE_35, PARAGRAPH_5, RequestClaim, RequestKind

D = Effect.denies


def _g(code: str, article: str, ja: str, en: str) -> ReasonType:
    return ReasonType(f"RIGHTS_{code}", article, D, ja, en)


PURPOSE_ALREADY_CLEAR = _g(
    "PURPOSE_ALREADY_CLEAR",
    "法32条2項1号",
    "公表等により、本人が識別される保有個人データの利用目的が明らかなため、通知しません。",
    "The purposes of use are already clear from what is published, so they are not notified.",
)
PURPOSE_EXEMPT = _g(
    "PURPOSE_EXEMPT",
    "法32条2項2号",
    "法21条4項1号から3号までのいずれかに該当するため、利用目的を通知しません。",
    "One of art. 21(4)(i)–(iii) applies, so the purposes of use are not notified.",
)
DISCLOSURE_HARM = _g(
    "DISCLOSURE_HARM",
    "法33条2項1号",
    "開示することにより、本人又は第三者の生命、身体、財産その他の権利利益を害するおそれがあります。",
    "Disclosure could harm the life, body, property or other rights of the person or a third party.",
)
DISCLOSURE_HINDRANCE = _g(
    "DISCLOSURE_HINDRANCE",
    "法33条2項2号",
    "開示することにより、当社の業務の適正な実施に著しい支障を及ぼすおそれがあります。",
    "Disclosure could seriously hinder the proper conduct of the business.",
)
DISCLOSURE_OTHER_LAW = _g(
    "DISCLOSURE_OTHER_LAW",
    "法33条2項3号",
    "開示することが他の法令に違反することとなります。",
    "Disclosure would violate another law.",
)
DISCLOSURE_METHOD_DIFFICULT = _g(
    "DISCLOSURE_METHOD_DIFFICULT",
    "法33条2項・3項",
    "ご指定の方法による開示には多額の費用を要する等、困難なため、書面の交付により開示します。",
    "The method asked for is very costly or otherwise difficult, so the data is disclosed on paper.",
)
DISCLOSURE_NO_DATA = _g(
    "DISCLOSURE_NO_DATA",
    "法33条3項",
    "ご請求の保有個人データ(又は第三者提供記録)は存在しません。",
    "No retained personal data (or provision record) as asked for exists.",
)
CORRECTION_NOT_UNTRUE = _g(
    "CORRECTION_NOT_UNTRUE",
    "法34条2項",
    "調査の結果、保有個人データの内容が事実でないとは認められませんでした。",
    "The investigation did not find the content of the retained personal data untrue.",
)
CORRECTION_OTHER_PROCEDURE = _g(
    "CORRECTION_OTHER_PROCEDURE",
    "法34条2項",
    "訂正等について他の法令の規定により特別の手続が定められています。",
    "Another law sets a special procedure for this correction.",
)
CORRECTION_BEYOND_PURPOSE = _g(
    "CORRECTION_BEYOND_PURPOSE",
    "法34条2項",
    "ご請求の訂正等は、利用目的の達成に必要な範囲を超えています。",
    "The correction asked for goes beyond what the purpose of use needs.",
)
STOP_NO_VIOLATION = _g(
    "STOP_NO_VIOLATION",
    "法35条2項",
    "調査の結果、法18条・19条・20条の規定に違反する取扱いは認められず、請求に理由があるとは判明しませんでした。",
    "No handling in breach of art. 18, 19 or 20 was found, so the request was not found justified.",
)
STOP_COSTLY = _g(
    "STOP_COSTLY",
    "法35条2項ただし書",
    "利用停止等に多額の費用を要する等、困難なため、本人の権利利益を保護するため必要なこれに代わるべき措置をとりました。",
    "Stopping use or erasure is very costly or otherwise difficult; an alternative measure protecting the person was taken.",
)
PROVISION_NO_VIOLATION = _g(
    "PROVISION_NO_VIOLATION",
    "法35条4項",
    "調査の結果、法27条1項・28条の規定に違反する第三者提供は認められず、請求に理由があるとは判明しませんでした。",
    "No provision in breach of art. 27(1) or 28 was found, so the request was not found justified.",
)
PROVISION_COSTLY = _g(
    "PROVISION_COSTLY",
    "法35条4項ただし書",
    "第三者への提供の停止に多額の費用を要する等、困難なため、本人の権利利益を保護するため必要なこれに代わるべき措置をとりました。",
    "Stopping provision is very costly or otherwise difficult; an alternative measure protecting the person was taken.",
)
NEED_NOT_FOUND = _g(
    "NEED_NOT_FOUND",
    "法35条6項",
    "調査の結果、法35条5項に定める事由(利用する必要がなくなった等)があるとは判明しませんでした。",
    "None of the reasons in art. 35(5) (data no longer needed, a breach, harm) was found.",
)
NEED_COSTLY = _g(
    "NEED_COSTLY",
    "法35条6項ただし書",
    "ご請求の措置に多額の費用を要する等、困難なため、本人の権利利益を保護するため必要なこれに代わるべき措置をとりました。",
    "The measure asked for is very costly or otherwise difficult; an alternative measure protecting the person was taken.",
)

ALL: tuple[ReasonType, ...] = tuple(v for v in list(globals().values()) if isinstance(v, ReasonType))
BY_CODE: dict[str, ReasonType] = {g.code: g for g in ALL}

_BY_KIND: dict[RequestKind, tuple[ReasonType, ...]] = {
    RequestKind.purpose_notice: (PURPOSE_ALREADY_CLEAR, PURPOSE_EXEMPT),
    RequestKind.disclosure: (
        DISCLOSURE_HARM,
        DISCLOSURE_HINDRANCE,
        DISCLOSURE_OTHER_LAW,
        DISCLOSURE_METHOD_DIFFICULT,
        DISCLOSURE_NO_DATA,
    ),
    RequestKind.correction: (CORRECTION_NOT_UNTRUE, CORRECTION_OTHER_PROCEDURE, CORRECTION_BEYOND_PURPOSE),
}


def grounds_for(kind: RequestKind, claim: RequestClaim | None) -> tuple[ReasonType, ...]:
    """The grounds a refusal of this request may cite (法35: by the paragraph its claim rests on)."""
    if kind not in ARTICLE_35:
        return _BY_KIND[kind]
    if claim in PARAGRAPH_5:
        return (NEED_NOT_FOUND, NEED_COSTLY)
    if kind is RequestKind.stop_provision:
        return (PROVISION_NO_VIOLATION, PROVISION_COSTLY)
    return (STOP_NO_VIOLATION, STOP_COSTLY)
