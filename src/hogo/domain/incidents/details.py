"""What the officer writes for the reports: the free-text parts of the 規則8条 items.

hogo fills what it knows (overview from the description, data items, number of persons, the
response to persons and the announcement from the flow); the rest is the officer's account of
the cause, the secondary damage and the measures, which no rule can infer. Empty fields stay
visibly marked in the drafts so that a report is never sent with a silent gap.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from hogo.domain.model import Frozen

#: The longest paragraph of a report (and an incident's description, the overview's default).
PARA_MAX = 4000
Para = Annotated[str, StringConstraints(strip_whitespace=True, max_length=PARA_MAX)]

#: 規則8条1項 items, numbered as the rule numbers them.
RULE8_ITEMS: dict[int, tuple[str, str]] = {
    1: ("概要", "overview"),
    2: ("漏えい等が発生し、又は発生したおそれがある個人データの項目", "personal data items involved"),
    3: ("漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数", "number of persons"),
    4: ("原因", "cause"),
    5: ("二次被害又はそのおそれの有無及びその内容", "secondary damage or its risk"),
    6: ("本人への対応の実施状況", "response to the persons"),
    7: ("公表の実施状況", "public announcement"),
    8: ("再発防止のための措置", "measures to prevent recurrence"),
    9: ("その他参考となる事項", "other matters"),
}

#: 規則10条: the notice to the persons carries items 1, 2, 4, 5 and 9 of 規則8条1項.
RULE10_ITEMS: tuple[int, ...] = (1, 2, 4, 5, 9)

FIELDS: tuple[str, ...] = (
    "overview",
    "cause",
    "secondary_damage",
    "response_to_persons",
    "announcement",
    "prevention",
    "other",
    "contact",
    "pmark_registration",
)


class ReportDetails(Frozen):
    overview: Para = ""  # empty: the incident's description is used
    cause: Para = ""
    secondary_damage: Para = ""
    response_to_persons: Para = ""
    announcement: Para = ""
    prevention: Para = ""
    other: Para = ""
    #: The desk persons can contact (named in the notice and the announcement).
    contact: Para = ""
    #: プライバシーマーク付与登録番号, for the granting body's report.
    pmark_registration: Para = ""
