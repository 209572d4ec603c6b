"""API schemas for rights requests (本人からの請求, 法32条〜35条), input apart from output.

Inputs derive from the domain's own models (`Details`, `Decision`), so their bounds are the
only ones; outputs are filled from the service's view by attribute name (`Out.build`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hogo.api.schemas import Instant, Out
from hogo.domain.ids import RecordId
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestKind,
    RequestOutcome,
    RequestState,
    VerificationLevel,
)
from hogo.domain.rights.request import Decision, Details, Extension, Partial
from hogo.services.rights_requests import AnswerMail, RequestView, StepEntry


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestFileIn(_In):
    subject_id: RecordId = Field(description="本人ID / subject id")
    kind: RequestKind = Field(description="請求の種類 / kind of request")
    details: Details = Field(default_factory=Details, description="請求の内容 / what was asked")
    verification: VerificationLevel | None = Field(
        default=None, description="受付時に済んだ本人確認(署名付きリンク等)/ identity check done on arrival"
    )
    channel: RequestChannel = RequestChannel.api
    received_at: Instant | None = Field(default=None, description="受付日時(省略時は受信時刻)")


class VerifyIn(_In):
    level: VerificationLevel
    at: Instant | None = None


class DecisionIn(Decision):
    """全部又は一部を行わない場合は根拠(grounds)が必要です(法36条)。"""

    at: Instant | None = None

    def decision(self) -> Decision:
        return Decision.model_validate(self.model_dump(exclude={"at"}))


class CarryOutIn(Partial):
    """一部を行わない決定の場合だけ、実施する範囲を限定できます(訂正する項目、停止する利用目的、
    開示しない項目)/ only a partly refused request can be narrowed."""

    at: Instant | None = None

    def partial(self) -> Partial:
        return Partial.model_validate(self.model_dump(exclude={"at"}))


class AnswerIn(_In):
    at: Instant | None = None


class ExtendIn(_In):
    until: Instant = Field(description="延長後の期限 / the new deadline")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class StepOut(StepEntry, Out):
    pass


class RequestOut(Out):
    request_id: str
    subject_id: str | None = Field(description="本人ID(消去後は null)")
    channel: RequestChannel
    kind: RequestKind
    state: RequestState
    received_at: datetime
    deadline: datetime = Field(description="期限(延長を含む)/ the deadline in force")
    overdue: bool
    days_left: int = Field(description="期限までの日数(JST、超過は負)")
    answered_at: datetime | None
    verification: VerificationLevel | None
    verified_at: datetime | None
    outcome: RequestOutcome | None
    details: Details
    decision: Decision | None
    decided_at: datetime | None
    carried_out_at: datetime | None
    result: dict[str, Any]
    extensions: list[Extension]
    steps: list[StepOut] | None = None
    withheld: list[str] = Field(
        default_factory=list,
        description="personal_data 権限がないため空にした項目(本人の記載、訂正後の値)/ values withheld",
    )
    answer_mail: AnswerMail | None = Field(
        default=None,
        description="回答の記録時のみ: 回答の準備ができた旨のメール(sent / no_address / "
        "not_configured / failed)/ on answering: the e-mail telling the person the answer is ready",
    )

    @classmethod
    def of(
        cls, view: RequestView, now: datetime, personal: bool, steps: list[StepEntry] | None = None
    ) -> RequestOut:
        """`personal=False`: the person's own words and the corrected values are withheld (named)."""
        details, withheld = view.case.details, []
        if not personal:
            withheld = [n for n in ("text", "corrections") if getattr(details, n)]
            details = details.model_copy(
                update={"text": "", "corrections": dict.fromkeys(details.corrections)}
            )
        return cls.build(
            view,
            view.case,
            details=details,
            withheld=[f"details.{n}" for n in withheld],
            overdue=view.overdue(now),
            days_left=view.days_left(now),
            extensions=list(view.case.extensions),
            steps=None if steps is None else [StepOut.build(s) for s in steps],
        )


class RequestBoardOut(BaseModel):
    at: datetime
    items: list[RequestOut]
