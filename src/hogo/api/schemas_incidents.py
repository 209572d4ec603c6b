"""API schemas for incidents (漏えい等事案) and the inventory (個人情報管理台帳), input apart from output.

Outputs carry what an interface needs — the verdict with its reasons, the deadlines and their
countdowns, the step, the tasks — and never a person's contact details: those leave the system
only in the notification list, a CSV download of its own with its own permission.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from hogo.api.schemas import Instant, ReasonOut
from hogo.domain.ids import Identifier, RecordId
from hogo.domain.incidents import flow
from hogo.domain.incidents.deadlines import DeadlineState
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Dataset, Encryption, LocationKind, SubjectQueryKind
from hogo.services.incident_views import BoardRow, IncidentView, StepView, TimelineEntry
from hogo.services.inventory import DatasetVersion

Ref = RecordId
CategoryRef = Identifier


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- input -------------------------------------------------------------------------------------


class FactsIn(_In):
    """What is known; a field left out keeps its value, `null` forgets a recorded fact."""

    data_categories: list[CategoryRef] | None = Field(
        default=None, max_length=50, description="関係するデータ区分 id(台帳より優先)"
    )
    persons: int | None = Field(default=None, ge=0, le=1_000_000_000, description="本人の数")
    card_or_login: StrictBool | None = Field(
        default=None, description="カード番号・ログイン情報等(規則7条2号)"
    )
    improper_purpose: StrictBool | None = Field(
        default=None, description="不正の目的のおそれ(規則7条3号)。null は種類から推定"
    )
    about_to_be_acquired: StrictBool | None = Field(
        default=None, description="取得しようとしている個人情報(規則7条3号)"
    )
    encryption: Encryption | None = None
    key_leaked: StrictBool | None = Field(default=None, description="復号鍵も漏えい等したか")
    outsourcee_client: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        Field(default=None, description="委託先として取り扱っていた場合の委託元")
    )
    client_informed_at: Instant | None = Field(
        default=None, description="委託元に通知した日時(法26条1項ただし書)"
    )

    def changes(self) -> dict[str, Any]:
        """Only the fields sent, as the service takes them."""
        values = self.model_dump(exclude_unset=True)
        if isinstance(values.get("encryption"), Encryption):
            values["encryption"] = values["encryption"].value
        return values


class IncidentOpenIn(_In):
    type: IncidentType
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] = (
        Field(description="概要(報告書の概要欄の元になります)")
    )
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


class StepOut(BaseModel):
    number: int = Field(description="1–6(情報漏えい発生時の対応ポイント集の6ステップ)")
    ja: str
    en: str

    @classmethod
    def of(cls, step: StepView | None) -> StepOut | None:
        return None if step is None else cls(number=step.number, ja=step.ja, en=step.en)


class DeadlinesOut(BaseModel):
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


class InvolvedCategoryOut(BaseModel):
    id: str
    appi_class: str


class FactsOut(BaseModel):
    data_categories: list[InvolvedCategoryOut]
    persons: int
    card_or_login: bool
    improper_purpose: bool | None
    about_to_be_acquired: bool | None
    encryption: Encryption
    key_leaked: bool
    outsourcee_client: str
    client_informed_at: datetime | None


class TaskOut(BaseModel):
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


class IncidentOut(BaseModel):
    id: str
    type: IncidentType
    type_ja: str
    type_en: str
    aware_at: datetime
    occurred_at: datetime | None
    description: str
    datasets: list[str]
    persons: int
    reportable: bool = Field(description="個人情報保護委員会への報告の要否(法26条1項)")
    notify_persons: bool = Field(description="本人への通知の要否(法26条2項)")
    report_to_client: bool = Field(description="委託元への通知(法26条1項ただし書)")
    triggers: list[int] = Field(description="該当する規則7条の号")
    excluded_triggers: list[int] = Field(description="高度な暗号化により除かれた号")
    deadlines: DeadlinesOut
    reasons: list[ReasonOut]
    step: StepOut | None = Field(description="現在のステップ(完了後は null)")
    status: Literal["open", "closed"]
    facts: FactsOut
    tasks: list[TaskOut]
    overdue_tasks: list[str]

    @classmethod
    def of(cls, view: IncidentView, row: BoardRow) -> IncidentOut:
        overdue = set(row.overdue_tasks)
        f = view.facts
        return cls(
            id=view.id,
            type=view.type,
            type_ja=view.type_ja,
            type_en=view.type_en,
            aware_at=view.aware_at,
            occurred_at=view.occurred_at,
            description=view.description,
            datasets=list(view.datasets),
            persons=view.persons,
            reportable=view.reportable,
            notify_persons=view.notify_persons,
            report_to_client=view.report_to_client,
            triggers=list(view.triggers),
            excluded_triggers=list(view.excluded_triggers),
            deadlines=DeadlinesOut(
                preliminary=row.preliminary,
                preliminary_overdue_after=view.deadlines.preliminary_overdue_after,
                preliminary_state=row.preliminary_state,
                preliminary_days_left=row.preliminary_days_left,
                final=row.final,
                final_days=view.deadlines.final_days,
                final_period_end=view.deadlines.final_period_end,
                final_recommended=view.deadlines.final_recommended,
                final_state=row.final_state,
                final_days_left=row.final_days_left,
            ),
            reasons=[ReasonOut(**r.model_dump(mode="json")) for r in view.reasons],
            step=StepOut.of(view.step),
            status="open" if view.status == "open" else "closed",
            facts=FactsOut(
                data_categories=[
                    InvolvedCategoryOut(id=c.id, appi_class=c.appi_class.value) for c in f.data_categories
                ],
                persons=f.persons,
                card_or_login=f.card_or_login,
                improper_purpose=f.improper_purpose,
                about_to_be_acquired=f.about_to_be_acquired,
                encryption=f.encryption,
                key_leaked=f.key_leaked,
                outsourcee_client=f.outsourcee_client,
                client_informed_at=f.client_informed_at,
            ),
            tasks=[
                TaskOut(
                    id=t.id,
                    step=int(t.step),
                    step_ja=t.step.ja,
                    role=t.role,
                    ja=t.ja,
                    en=t.en,
                    due=t.due,
                    due_at=t.due_at,
                    status=t.status,
                    done_at=t.done_at,
                    note=t.note,
                    overdue=t.id in overdue,
                )
                for t in view.tasks
            ],
            overdue_tasks=list(row.overdue_tasks),
        )


class BoardRowOut(BaseModel):
    id: str
    type: IncidentType
    type_ja: str
    type_en: str
    step: StepOut | None
    status: Literal["open", "closed"]
    reportable: bool
    triggers: list[int]
    overdue_tasks: list[str]
    preliminary: date | None
    preliminary_state: DeadlineState | None
    preliminary_days_left: int | None
    final: date | None
    final_state: DeadlineState | None
    final_days_left: int | None
    final_recommended: date | None = Field(default=None, description="確報の推奨提出日")

    @classmethod
    def of(cls, r: BoardRow) -> BoardRowOut:
        return cls(
            id=r.id,
            type=r.type,
            type_ja=r.type_ja,
            type_en=r.type_en,
            step=StepOut.of(r.step),
            status="open" if r.status == "open" else "closed",
            reportable=r.reportable,
            triggers=list(r.triggers),
            overdue_tasks=list(r.overdue_tasks),
            preliminary=r.preliminary,
            preliminary_state=r.preliminary_state,
            preliminary_days_left=r.preliminary_days_left,
            final=r.final,
            final_state=r.final_state,
            final_days_left=r.final_days_left,
            final_recommended=r.final_recommended,
        )


class IncidentBoardOut(BaseModel):
    at: datetime = Field(description="この時点での期限超過・残り日数")
    items: list[BoardRowOut]


class TimelineEntryOut(BaseModel):
    at: datetime
    kind: flow.TimelineKind
    summary_ja: str
    summary_en: str
    ledger_seq: int

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineEntryOut:
        return cls(
            at=e.at, kind=e.kind, summary_ja=e.summary_ja, summary_en=e.summary_en, ledger_seq=e.ledger_seq
        )


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


class SubjectScopeOut(BaseModel):
    kind: SubjectQueryKind
    value: str
    listed: int = Field(description="kind が listed のときの本人IDの数")


class DatasetOut(BaseModel):
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
        return cls(
            id=d.id,
            name=d.name,
            owner=d.owner,
            location_kind=d.location_kind,
            location=d.location,
            data_categories=list(d.data_categories),
            purposes=list(d.purposes),
            subjects=SubjectScopeOut(
                kind=d.subjects.kind, value=d.subjects.value, listed=len(d.subjects.subject_ids)
            ),
            count=d.count,
            retention=d.retention,
            access_roles=list(d.access_roles),
            encryption=d.encryption,
            outsourcees=list(d.outsourcees),
        )


class DatasetListOut(BaseModel):
    items: list[DatasetOut]


class DatasetVersionOut(BaseModel):
    seq: int = Field(description="台帳の記録番号")
    recorded_at: datetime
    event: str = Field(description="saved(保存)又は removed(削除)")
    version: int
    dataset: DatasetOut | None = Field(description="この版の内容(削除の記録は null)")

    @classmethod
    def of(cls, v: DatasetVersion) -> DatasetVersionOut:
        return cls(
            seq=v.seq,
            recorded_at=v.recorded_at,
            event=v.event,
            version=v.version,
            dataset=DatasetOut.of(v.dataset) if v.dataset is not None else None,
        )


class DatasetDetailOut(BaseModel):
    dataset: DatasetOut
    versions: list[DatasetVersionOut]


class InventoryImportOut(BaseModel):
    added: list[str]
    changed: list[str]
    unchanged: list[str]
    removed: list[str]
