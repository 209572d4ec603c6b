"""Must this leak be reported to the PPC and the persons notified? — decided by cited rules.

Order of the rules:
1. 規則7条1号–4号 decide which items apply (1–3 even for one person; 4 above 1,000 persons);
   the type of incident presumes item 3 where the facts leave it open;
2. data under advanced encryption (規則7条1号括弧書) is excluded, unless the key leaked too;
3. an outsourcee (委託先) that has informed its client is exempt from reporting and from notifying
   the persons (法26条1項ただし書, 法26条2項) — the client reports instead;
4. when reportable: the report to the PPC with its deadlines (規則8条) and the notice to the
   persons (法26条2項, 規則10条).
The function is pure, so the service simply calls it again whenever a fact changes.
"""

from __future__ import annotations

from datetime import datetime

from hogo.domain.clock import to_jst
from hogo.domain.decision import Reason, reason
from hogo.domain.incidents import reasons as R
from hogo.domain.incidents.deadlines import Deadlines, DeadlineSettings, deadlines_for
from hogo.domain.incidents.facts import Facts
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Encryption
from hogo.domain.model import Frozen

#: 規則7条4号: "1,000人を超える" — more than, so exactly 1,000 is not reportable on this item.
PERSONS_THRESHOLD = 1000


class Assessment(Frozen):
    #: We must report to the PPC (法26条1項).
    reportable: bool
    #: We must notify the persons (法26条2項).
    notify_persons: bool
    #: We are an outsourcee and the client must be (or was) informed instead.
    report_to_client: bool
    #: 規則7条 items that apply, after the encryption exclusion.
    triggers: tuple[int, ...]
    #: Items that would have applied but for advanced encryption.
    excluded_triggers: tuple[int, ...]
    improper_purpose: bool
    reasons: tuple[Reason, ...]
    deadlines: Deadlines | None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


def rule7_items(incident_type: IncidentType, facts: Facts) -> tuple[int, ...]:
    """The 規則7条 items the facts meet, before any exclusion."""
    items: list[int] = []
    if facts.sensitive_involved():
        items.append(1)
    if facts.card_or_login:
        items.append(2)
    if facts.is_improper_purpose(incident_type):
        items.append(3)
    if facts.persons > PERSONS_THRESHOLD:
        items.append(4)
    return tuple(items)


def _trigger_reasons(item: int, incident_type: IncidentType, facts: Facts) -> list[Reason]:
    """The reasons one item of 規則7条 gives (items 1-4)."""
    if item == 1:
        return [reason(R.SENSITIVE_DATA)]
    if item == 2:
        return [reason(R.FINANCIAL_LOSS)]
    if item == 3:
        acquiring = facts.is_about_to_be_acquired(incident_type)
        return [reason(R.IMPROPER_PURPOSE)] + ([reason(R.IMPROPER_PURPOSE_ACQUIRING)] if acquiring else [])
    return [reason(R.OVER_1000_PERSONS, persons=f"{facts.persons:,}")]


def assess_reportability(
    incident_type: IncidentType, facts: Facts, aware_at: datetime, settings: DeadlineSettings
) -> Assessment:
    items = rule7_items(incident_type, facts)
    reasons: list[Reason] = []
    triggers = items
    excluded: tuple[int, ...] = ()
    if items and facts.encryption is Encryption.advanced:
        if facts.key_leaked:
            reasons.append(reason(R.ENCRYPTION_KEY_LEAKED))
        else:
            excluded, triggers = items, ()
            reasons.append(reason(R.ADVANCED_ENCRYPTION))
    for item in triggers:
        reasons.extend(_trigger_reasons(item, incident_type, facts))
    improper = 3 in triggers
    client = facts.outsourcee_client
    deadlines: Deadlines | None = None
    if not triggers:
        if not excluded:
            reasons.append(reason(R.NO_TRIGGER))
    elif client and facts.client_informed_at is not None:
        informed_on = to_jst(facts.client_informed_at).date()
        reasons.append(reason(R.OUTSOURCEE_INFORMED_CLIENT, client=client, informed_on=informed_on))
    else:
        deadlines = deadlines_for(aware_at, improper, settings)
        reasons.extend(_report_reasons(client, improper, deadlines))
    # Reportable exactly when a report is due (it has deadlines); an outsourcee whose leak
    # meets an item involves its client whether or not it has informed it yet.
    return Assessment(
        reportable=deadlines is not None,
        notify_persons=deadlines is not None,
        report_to_client=bool(triggers) and bool(client),
        triggers=triggers,
        excluded_triggers=excluded,
        improper_purpose=improper,
        reasons=tuple(reasons),
        deadlines=deadlines,
    )


def _report_reasons(client: str, improper: bool, deadlines: Deadlines) -> list[Reason]:
    """The reasons of a leak that must be reported: the client to inform (an outsourcee), the
    report to the PPC with its deadlines (規則8条), and the notice to the persons."""
    reasons = [reason(R.OUTSOURCEE_MUST_INFORM_CLIENT, client=client)] if client else []
    reasons.append(
        reason(
            R.REPORT_TO_PPC,
            preliminary=deadlines.preliminary,
            overdue_after=deadlines.preliminary_overdue_after,
            final=deadlines.final,
            final_days=deadlines.final_days,
            final_recommended=deadlines.final_recommended,
        )
    )
    if improper:
        reasons.append(reason(R.FINAL_60_DAYS))
    reasons.append(reason(R.NOTIFY_PERSONS))
    return reasons
