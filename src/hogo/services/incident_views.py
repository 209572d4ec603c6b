"""What the CLI (and later the API and console) show of an incident: plain, JSON-ready models.

Kept apart from the stored document so an interface gets exactly the fields it needs — the
reportability verdict, the deadlines, the current step, countdowns — and nothing it could leak.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from hogo.domain.decision import Reason
from hogo.domain.incidents import flow
from hogo.domain.incidents.deadlines import DeadlineState, days_left, final_state, preliminary_state
from hogo.domain.incidents.details import ReportDetails
from hogo.domain.incidents.facts import Facts
from hogo.domain.incidents.incident import IncidentState
from hogo.domain.incidents.types import INCIDENT_TYPES, IncidentType
from hogo.store.incidents import IncidentRow

PRELIMINARY_TASK = "ppc-preliminary-report"
FINAL_TASK = "ppc-final-report"


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class StepView(_View):
    number: int
    ja: str
    en: str


class DeadlinesView(_View):
    preliminary: date | None
    preliminary_overdue_after: date | None
    final: date | None
    final_days: int | None
    #: The final-report period's own end, and the last business day on or before it.
    final_period_end: date | None = None
    final_recommended: date | None = None


class IncidentView(_View):
    id: str
    type: IncidentType
    type_ja: str
    type_en: str
    aware_at: datetime
    occurred_at: datetime | None
    description: str
    datasets: tuple[str, ...]
    persons: int
    reportable: bool
    notify_persons: bool
    report_to_client: bool
    triggers: tuple[int, ...]
    excluded_triggers: tuple[int, ...]
    deadlines: DeadlinesView
    reasons: tuple[Reason, ...]
    step: StepView | None
    status: str
    facts: Facts
    details: ReportDetails
    tasks: tuple[flow.Task, ...]


class TimelineEntry(_View):
    at: datetime
    kind: flow.TimelineKind
    summary_ja: str
    summary_en: str
    ledger_seq: int


class BoardRow(_View):
    id: str
    type: IncidentType
    type_ja: str
    type_en: str
    step: StepView | None
    status: str
    reportable: bool
    triggers: tuple[int, ...]
    overdue_tasks: tuple[str, ...]
    preliminary: date | None
    preliminary_state: DeadlineState | None
    preliminary_days_left: int | None
    final: date | None
    final_state: DeadlineState | None
    final_days_left: int | None
    final_recommended: date | None = None


def _step(state: IncidentState) -> StepView | None:
    step = state.step
    return None if step is None else StepView(number=int(step), ja=step.ja, en=step.en)


def view_of(row: IncidentRow, state: IncidentState) -> IncidentView:
    a = state.assessment
    d = a.deadlines
    info = INCIDENT_TYPES[state.incident_type]
    return IncidentView(
        id=row.id,
        type=state.incident_type,
        type_ja=info.ja,
        type_en=info.en,
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
        type_ja=INCIDENT_TYPES[state.incident_type].ja,
        type_en=INCIDENT_TYPES[state.incident_type].en,
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
