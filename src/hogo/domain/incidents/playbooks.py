"""Action-flow playbooks: per incident type, the tasks of each of the six steps, who, how fast.

A playbook is prepared before anything happens and instantiated when an incident opens. Each
task names a role and a due offset from awareness: `<n>h` or `<n>d`, or an anchor to a statutory
deadline (`preliminary`, `final`), so that the PPC-report tasks always follow the assessment —
a later fact that brings in 規則7条3号 moves the final-report task from 30 to 60 days.
A task may apply only when the incident is reportable, or only when we are an outsourcee.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import StringConstraints, model_validator

from hogo.domain.clock import JST, as_aware
from hogo.domain.ids import Identifier
from hogo.domain.incidents.deadlines import Deadlines
from hogo.domain.incidents.types import IncidentType, Step
from hogo.domain.model import Frozen

DUE_PATTERN = r"^([0-9]{1,4}[hd]|preliminary|final)$"
DueSpec = Annotated[str, StringConstraints(strip_whitespace=True, pattern=DUE_PATTERN)]
TaskText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Applies(StrEnum):
    always = "always"
    reportable = "reportable"  # only when we must report to the PPC and notify persons
    client = "client"  # only when we are an outsourcee and must inform the client


class TaskTemplate(Frozen):
    id: Identifier
    step: Step
    role: Identifier
    due: DueSpec
    ja: TaskText
    en: str = ""
    applies: Applies = Applies.always


class Playbook(Frozen):
    incident_type: IncidentType
    tasks: tuple[TaskTemplate, ...]

    @model_validator(mode="after")
    def _check(self) -> Self:
        ids = [t.id for t in self.tasks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate task ids: {', '.join(duplicates)}")
        missing = [s for s in Step if not any(t.step is s for t in self.tasks)]
        if missing:
            raise ValueError(f"steps without a task: {', '.join(str(int(s)) for s in missing)}")
        return self

    def ordered(self) -> tuple[TaskTemplate, ...]:
        return tuple(sorted(self.tasks, key=lambda t: int(t.step)))


class PlaybookSet(Frozen):
    playbooks: tuple[Playbook, ...]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        types = [p.incident_type for p in self.playbooks]
        if len(set(types)) != len(types):
            raise ValueError("each incident type has at most one playbook")
        return self

    def for_type(self, incident_type: IncidentType) -> Playbook | None:
        return next((p for p in self.playbooks if p.incident_type is incident_type), None)

    def missing_types(self) -> tuple[IncidentType, ...]:
        return tuple(t for t in IncidentType if self.for_type(t) is None)

    def merged(self, other: PlaybookSet) -> PlaybookSet:
        """`other`'s playbooks replace ours type by type; types it does not name are kept."""
        kept = [p for p in self.playbooks if other.for_type(p.incident_type) is None]
        return PlaybookSet(playbooks=(*kept, *other.playbooks))


class PlaybookDocument(Frozen):
    """The editable form: tasks common to every type plus each type's own tasks.

    A type's task with the id of a common task replaces it, so one type can re-time or reword a
    common task without repeating the others.
    """

    common: tuple[TaskTemplate, ...] = ()
    types: dict[IncidentType, tuple[TaskTemplate, ...]]

    def expand(self) -> PlaybookSet:
        playbooks = []
        for incident_type, own in self.types.items():
            own_ids = {t.id for t in own}
            tasks = (*(t for t in self.common if t.id not in own_ids), *own)
            # Step order (stable within a step), so the same content always compares equal.
            ordered = tuple(sorted(tasks, key=lambda t: int(t.step)))
            playbooks.append(Playbook(incident_type=incident_type, tasks=ordered))
        return PlaybookSet(playbooks=tuple(playbooks))

    @classmethod
    def of(cls, playbook_set: PlaybookSet) -> PlaybookDocument:
        return cls(types={p.incident_type: p.ordered() for p in playbook_set.playbooks})


_OFFSET = re.compile(r"^([0-9]+)([hd])$")


def end_of_day(day: date) -> datetime:
    """The last second of a JST calendar day (deadlines are inclusive dates)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=JST)


def due_at(due: str, aware_at: datetime, deadlines: Deadlines | None) -> datetime | None:
    """When a task is due; None for a deadline anchor while there is no deadline.

    The final-report task is planned for the recommended day (the last business day on or before
    the period's end), not the statutory day a holiday moves it to: the plan keeps the margin.
    """
    match = _OFFSET.match(due)
    if match:
        n = int(match.group(1))
        delta = timedelta(hours=n) if match.group(2) == "h" else timedelta(days=n)
        return as_aware(aware_at) + delta
    if deadlines is None:
        return None
    return end_of_day(deadlines.preliminary if due == "preliminary" else deadlines.final_recommended)
