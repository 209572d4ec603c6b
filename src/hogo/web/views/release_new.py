"""Start a release from the console: a form that builds the release spec, for roles that may
handle personal data (the same permission `POST /api/v1/releases` asks for).

The form is plain HTML (works without JavaScript). What it builds is the mapping the API takes,
and it is submitted the same way (`_submit`), so every rule the API applies to a submitted spec —
inputs named relative to the inputs folder (HOGO_INPUT_DIR), nothing outside it — applies here
too. Errors are shown on the form with the field named; nothing starts unless the whole spec is
valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.policy import Purpose, Recipient
from hogo.domain.provision import ReleaseMode
from hogo.errors import HogoError, InputError
from hogo.http.deps import SessionDep, get_db, get_settings
from hogo.services import releases as service
from hogo.services.database import savepoint
from hogo.services.policy import require_policy
from hogo.web.form_errors import keyed_form_error
from hogo.web.i18n import MESSAGES
from hogo.web.render import language, render
from hogo.web.session import ConsoleUser, permitted

router = APIRouter()

Releaser = Annotated[ConsoleUser, Depends(permitted(Permission.personal_data))]


@dataclass(frozen=True)
class ReleaseFormPage:
    modes: tuple[ReleaseMode, ...]
    purposes: tuple[Purpose, ...]
    recipients: tuple[Recipient, ...]
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_field: str | None = None


DEFAULTS = {
    "mode": ReleaseMode.anonymized.value,
    "format": "parquet",
    "members_columns": "member_id=member_id",
    "k": "5",
    "min_cell_size": "10",
}


def _page(
    session: Session, values: dict[str, str], error: HogoError | None = None, lang: str = "ja"
) -> ReleaseFormPage:
    policy = require_policy(session)
    return ReleaseFormPage(
        modes=tuple(ReleaseMode),
        purposes=policy.purposes,
        recipients=policy.recipients,
        values=values,
        error=None if error is None else _message(error, lang),
        error_field=getattr(error, "field", None),
    )


FIELD_KEY = "release_new.field."
#: Each field the form names in an error, by the label it has on the form.
FIELD_LABELS = {k.removeprefix(FIELD_KEY): k for k in MESSAGES if k.startswith(FIELD_KEY)} | {
    "members.path": "release_new.members_path",  # the spec's paths, refused by the API's rules
    "partner.path": "release_new.partner_path",
}


def _message(error: HogoError, lang: str) -> str:
    """The error with the form field named by its label, not its internal name."""
    return keyed_form_error(error, lang, FIELD_LABELS)


def _pairs(text: str, name: str) -> dict[str, str]:
    """Lines `name=source` (or just `name` when both are the same), blank lines ignored."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), (value.strip() if sep else key.strip())
        if not key or not value:
            raise InputError(
                f"{number}行目は「名前=値」の形で書いてください。",
                f"line {number}: write name=value.",
                field=name,
            )
        out[key] = value
    return out


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("、", ",").split(",") if n.strip()]


def _int(text: str, name: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError("整数で入力してください。", "enter a whole number.", field=name) from None


def spec_from_form(v: dict[str, str]) -> dict[str, Any]:
    """The release spec (the mapping `POST /api/v1/releases` takes) the form describes."""
    mode = v.get("mode", "")
    if mode not in ReleaseMode.__members__:
        raise InputError("提供の種類を選んでください。", "choose the kind of release.", field="mode")
    data: dict[str, Any] = {
        "mode": mode,
        "purpose": v.get("purpose", ""),
        "recipient": v.get("recipient", ""),
        "members": {
            "path": v.get("members_path", "").strip(),
            "columns": _pairs(v.get("members_columns", ""), "members_columns"),
        },
        "output": {"format": v.get("format", "parquet")},
    }
    if v.get("at", "").strip():
        data["at"] = v["at"].strip()
    if v.get("partner_path", "").strip():
        data["partner"] = {
            "path": v["partner_path"].strip(),
            "columns": _pairs(v.get("partner_columns", ""), "partner_columns"),
        }
    if mode == ReleaseMode.personal.value:
        data["output"]["items"] = _pairs(v.get("items", ""), "items")
    elif mode == ReleaseMode.anonymized.value:
        data["anonymization"] = {
            "quasi_identifiers": _pairs(v.get("quasi_identifiers", ""), "quasi_identifiers"),
            "keep": _names(v.get("keep", "")),
            "k": _int(v.get("k", "5"), "k"),
        }
    else:
        data["aggregate"] = {
            "dimensions": _names(v.get("dimensions", "")),
            "measures": _names(v.get("measures", "")),
            "min_cell_size": _int(v.get("min_cell_size", "10"), "min_cell_size"),
        }
    return data


def _submit(request: Request, session: Session, data: dict[str, Any]) -> str:
    """Start the release exactly as `POST /api/v1/releases` does: the same confinement of the
    spec's paths (inputs inside HOGO_INPUT_DIR, the release below HOGO_RELEASE_DIR) and the same
    service."""
    spec = service.submitted_spec(data, get_settings(request))
    return service.start_release(session, get_db(request), spec)


@router.get("/releases/new", include_in_schema=False)
def release_form(request: Request, session: SessionDep, user: Releaser) -> Response:
    return render(request, "release_form.html", _page(session, dict(DEFAULTS)), user)


@router.post("/releases", include_in_schema=False)
def release_submit(
    request: Request,
    session: SessionDep,
    user: Releaser,
    mode: Annotated[str, Form(max_length=16)] = "",
    purpose: Annotated[str, Form(max_length=64)] = "",
    recipient: Annotated[str, Form(max_length=64)] = "",
    at: Annotated[str, Form(max_length=40)] = "",
    members_path: Annotated[str, Form(max_length=512)] = "",
    members_columns: Annotated[str, Form(max_length=4000)] = "",
    partner_path: Annotated[str, Form(max_length=512)] = "",
    partner_columns: Annotated[str, Form(max_length=4000)] = "",
    items: Annotated[str, Form(max_length=4000)] = "",
    quasi_identifiers: Annotated[str, Form(max_length=4000)] = "",
    keep: Annotated[str, Form(max_length=2000)] = "",
    k: Annotated[str, Form(max_length=8)] = "5",
    dimensions: Annotated[str, Form(max_length=2000)] = "",
    measures: Annotated[str, Form(max_length=2000)] = "",
    min_cell_size: Annotated[str, Form(max_length=8)] = "10",
    output_format: Annotated[str, Form(alias="format", max_length=8)] = "parquet",
) -> Response:
    values = {
        "mode": mode, "purpose": purpose, "recipient": recipient, "at": at, "members_path": members_path,
        "members_columns": members_columns, "partner_path": partner_path, "partner_columns": partner_columns,
        "items": items, "quasi_identifiers": quasi_identifiers, "keep": keep, "k": k,
        "dimensions": dimensions, "measures": measures, "min_cell_size": min_cell_size,
        "format": output_format,
    }  # fmt: skip
    try:
        with savepoint(session):
            release_id = _submit(request, session, spec_from_form(values))
    except HogoError as exc:
        page = _page(session, values, exc, language(request))
        return render(request, "release_form.html", page, user, status_code=422)
    return RedirectResponse(f"/releases/{quote(release_id, safe='')}", status_code=303)
