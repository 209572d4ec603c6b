"""The open-incident form: type, overview, times, affected datasets and persons, known facts.

Posts to the same service as `hogo incident open` and the API; the verdict (規則7条), the
deadlines (規則8条) and the six-step tasks are on the incident page it redirects to. Errors are
shown on the form, naming the field; nothing is stored unless the whole entry is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.domain.clock import JST, parse_instant
from hogo.domain.incidents.details import PARA_MAX
from hogo.domain.incidents.facts import FactsUpdate
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Dataset, Encryption
from hogo.domain.policy import DataCategory
from hogo.errors import HogoError, InputError
from hogo.http.deps import SessionDep
from hogo.services import incidents
from hogo.services import inventory as inventory_service
from hogo.services.database import savepoint
from hogo.services.policy import current_policy
from hogo.web.form_errors import keyed_form_error
from hogo.web.options import Option, options
from hogo.web.render import language, render
from hogo.web.session import Recorder

router = APIRouter()

#: The overview's length (`details.PARA_MAX`, as the API's); the form takes more, so an over-long
#: text is shown again with the field named rather than refused as a bad request.
DESCRIPTION_MAX = PARA_MAX

#: The label of each field an error may name (the facts' own names as `FactsUpdate` has them).
FIELD_LABELS = {
    "type": "new.type", "description": "new.description", "aware_at": "new.aware_at",
    "occurred_at": "new.occurred_at", "datasets": "new.datasets", "subjects": "new.subjects",
    "data_categories": "new.categories", "persons": "new.persons", "card_or_login": "new.card",
    "improper_purpose": "new.improper", "encryption": "new.encryption", "key_leaked": "new.key_leaked",
    "outsourcee_client": "new.client",
}  # fmt: skip


@dataclass(frozen=True)
class IncidentFormPage:
    types: tuple[Option, ...]
    datasets: tuple[Dataset, ...]
    categories: tuple[DataCategory, ...]
    encryptions: tuple[Option, ...]
    values: dict[str, str] = field(default_factory=dict)
    chosen_datasets: tuple[str, ...] = ()
    chosen_categories: tuple[str, ...] = ()
    error: str | None = None


def _page(
    request: Request,
    session: SessionDep,
    values: dict[str, str],
    datasets: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    error: str | None = None,
) -> IncidentFormPage:
    lang = language(request)
    policy = current_policy(session)
    return IncidentFormPage(
        types=options(IncidentType, lang),
        datasets=inventory_service.load_inventory(session).datasets,
        categories=policy.data_categories if policy is not None else (),
        encryptions=options(Encryption, lang),
        values=values,
        chosen_datasets=datasets,
        chosen_categories=categories,
        error=error,
    )


def _instant(text: str, name: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        value = parse_instant(text)
    except ValueError:
        raise InputError("日時の形式が正しくありません。", "invalid time.", field=name) from None
    if not 2000 <= value.year < 2100:
        raise InputError(
            "2000年から2099年までの日時を入力してください。", "enter a time in 2000–2099.", field=name
        )
    return value


def _tristate(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _facts(values: dict[str, str], categories: list[str]) -> FactsUpdate:
    """Only the facts the form gives; the rest comes from the inventory or the incident type."""
    facts: dict[str, object] = {}
    if categories:
        facts["data_categories"] = categories
    if values["persons"].strip():
        if not values["persons"].strip().isdigit():
            raise InputError("0以上の整数で入力してください。", "enter a whole number.", field="persons")
        facts["persons"] = int(values["persons"].strip())
    if values["card_or_login"] == "on":
        facts["card_or_login"] = True
    if (improper := _tristate(values["improper_purpose"])) is not None:
        facts["improper_purpose"] = improper
    if values["encryption"] in Encryption.__members__:
        facts["encryption"] = values["encryption"]
    if values["key_leaked"] == "on":
        facts["key_leaked"] = True
    if values["outsourcee_client"].strip():
        facts["outsourcee_client"] = values["outsourcee_client"].strip()
    return incidents.facts_update(facts)


@router.get("/incidents/new", include_in_schema=False)
def incident_form(request: Request, session: SessionDep, user: Recorder) -> Response:
    values = {"type": IncidentType.missent_email.value, "improper_purpose": ""}
    return render(request, "incident_form.html", _page(request, session, values), user)


@router.post("/incidents", include_in_schema=False)
def incident_submit(
    request: Request,
    session: SessionDep,
    user: Recorder,
    type: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=5 * DESCRIPTION_MAX)] = "",
    aware_at: Annotated[str, Form(max_length=40)] = "",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    datasets: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 (FastAPI copies defaults)
    subjects: Annotated[str, Form(max_length=2_000_000)] = "",
    categories: Annotated[list[str], Form(max_length=50)] = [],  # noqa: B006
    persons: Annotated[str, Form(max_length=12)] = "",
    card_or_login: Annotated[str, Form(max_length=8)] = "",
    improper_purpose: Annotated[str, Form(max_length=8)] = "",
    encryption: Annotated[str, Form(max_length=16)] = "",
    key_leaked: Annotated[str, Form(max_length=8)] = "",
    outsourcee_client: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    values = {
        "type": type, "description": description, "aware_at": aware_at, "occurred_at": occurred_at,
        "subjects": subjects, "persons": persons, "card_or_login": card_or_login,
        "improper_purpose": improper_purpose, "encryption": encryption, "key_leaked": key_leaked,
        "outsourcee_client": outsourcee_client,
    }  # fmt: skip
    lang = language(request)
    try:
        if type not in IncidentType.__members__:
            raise InputError("事案の種類を選んでください。", "choose the type of incident.", field="type")
        if not description.strip():
            raise InputError("概要を入力してください。", "enter an overview.", field="description")
        if len(description.strip()) > DESCRIPTION_MAX:
            raise InputError(
                f"{DESCRIPTION_MAX}字以内で入力してください。",
                f"at most {DESCRIPTION_MAX} characters.",
                field="description",
            )
        with savepoint(session):
            view = incidents.open_new(
                session,
                IncidentType(type),
                _instant(aware_at, "aware_at") or datetime.now(JST),
                description.strip(),
                occurred_at=_instant(occurred_at, "occurred_at"),
                dataset_ids=[d for d in datasets if d],
                subject_ids=[s.strip() for s in subjects.splitlines() if s.strip()],
                facts=_facts(values, [c for c in categories if c]),
            )
    except HogoError as exc:
        message = keyed_form_error(exc, lang, FIELD_LABELS)
        page = _page(request, session, values, tuple(datasets), tuple(categories), message)
        return render(request, "incident_form.html", page, user, status_code=422)
    return RedirectResponse(f"/incidents/{quote(view.id, safe='')}", status_code=303)
