"""Incident types and the six steps of the action flow, with their Japanese and English titles.

The type matters for reportability only through what it presumes: unauthorised access,
ransomware, insider removal and web skimming are presumed done for an improper purpose
(規則7条3号) unless the facts say otherwise, and web skimming also concerns data the business
was about to acquire (規則7条3号, since 2024-04).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class IncidentType(StrEnum):
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
    ja: str
    en: str
    presumes_improper_purpose: bool = False
    presumes_about_to_be_acquired: bool = False


INCIDENT_TYPES: dict[IncidentType, IncidentTypeInfo] = {
    IncidentType.missent_email: IncidentTypeInfo("電子メールの誤送信", "e-mail sent to the wrong recipients"),
    IncidentType.missent_post_fax: IncidentTypeInfo(
        "郵便・FAXの誤送付", "post or fax sent to the wrong address"
    ),
    IncidentType.loss_theft: IncidentTypeInfo(
        "端末・書類の紛失・盗難", "loss or theft of a device or papers"
    ),
    IncidentType.unauthorised_access: IncidentTypeInfo(
        "不正アクセス", "unauthorised access", presumes_improper_purpose=True
    ),
    IncidentType.ransomware: IncidentTypeInfo(
        "ランサムウェア感染", "ransomware", presumes_improper_purpose=True
    ),
    IncidentType.insider_removal: IncidentTypeInfo(
        "従業者による不正な持出し", "removal of data by an insider", presumes_improper_purpose=True
    ),
    IncidentType.web_misplacement: IncidentTypeInfo(
        "ウェブサイトへの誤掲載", "mistaken publication on a website"
    ),
    IncidentType.web_skimming: IncidentTypeInfo(
        "ウェブスキミング(入力情報の窃取)",
        "web skimming",
        presumes_improper_purpose=True,
        presumes_about_to_be_acquired=True,
    ),
}


class Step(IntEnum):
    """IPA 情報漏えい発生時の対応ポイント集: the six steps, in order."""

    discovery = 1
    initial_response = 2
    investigation = 3
    notification = 4
    containment_recovery = 5
    follow_up = 6

    @property
    def ja(self) -> str:
        return _STEP_TITLES[self][0]

    @property
    def en(self) -> str:
        return _STEP_TITLES[self][1]


_STEP_TITLES: dict[Step, tuple[str, str]] = {
    Step.discovery: ("発見・報告", "discovery and reporting"),
    Step.initial_response: ("初動対応", "initial response"),
    Step.investigation: ("調査", "investigation"),
    Step.notification: ("通知・報告・公表", "notification, reporting and announcement"),
    Step.containment_recovery: ("抑制措置と復旧", "containment and recovery"),
    Step.follow_up: ("事後対応", "follow-up"),
}

#: Roles the default playbooks use; a playbook may name others (shown by their id).
ROLE_TITLES: dict[str, tuple[str, str]] = {
    "discoverer": ("発見者", "discoverer"),
    "executive": ("経営者", "executive"),
    "privacy_officer": ("個人情報保護管理者", "privacy officer"),
    "response_team": ("対応チーム", "response team"),
    "it_admin": ("情報システム担当", "IT administrator"),
    "legal": ("法務担当", "legal"),
    "pr": ("広報担当", "public relations"),
    "help_desk": ("問合せ窓口", "help desk"),
    "hr": ("人事担当", "human resources"),
}


def role_title(role: str) -> tuple[str, str]:
    return ROLE_TITLES.get(role, (role, role))
