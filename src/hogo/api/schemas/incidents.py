"""API schemas for incidents (漏えい等事案) and the inventory (個人情報管理台帳), input apart from output.

Outputs carry what an interface needs — the verdict with its reasons, the deadlines and their
countdowns, the step, the tasks — and never a person's contact details: those leave the system
only in the notification list, a CSV download of its own with its own permission.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hogo.api.schemas import Instant, Out, ReasonOut
from hogo.domain.ids import Identifier, RecordId
from hogo.domain.incidents import flow
from hogo.domain.incidents.deadlines import DeadlineState
from hogo.domain.incidents.details import PARA_MAX
from hogo.domain.incidents.facts import FactsUpdate
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Dataset, Encryption, LocationKind, SubjectQueryKind
from hogo.services.incident_views import BoardRow, IncidentBase, IncidentView, Status, StepView, TimelineEntry
from hogo.services.inventory import DatasetVersion

Ref = RecordId
CategoryRef = Identifier


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- input -------------------------------------------------------------------------------------


class FactsIn(FactsUpdate):
    """What is known; a field left out keeps its value, `null` forgets a recorded fact."""

    # The domain's bounds, with the API's strict wire format for a moment (text only).
    client_informed_at: Instant | None = Field(
        default=None, description="委託元に通知した日時(法26条1項ただし書)"
    )


class IncidentOpenIn(_In):
    type: IncidentType
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PARA_MAX)
    ] = Field(description="概要(報告書の概要欄の元になります)")
    aware_at: Instant | None = Field(
        default=None, description="認知した日時(省略時は受信時刻、オフセットなしはJST)"
    )
    occurred_at: Instant | None = Field(default=None, description="発生日時(判明していれば)")
    datasets: list[Identifier] = Field(
        default_factory=list, max_length=200, description="影響を受けた台帳項目 id"
    )
    subjects: list[RecordId] = Field(
        default_factory=list, max_length=100_000, description="影響を受けた本人 ID"
    )
    facts: FactsIn | None = None


class TaskDoneIn(_In):
    at: Instant | None = Field(default=None, description="完了日時(省略時は受信時刻)")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


# --- output ------------------------------------------------------------------------------------


class StepOut(StepView, Out):
    pass


class DeadlinesOut(Out):
    """Dates are inclusive (a report is on time by the end of that day, JST); null when not reportable."""

    preliminary: date | None = Field(description="速報の期限(規則8条1項)")
    preliminary_overdue_after: date | None = Field(description="速報の最終期限(これを過ぎると期限超過)")
    preliminary_state: DeadlineState | None
    preliminary_days_left: int | None = Field(
        description="今日(JST)から速報の期限までの日数、超過は負、報告済みは null"
    )
    final: date | None = Field(
        description="確報の法定の最終日(規則8条2項。期間の末日が行政機関の休日なら翌開庁日、行政機関の休日に関する法律2条)"
    )
    final_days: int | None = Field(description="確報の期間(30日、規則7条3号は60日)")
    final_period_end: date | None = Field(default=None, description="確報の期間の末日(休日による延長前)")
    final_recommended: date | None = Field(
        default=None, description="確報の推奨提出日(期間の末日以前の最後の開庁日)"
    )
    final_state: DeadlineState | None
    final_days_left: int | None = Field(
        description="今日(JST)から確報の期限までの日数、超過は負、報告済みは null"
    )


class InvolvedCategoryOut(Out):
    id: str
    appi_class: str


class FactsOut(Out):
    data_categories: list[InvolvedCategoryOut]
    persons: int
    card_or_login: bool
    improper_purpose: bool | None
    about_to_be_acquired: bool | None
    encryption: Encryption
    key_leaked: bool
    outsourcee_client: str
    client_informed_at: datetime | None


class TaskOut(Out):
    id: str
    step: int
    step_ja: str
    role: str
    ja: str
    en: str
    due: str = Field(description="期限の指定(<n>h、<n>d、preliminary、final)")
    due_at: datetime | None
    status: flow.TaskStatus
    done_at: datetime | None
    note: str
    overdue: bool


class IncidentOut(IncidentBase, Out):
    deadlines: DeadlinesOut
    reasons: list[ReasonOut]
    step: StepOut | None = Field(description="現在のステップ(完了後は null)")
    status: Status
    facts: FactsOut
    tasks: list[TaskOut]
    overdue_tasks: list[str]

    @classmethod
    def of(cls, view: IncidentView, row: BoardRow) -> IncidentOut:
        """The view, with the countdowns and overdue tasks of the board row taken at the same time."""
        overdue = set(row.overdue_tasks)
        return cls.build(
            view,
            deadlines=DeadlinesOut.build(row, view.deadlines),
            tasks=[TaskOut.build(t, step_ja=t.step.ja, overdue=t.id in overdue) for t in view.tasks],
            overdue_tasks=row.overdue_tasks,
        )


class BoardRowOut(BoardRow, Out):
    step: StepOut | None


class IncidentBoardOut(BaseModel):
    at: datetime = Field(description="この時点での期限超過・残り日数")
    items: list[BoardRowOut]


class TimelineEntryOut(TimelineEntry, Out):
    pass


class IncidentTimelineOut(BaseModel):
    items: list[TimelineEntryOut]


class DocumentOut(BaseModel):
    kind: str = Field(description="文書の種類、又は notification_list(通知先リスト)")
    title_ja: str
    title_en: str
    formats: list[str]
    href: str = Field(description="POST で作成・ダウンロード(作成ごとにハッシュを時系列と台帳に記録)")
    personal_data: bool = Field(description="本人の連絡先を含む(personal_data 権限が必要)")


class DocumentListOut(BaseModel):
    items: list[DocumentOut]


# --- inventory ---------------------------------------------------------------------------------


class SubjectScopeOut(Out):
    kind: SubjectQueryKind
    value: str
    listed: int = Field(description="kind が listed のときの本人IDの数")


class DatasetOut(Out):
    id: str
    name: str
    owner: str
    location_kind: LocationKind
    location: str
    data_categories: list[str]
    purposes: list[str]
    subjects: SubjectScopeOut
    count: int
    retention: str
    access_roles: list[str]
    encryption: Encryption
    outsourcees: list[str]

    @classmethod
    def of(cls, d: Dataset) -> DatasetOut:
        return cls.build(d, subjects=SubjectScopeOut.build(d.subjects, listed=len(d.subjects.subject_ids)))


class DatasetListOut(BaseModel):
    items: list[DatasetOut]


class DatasetVersionOut(Out):
    seq: int = Field(description="台帳の記録番号")
    recorded_at: datetime
    event: str = Field(description="saved(保存)又は removed(削除)")
    version: int
    dataset: DatasetOut | None = Field(description="この版の内容(削除の記録は null)")

    @classmethod
    def of(cls, v: DatasetVersion) -> DatasetVersionOut:
        return cls.build(v, dataset=DatasetOut.of(v.dataset) if v.dataset is not None else None)


class DatasetDetailOut(BaseModel):
    dataset: DatasetOut
    versions: list[DatasetVersionOut]


class InventoryImportOut(BaseModel):
    added: list[str]
    changed: list[str]
    unchanged: list[str]
    removed: list[str]
