"""What the answer to a request tells the person: the result, and the reason when not all of it
was done (法36条), under the article that obliges the business to notify.

Notices are built from the case alone; a disclosure's content (法33条1項・5項) comes from the
disclosure answer and is attached by the service, not rebuilt here.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hogo.domain.model import Frozen
from hogo.domain.rights.grounds import BY_CODE
from hogo.domain.rights.kinds import ANSWER_ARTICLES, KIND_ARTICLES, RequestKind, RequestOutcome
from hogo.domain.rights.request import RightsRequest

#: What "done" means for each kind, in the answer's words.
_DONE: dict[RequestKind, tuple[str, str]] = {
    RequestKind.purpose_notice: (
        "保有個人データの利用目的を以下のとおり通知します。",
        "The purposes of use of your retained personal data are as follows.",
    ),
    RequestKind.disclosure: (
        "保有個人データ及び第三者提供記録を以下のとおり開示します。",
        "Your retained personal data and the third-party provision records are disclosed below.",
    ),
    RequestKind.correction: (
        "ご請求のとおり、保有個人データの内容を訂正等しました。",
        "The content of your retained personal data has been corrected as asked.",
    ),
    RequestKind.stop_use: (
        "ご請求のとおり、保有個人データの利用を停止しました。",
        "Use of your retained personal data has been stopped as asked.",
    ),
    RequestKind.erasure: (
        "ご請求のとおり、保有個人データを消去しました。",
        "Your retained personal data has been erased as asked.",
    ),
    RequestKind.stop_provision: (
        "ご請求のとおり、保有個人データの第三者への提供を停止しました。",
        "Provision of your retained personal data to third parties has been stopped as asked.",
    ),
}

_PARTLY = (
    "ご請求の一部について、以下の理由により行いません。",
    "Part of the request is not done, for the reasons below.",
)
_REFUSED = (
    "ご請求については、以下の理由により行いません。",
    "The request is not done, for the reasons below.",
)


class GroundText(Frozen):
    code: str
    article: str
    ja: str
    en: str


class Notice(Frozen):
    """The answer's contents; the renderers (HTML, PDF, JSON) show these and nothing else."""

    request_id: str
    kind: RequestKind
    #: The right the person used, and the duty to notify the result.
    right_article: str
    notice_article: str
    received_at: str
    answered_at: str | None
    outcome: RequestOutcome
    summary_ja: str
    summary_en: str
    #: 法36条: the reasons when not all was done, each with its article.
    grounds: tuple[GroundText, ...]
    note: str
    #: 法35: the recipients the data had reached, whom the business informs.
    recipients: tuple[dict[str, Any], ...] = ()
    #: What carrying out did: counts and ids (never personal values).
    result: dict[str, Any] = Field(default_factory=dict)


def notice(request_id: str, request: RightsRequest) -> Notice:
    """The answer to a decided request (refused: nothing carried out; else after carrying out)."""
    if request.decision is None:
        raise ValueError("the request is not decided")
    outcome = request.decision.outcome
    lines = [_DONE[request.kind]] if outcome is not RequestOutcome.refused else []
    if outcome is RequestOutcome.partly:
        lines.append(_PARTLY)
    if outcome is RequestOutcome.refused:
        lines.append(_REFUSED)
    grounds = tuple(
        GroundText(code=g.code, article=g.article, ja=g.ja, en=g.en)
        for g in (BY_CODE[c] for c in request.decision.grounds)
    )
    result = dict(request.result)
    recipients = tuple(result.pop("recipients", ()))
    return Notice(
        request_id=request_id,
        kind=request.kind,
        right_article=KIND_ARTICLES[request.kind],
        notice_article=ANSWER_ARTICLES[request.kind] + ("・法36条" if grounds else ""),
        received_at=request.received_at.isoformat(),
        answered_at=request.answered_at.isoformat() if request.answered_at else None,
        outcome=outcome,
        summary_ja="".join(ja for ja, _ in lines),
        summary_en=" ".join(en for _, en in lines),
        grounds=grounds,
        note=request.decision.note,
        recipients=recipients,
        result=result,
    )
