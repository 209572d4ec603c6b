"""Incident types and the six steps of the action flow (titled in hogo/domain/titles.toml).

The type matters for reportability only through what it presumes: unauthorised access,
ransomware, insider removal and web skimming are presumed done for an improper purpose
(規則7条3号) unless the facts say otherwise, and web skimming also concerns data the business
was about to acquire (規則7条3号, since 2024-04).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from hogo.domain.display import Labelled, title_pair


class IncidentType(Labelled, StrEnum):
    missent_email = "missent_email"
    missent_post_fax = "missent_post_fax"
    loss_theft = "loss_theft"
    unauthorised_access = "unauthorised_access"
    ransomware = "ransomware"
    insider_removal = "insider_removal"
    web_misplacement = "web_misplacement"
    web_skimming = "web_skimming"


@dataclass(frozen=True, slots=True)
class IncidentTypeInfo:
    presumes_improper_purpose: bool = False
    presumes_about_to_be_acquired: bool = False


_IMPROPER = IncidentTypeInfo(presumes_improper_purpose=True)

INCIDENT_TYPES: dict[IncidentType, IncidentTypeInfo] = {
    IncidentType.missent_email: IncidentTypeInfo(),
    IncidentType.missent_post_fax: IncidentTypeInfo(),
    IncidentType.loss_theft: IncidentTypeInfo(),
    IncidentType.unauthorised_access: _IMPROPER,
    IncidentType.ransomware: _IMPROPER,
    IncidentType.insider_removal: _IMPROPER,
    IncidentType.web_misplacement: IncidentTypeInfo(),
    IncidentType.web_skimming: IncidentTypeInfo(
        presumes_improper_purpose=True, presumes_about_to_be_acquired=True
    ),
}


class Step(Labelled, IntEnum):
    """IPA 情報漏えい発生時の対応ポイント集: the six steps, in order."""

    discovery = 1
    initial_response = 2
    investigation = 3
    notification = 4
    containment_recovery = 5
    follow_up = 6


def role_title(role: str) -> tuple[str, str]:
    """A playbook role's title; roles the default playbooks do not use are shown by their id."""
    return title_pair("PlaybookRole", role)
