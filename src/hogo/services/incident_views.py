"""What the CLI (and later the API and console) show of an incident: plain, JSON-ready models.

Kept apart from the stored document so an interface gets exactly the fields it needs — the
reportability verdict, the deadlines, the current step, countdowns — and nothing it could leak.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from hogo.domain.decision import Reason
from hogo.domain.incidents import flow
from hogo.domain.incidents.deadlines import DeadlineState, days_left, final_state, preliminary_state
from hogo.domain.incidents.details import ReportDetails
from hogo.domain.incidents.facts import Facts
from hogo.domain.incidents.incident import IncidentState
from hogo.domain.incidents.types import IncidentType
from hogo.domain.model import Frozen
from hogo.store.incidents import IncidentRow

PRELIMINARY_TASK = "ppc-preliminary-report"
FINAL_TASK = "ppc-final-report"


#: Whether an incident's flow still has a step to do.
Status = Literal["open", "closed"]


class StepView(Frozen):
    number: int = Field(description="1–6(情報漏えい発生時の対応ポイント集の6ステップ)")
    ja: str
    en: str


class DeadlinesView(Frozen):
    preliminary: date | None
    preliminary_overdue_after: date | None
    final: date | None
    final_days: int | None
    #: The final-report period's own end, and the last business day on or before it.
    final_period_end: date | None = None
    final_recommended: date | None = None


class IncidentBase(Frozen):
    """What every interface shows of an incident as it is; the API's output derives from it."""

    id: str
    type: IncidentType
    type_ja: str
    type_en: str
    aware_at: datetime
    occurred_at: datetime | None
    description: str
    datasets: tuple[str, ...]
    persons: int
    reportable: bool = Field(description="個人情報保護委員会への報告の要否(法26条1項)")
    notify_persons: bool = Field(description="本人への通知の要否(法26条2項)")
    report_to_client: bool = Field(description="委託元への通知(法26条1項ただし書)")
    triggers: tuple[int, ...] = Field(description="該当する規則7条の号")
    excluded_triggers: tuple[int, ...] = Field(description="高度な暗号化により除かれた号")


class IncidentView(IncidentBase):
    deadlines: DeadlinesView
    reasons: tuple[Reason, ...]
    step: StepView | None
    status: Status
    facts: Facts
    details: ReportDetails
    tasks: tuple[flow.Task, ...]


class TimelineEntry(Frozen):
    at: datetime
    kind: flow.TimelineKind
    summary_ja: str
    summary_en: str
    ledger_seq: int


class BoardRow(Frozen):
    id: str
    type: IncidentType
    type_ja: str
    type_en: str
    step: StepView | None
    status: Status
    reportable: bool
    triggers: tuple[int, ...]
    overdue_tasks: tuple[str, ...]
    preliminary: date | None
    preliminary_state: DeadlineState | None
    preliminary_days_left: int | None
    final: date | None
    final_state: DeadlineState | None
    final_days_left: int | None
    final_recommended: date | None = Field(default=None, description="確報の推奨提出日")


def _step(state: IncidentState) -> StepView | None:
    step = state.step
    return None if step is None else StepView(number=int(step), ja=step.ja, en=step.en)


def view_of(row: IncidentRow, state: IncidentState) -> IncidentView:
    a = state.assessment
    d = a.deadlines
    return IncidentView(
        id=row.id,
        type=state.incident_type,
        type_ja=state.incident_type.ja,
        type_en=state.incident_type.en,
        aware_at=state.aware_at,
        occurred_at=state.occurred_at,
        description=row.description,
        datasets=state.scope.datasets,
        persons=state.facts.persons,
        reportable=a.reportable,
        notify_persons=a.notify_persons,
        report_to_client=a.report_to_client,
        triggers=a.triggers,
        excluded_triggers=a.excluded_triggers,
        deadlines=DeadlinesView(
            preliminary=d.preliminary if d else None,
            preliminary_overdue_after=d.preliminary_overdue_after if d else None,
            final=d.final if d else None,
            final_days=d.final_days if d else None,
            final_period_end=d.final_period_end if d else None,
            final_recommended=d.final_recommended if d else None,
        ),
        reasons=a.reasons,
        step=_step(state),
        status="open" if state.step is not None else "closed",
        facts=state.facts,
        details=state.details,
        tasks=state.tasks,
    )


def board_row(row: IncidentRow, state: IncidentState, now: datetime) -> BoardRow:
    d = state.assessment.deadlines
    pre_done = flow.is_done(state.tasks, PRELIMINARY_TASK)
    final_done = flow.is_done(state.tasks, FINAL_TASK)
    return BoardRow(
        id=row.id,
        type=state.incident_type,
        type_ja=state.incident_type.ja,
        type_en=state.incident_type.en,
        step=_step(state),
        status="open" if state.step is not None else "closed",
        reportable=state.assessment.reportable,
        triggers=state.assessment.triggers,
        overdue_tasks=tuple(t.id for t in flow.overdue(state.tasks, now)),
        preliminary=d.preliminary if d else None,
        preliminary_state=preliminary_state(d, now, pre_done) if d else None,
        preliminary_days_left=days_left(d.preliminary, now) if d and not pre_done else None,
        final=d.final if d else None,
        final_state=final_state(d, now, final_done) if d else None,
        final_days_left=days_left(d.final, now) if d and not final_done else None,
        final_recommended=d.final_recommended if d else None,
    )
