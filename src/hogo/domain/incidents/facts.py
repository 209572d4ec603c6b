"""What is known about an incident: the facts reportability is decided on.

Facts are kept apart from the incident itself because they change while the investigation goes
on (調査), and every change re-runs the assessment. A fact left as None is presumed from the
incident type (see `types.INCIDENT_TYPES`), so that a ransomware case counts as improper purpose
until someone records otherwise, never the reverse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StringConstraints

from hogo.domain.clock import FIRST_EVENT_YEAR, check_span, storable
from hogo.domain.ids import Identifier
from hogo.domain.incidents.types import INCIDENT_TYPES, IncidentType
from hogo.domain.inventory import Encryption
from hogo.domain.model import Frozen
from hogo.domain.policy import AppiClass

AwareDatetime = Annotated[datetime, AfterValidator(storable)]
ClientName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]

#: The most persons an officer may record: far above any real case, it catches a slip of the keyboard.
PERSONS_MAX = 1_000_000_000
#: The most data categories an officer may name for one incident.
CATEGORIES_MAX = 50


def _event_time(value: datetime) -> datetime:
    check_span(value, FIRST_EVENT_YEAR)  # before the offset is applied, so nothing can overflow
    return storable(value)


#: A moment something happened in an incident: 2000–2099, aware (no offset means JST).
EventTime = Annotated[datetime, AfterValidator(_event_time)]


class InvolvedCategory(Frozen):
    """A data category involved in the leak, with the APPI class the policy gives it."""

    id: Identifier
    appi_class: AppiClass


class Facts(Frozen):
    data_categories: tuple[InvolvedCategory, ...] = ()
    #: Number of persons (本人の数) whose data leaked or may have leaked.
    persons: int = Field(default=0, ge=0)
    #: 規則7条2号: card numbers, bank or payment log-ins — data whose misuse causes financial loss.
    card_or_login: bool = False
    #: 規則7条3号: done or possibly done for an improper purpose; None = presumed from the type.
    improper_purpose: bool | None = None
    #: 規則7条3号 (since 2024-04): personal information the business was about to acquire.
    about_to_be_acquired: bool | None = None
    encryption: Encryption = Encryption.none
    #: The key (or the means to decrypt) leaked too, so even advanced encryption does not protect.
    key_leaked: bool = False
    #: We handled the data as an outsourcee (委託先) of this client (委託元).
    outsourcee_client: ClientName = ""
    #: When we informed the client (法26条1項ただし書); None while not yet informed.
    client_informed_at: AwareDatetime | None = None

    def sensitive_involved(self) -> bool:
        return any(c.appi_class is AppiClass.sensitive for c in self.data_categories)

    def is_improper_purpose(self, incident_type: IncidentType) -> bool:
        if self.improper_purpose is not None:
            return self.improper_purpose
        return INCIDENT_TYPES[incident_type].presumes_improper_purpose

    def is_about_to_be_acquired(self, incident_type: IncidentType) -> bool:
        if self.about_to_be_acquired is not None:
            return self.about_to_be_acquired
        return INCIDENT_TYPES[incident_type].presumes_about_to_be_acquired


class FactsUpdate(Frozen):
    """What an officer records about an incident: a partial update of `Facts`.

    The CLI, the API and the console all build one, so the bounds of every fact live here and
    nowhere else. A field left unset keeps its value; a field set to None forgets the recorded
    fact (the inventory or the incident type then speaks again).
    """

    data_categories: tuple[Identifier, ...] | None = Field(
        default=None, max_length=CATEGORIES_MAX, description="関係するデータ区分 id(台帳より優先)"
    )
    persons: int | None = Field(default=None, ge=0, le=PERSONS_MAX, description="本人の数")
    card_or_login: StrictBool | None = Field(
        default=None, description="カード番号・ログイン情報等(規則7条2号)"
    )
    improper_purpose: StrictBool | None = Field(
        default=None, description="不正の目的のおそれ(規則7条3号)。null は種類から推定"
    )
    about_to_be_acquired: StrictBool | None = Field(
        default=None, description="取得しようとしている個人情報(規則7条3号)"
    )
    encryption: Encryption | None = None
    key_leaked: StrictBool | None = Field(default=None, description="復号鍵も漏えい等したか")
    outsourcee_client: ClientName | None = Field(
        default=None, description="委託先として取り扱っていた場合の委託元"
    )
    client_informed_at: EventTime | None = Field(
        default=None, description="委託元に通知した日時(法26条1項ただし書)"
    )

    def changes(self) -> dict[str, Any]:
        """Only the fields set, as plain values (lists, enum values), the way an incident keeps them."""
        values = self.model_dump(exclude_unset=True)
        if isinstance(values.get("data_categories"), tuple):
            values["data_categories"] = list(values["data_categories"])
        if isinstance(values.get("encryption"), Encryption):
            values["encryption"] = values["encryption"].value
        return values
