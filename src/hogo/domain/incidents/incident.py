"""An incident as one value: scope, the officer's facts, the assessment and the flow, kept in step.

Every change goes through `reassess`, which rebuilds the facts from the inventory scope and the
officer's recorded facts, runs the reportability rules again and re-times the tasks. There is
thus no way to change a fact and forget the deadlines, and the function stays pure for tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from hogo.domain.consent import AwareDatetime
from hogo.domain.incidents import flow
from hogo.domain.incidents.deadlines import DeadlineSettings
from hogo.domain.incidents.details import ReportDetails
from hogo.domain.incidents.facts import Facts, FactsUpdate
from hogo.domain.incidents.playbooks import Playbook
from hogo.domain.incidents.reportability import Assessment, assess_reportability
from hogo.domain.incidents.scope import Scope, facts_from_scope
from hogo.domain.incidents.types import IncidentType, Step
from hogo.domain.model import Frozen
from hogo.domain.policy import AppiClass

#: Facts an officer may record; everything else about an incident is derived.
FACT_FIELDS: tuple[str, ...] = tuple(Facts.model_fields)


class IncidentState(Frozen):
    incident_type: IncidentType
    aware_at: AwareDatetime
    occurred_at: AwareDatetime | None = None
    scope: Scope
    #: The officer's recorded facts, by field; they override what the inventory says.
    given: dict[str, Any] = Field(default_factory=dict)
    classes: dict[str, AppiClass] = Field(default_factory=dict)
    facts: Facts
    assessment: Assessment
    settings: DeadlineSettings
    tasks: tuple[flow.Task, ...]
    details: ReportDetails = ReportDetails()

    @property
    def step(self) -> Step | None:
        return flow.current_step(self.tasks)


def _evaluate(
    incident_type: IncidentType,
    aware_at: AwareDatetime,
    found: Scope,
    classes: Mapping[str, AppiClass],
    given: Mapping[str, Any],
    settings: DeadlineSettings,
) -> tuple[Facts, Assessment]:
    unknown = sorted(set(given) - set(FACT_FIELDS))
    if unknown:
        raise ValueError(f"unknown facts: {', '.join(unknown)}")
    facts = facts_from_scope(found, classes, given)
    return facts, assess_reportability(incident_type, facts, aware_at, settings)


def open_incident(
    incident_type: IncidentType,
    aware_at: AwareDatetime,
    occurred_at: AwareDatetime | None,
    found: Scope,
    classes: Mapping[str, AppiClass],
    update: FactsUpdate,
    playbook: Playbook,
    settings: DeadlineSettings,
) -> IncidentState:
    given = update.changes()
    facts, assessment = _evaluate(incident_type, aware_at, found, classes, given, settings)
    return IncidentState(
        incident_type=incident_type,
        aware_at=aware_at,
        occurred_at=occurred_at,
        scope=found,
        given=given,
        classes=dict(classes),
        facts=facts,
        assessment=assessment,
        settings=settings,
        tasks=flow.instantiate(playbook, aware_at, assessment),
    )


def reassess(state: IncidentState, update: FactsUpdate) -> IncidentState:
    """Record facts (a fact set to None forgets a recorded fact) and follow through."""
    given = {k: v for k, v in {**state.given, **update.changes()}.items() if v is not None}
    facts, assessment = _evaluate(
        state.incident_type, state.aware_at, state.scope, state.classes, given, state.settings
    )
    tasks = flow.retime(state.tasks, state.aware_at, assessment)
    return state.model_copy(update={"given": given, "facts": facts, "assessment": assessment, "tasks": tasks})
