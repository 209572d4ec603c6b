"""Records of data received from third parties (法30条): the list and one record.

Read-only, for every logged-in role. The persons are personal data: the pages show their number
and the digest sealed in the ledger, and whether the stored list still matches it, never an id.
A provider's values that name a natural person (`Provider.person_fields`) are shown only to
roles with the personal-data permission; others see that a value is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.received import ProviderKind, ReceivedBasis, ReceivedProvisionRecord
from hogo.http.deps import SessionDep
from hogo.services import received as service
from hogo.web.i18n import translator
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()


@dataclass(frozen=True)
class ReceivedSummary:
    received_id: str
    received_at: datetime
    provider_kind: str
    provider_kind_label: str
    provider_name: str
    provider_address: str
    representative: str | None
    representative_label: str
    acquisition: str
    basis: str
    basis_label: str
    ppc_publication_confirmed: bool
    data_items: tuple[str, ...]
    persons: int
    retention_until: date


@dataclass(frozen=True)
class ReceivedListPage:
    records: tuple[ReceivedSummary, ...]


@dataclass(frozen=True)
class ReceivedRecordPage:
    record: ReceivedSummary
    record_form_label: str
    opt_out_received_dates: tuple[date, ...]
    persons_sha256: str
    persons_intact: bool
    ledger_seq: int | None


def _summary(r: ReceivedProvisionRecord, lang: str, personal: bool) -> ReceivedSummary:
    t = translator(lang)
    kind = r.provider.kind
    hidden = set() if personal else r.provider.person_fields

    def shown(name: str, value: str | None) -> str | None:
        return t("personal.withheld") if value and name in hidden else value

    return ReceivedSummary(
        received_id=r.received_id,
        received_at=r.received_at,
        provider_kind=kind.value,
        provider_kind_label=t(f"received.kind.{kind.value}"),
        provider_name=shown("name", r.provider.name) or "",
        provider_address=shown("address", r.provider.address) or "",
        representative=shown("representative", r.provider.representative),
        representative_label=t(
            "received.representative.association"
            if kind is ProviderKind.association
            else "received.representative"
        ),
        acquisition=r.acquisition,
        basis=r.basis.value,
        basis_label=t(f"received.basis.{r.basis.value}"),
        ppc_publication_confirmed=r.basis is ReceivedBasis.opt_out and r.ppc_publication_confirmed,
        data_items=r.data_items,
        persons=r.persons,
        retention_until=r.retention_until,
    )


@router.get("/provisions/received", include_in_schema=False)
def received_list_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    lang = language(request)
    personal = user.can(Permission.personal_data)
    rows = tuple(_summary(r, lang, personal) for r in service.list_received(session))
    return render(request, "received.html", ReceivedListPage(rows), user)


@router.get("/provisions/received/{received_id}", include_in_schema=False)
def received_record_page(
    request: Request, session: SessionDep, user: Viewer, received_id: str = Path(max_length=200)
) -> Response:
    lang = language(request)
    record = service.get_received(session, received_id)  # NotFound → the 404 page
    page = ReceivedRecordPage(
        record=_summary(record, lang, user.can(Permission.personal_data)),
        record_form_label=translator(lang)(f"received.form.{record.record_form.value}"),
        opt_out_received_dates=record.opt_out_received_dates,
        persons_sha256=record.persons_sha256,
        persons_intact=service.verify_received_persons(session, received_id),
        ledger_seq=service.received_ledger_seq(session, received_id),
    )
    return render(request, "received_record.html", page, user)
