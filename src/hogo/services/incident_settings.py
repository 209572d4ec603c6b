"""The settings behind the preliminary-report deadline, from the environment.

規則8条1項 asks for the preliminary report 速やかに; the PPC guidance reads that as about 3–5
days. hogo makes both ends settings (HOGO_INCIDENT_PRELIMINARY_DUE_DAYS, default 3, and
HOGO_INCIDENT_PRELIMINARY_OVERDUE_AFTER_DAYS, default 5). They are read when an incident opens
and kept with it, so a later change of settings never moves the deadlines of a running case.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from hogo.config import read_settings
from hogo.domain.incidents.deadlines import DeadlineSettings


class IncidentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOGO_INCIDENT_", extra="ignore")

    preliminary_due_days: int = 3
    preliminary_overdue_after_days: int = 5


def deadline_settings() -> DeadlineSettings:
    s = read_settings(IncidentSettings)
    return DeadlineSettings(
        preliminary_due_days=s.preliminary_due_days,
        preliminary_overdue_after_days=s.preliminary_overdue_after_days,
    )
