"""What is known about an incident: the facts reportability is decided on.

Facts are kept apart from the incident itself because they change while the investigation goes
on (調査), and every change re-runs the assessment. A fact left as None is presumed from the
incident type (see `types.INCIDENT_TYPES`), so that a ransomware case counts as improper purpose
until someone records otherwise, never the reverse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from hogo.domain.clock import storable
from hogo.domain.ids import Identifier
from hogo.domain.incidents.types import INCIDENT_TYPES, IncidentType
from hogo.domain.inventory import Encryption
from hogo.domain.policy import AppiClass

AwareDatetime = Annotated[datetime, AfterValidator(storable)]


class InvolvedCategory(BaseModel):
    """A data category involved in the leak, with the APPI class the policy gives it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    appi_class: AppiClass


class Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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
    outsourcee_client: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
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
