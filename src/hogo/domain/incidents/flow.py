"""An incident's action flow: the tasks instantiated from its playbook, and where it stands.

The current step is the first of the six steps that still has an open task, so an incident moves
forward only when the work of a step is done (a task can be marked not applicable, never just
dropped). Re-assessment re-times the deadline-anchored tasks and switches conditional tasks
between open and not applicable, but never reopens or rewrites a task already done.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from hogo.domain.clock import as_aware
from hogo.domain.consent import AwareDatetime
from hogo.domain.display import Labelled
from hogo.domain.incidents.playbooks import Applies, Playbook, due_at
from hogo.domain.incidents.reportability import Assessment
from hogo.domain.incidents.types import Step
from hogo.domain.model import Frozen


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    not_applicable = "not_applicable"


class Task(Frozen):
    id: str
    step: Step
    role: str
    ja: str
    en: str = ""
    due: str
    applies: Applies = Applies.always
    due_at: AwareDatetime | None = None
    status: TaskStatus = TaskStatus.open
    done_at: AwareDatetime | None = None
    note: str = ""


def _applies(applies: Applies, assessment: Assessment) -> bool:
    if applies is Applies.reportable:
        return assessment.reportable
    if applies is Applies.client:
        return assessment.report_to_client
    return True


def instantiate(playbook: Playbook, aware_at: datetime, assessment: Assessment) -> tuple[Task, ...]:
    tasks = (
        Task(
            **t.model_dump(),  # the template's fields, then this incident's timing and status
            due_at=due_at(t.due, aware_at, assessment.deadlines),
            status=TaskStatus.open if _applies(t.applies, assessment) else TaskStatus.not_applicable,
        )
        for t in playbook.ordered()
    )
    return tuple(tasks)


def retime(tasks: tuple[Task, ...], aware_at: datetime, assessment: Assessment) -> tuple[Task, ...]:
    """Follow a new assessment; tasks already done keep their record unchanged."""
    result = []
    for task in tasks:
        if task.status is TaskStatus.done:
            result.append(task)
            continue
        status = task.status
        if task.applies is not Applies.always:
            status = TaskStatus.open if _applies(task.applies, assessment) else TaskStatus.not_applicable
        result.append(
            task.model_copy(
                update={"due_at": due_at(task.due, aware_at, assessment.deadlines), "status": status}
            )
        )
    return tuple(result)


def complete(tasks: tuple[Task, ...], task_id: str, at: datetime, note: str = "") -> tuple[Task, ...]:
    """Mark one task done; raises KeyError for an unknown task id."""
    if not any(t.id == task_id for t in tasks):
        raise KeyError(task_id)
    return tuple(
        t.model_copy(update={"status": TaskStatus.done, "done_at": as_aware(at), "note": note})
        if t.id == task_id
        else t
        for t in tasks
    )


def current_step(tasks: tuple[Task, ...]) -> Step | None:
    """The first step with an open task; None once every task is done or not applicable."""
    open_steps = [t.step for t in tasks if t.status is TaskStatus.open]
    return min(open_steps) if open_steps else None


def overdue(tasks: tuple[Task, ...], now: datetime) -> tuple[Task, ...]:
    now = as_aware(now)
    return tuple(t for t in tasks if t.status is TaskStatus.open and t.due_at is not None and t.due_at < now)


def is_done(tasks: tuple[Task, ...], task_id: str) -> bool:
    return any(t.id == task_id and t.status is TaskStatus.done for t in tasks)


class TimelineKind(Labelled, StrEnum):
    """What a timeline entry records; every entry is also appended to the ledger."""

    opened = "opened"
    facts = "facts"
    assessment = "assessment"
    task = "task"
    document = "document"
    evidence = "evidence"
    note = "note"
