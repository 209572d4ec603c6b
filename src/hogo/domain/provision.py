"""Records of third-party provision (法29条, 規則20条) and their retention.

A batch record covers one release to one recipient. The persons it concerns are listed apart
(they can be millions) and sealed into the record by a digest, so the ledger stays small and a
person's disclosure request (法33条5項) can still be answered from the list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from hogo.domain.clock import to_jst
from hogo.domain.decision import Basis
from hogo.domain.display import Labelled
from hogo.domain.model import Frozen


class ReleaseMode(Labelled, StrEnum):
    personal = "personal"  # 個人データの第三者提供
    anonymized = "anonymized"  # 匿名加工情報
    aggregate = "aggregate"  # 統計情報(個人情報に該当しない)


class RecordForm(StrEnum):
    """規則20条: one record per provision, or one batch record for repeated provision."""

    each = "each"
    batch = "batch"
    contract = "contract"  # the contract stands in for the record (retention: 1 year)


#: Years a provision record is kept after the last provision (規則21条; rule numbers unconfirmed).
RETENTION_YEARS = {RecordForm.each: 3, RecordForm.batch: 3, RecordForm.contract: 1}


class SealedPersonsRecord(Frozen):
    """What a record of persons given (法29条) and one of persons received (法30条) both state: the
    data items, how many persons and their digest (the list itself is kept apart, sealed by it),
    the form of the record (規則20条) and how long it is kept."""

    data_items: tuple[str, ...]
    persons: int
    persons_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    record_form: RecordForm = RecordForm.batch
    retention_until: date


class ProvisionRecord(SealedPersonsRecord):
    provision_id: str
    mode: ReleaseMode
    purpose_id: str
    recipient_id: str
    recipient_name: str
    recipient_country: str
    provided_at: datetime
    bases: dict[str, int]
    #: 規則20条: the date of provision is a record item for opt-out provision.
    opt_out_provision_dates: tuple[date, ...] = ()

    @property
    def consent_obtained(self) -> bool:
        return set(self.bases) <= {Basis.consent.value}


def persons_digest(subject_ids: Iterable[str]) -> str:
    """Order-independent digest of the persons a record covers (sorted, newline-joined)."""
    h = hashlib.sha256()
    for sid in sorted(subject_ids):
        h.update(sid.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def retention_until(provided_at: datetime, form: RecordForm) -> date:
    day = to_jst(provided_at).date()
    years = RETENTION_YEARS[form]
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
