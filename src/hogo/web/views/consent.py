"""The consent entry form: an operator records what a person said (on paper, by phone, …).

The form posts to the same capture service as the API. Errors are shown on the form with the
field named; nothing is recorded unless the whole entry is valid.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.domain.clock import FIRST_EVENT_YEAR, JST, parse_instant
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentAction, ConsentMethod
from hogo.domain.policy import Purpose, TermsVersion
from hogo.errors import HogoError
from hogo.http.deps import SessionDep
from hogo.services.capture import CaptureDetails, Choice, capture
from hogo.services.database import savepoint
from hogo.services.policy import require_policy
from hogo.web.form_errors import keyed_form_error
from hogo.web.render import language, render
from hogo.web.session import Recorder

router = APIRouter()

#: How an officer may say the consent was collected: not by a file import, and not in the privacy
#: center (プライバシーセンター(本人による操作) is the person's own act, recorded there with its evidence).
OFFICER_METHODS = tuple(
    m for m in ConsentMethod if m not in (ConsentMethod.import_, ConsentMethod.privacy_center)
)

#: The label of each field an error may name (`choices.0.evidence` is named by `evidence`).
FIELD_LABELS = {
    "subject_id": "record.subject", "purpose_id": "record.purpose", "action": "record.action",
    "terms_version": "record.terms", "method": "record.method", "collected_at": "record.at",
    "evidence": "record.evidence", "guardian_name": "record.guardian_name",
    "guardian_relation": "record.guardian_relation", "foreign_transfer_info_given": "record.foreign",
}  # fmt: skip


@dataclass(frozen=True)
class ConsentFormPage:
    purposes: tuple[Purpose, ...]
    terms: tuple[TermsVersion, ...]
    actions: tuple[ConsentAction, ...]
    methods: tuple[ConsentMethod, ...]
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    bundled_id: str = ALL_PURPOSES_IN_TERMS


def _page(session: SessionDep, values: dict[str, str], error: str | None = None) -> ConsentFormPage:
    policy = require_policy(session)
    return ConsentFormPage(
        purposes=policy.purposes,
        terms=tuple(sorted(policy.terms, key=lambda t: t.effective_from)),
        actions=tuple(ConsentAction),
        methods=OFFICER_METHODS,
        values=values,
        error=error,
    )


@router.get("/consents/new", include_in_schema=False)
def consent_form(
    request: Request,
    session: SessionDep,
    user: Recorder,
    subject_id: Annotated[str, Query(max_length=128)] = "",
) -> Response:
    values = {"subject_id": subject_id, "action": "grant", "method": "paper"}
    return render(request, "consent_form.html", _page(session, values), user)


@router.post("/consents", include_in_schema=False)
def consent_submit(
    request: Request,
    session: SessionDep,
    user: Recorder,
    subject_id: Annotated[str, Form(max_length=128)] = "",
    purpose_id: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=16)] = "grant",
    terms_version: Annotated[str, Form(max_length=64)] = "",
    method: Annotated[str, Form(max_length=16)] = "paper",
    collected_at: Annotated[str, Form(max_length=40)] = "",
    evidence: Annotated[str, Form(max_length=512)] = "",
    guardian_name: Annotated[str, Form(max_length=256)] = "",
    guardian_relation: Annotated[str, Form(max_length=64)] = "",
    foreign_info: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    values = {
        "subject_id": subject_id, "purpose_id": purpose_id, "action": action, "terms_version": terms_version,
        "method": method, "collected_at": collected_at, "evidence": evidence, "guardian_name": guardian_name,
        "guardian_relation": guardian_relation, "foreign_info": foreign_info,
    }  # fmt: skip
    lang = language(request)
    try:
        if action not in ConsentAction.__members__ or method not in {m.value for m in OFFICER_METHODS}:
            raise HogoError("行為または取得方法が正しくありません。", "invalid action or method.")
        try:
            when = (
                parse_instant(collected_at, FIRST_EVENT_YEAR) if collected_at.strip() else datetime.now(JST)
            )
        except ValueError:
            raise HogoError(
                "取得日時の形式が正しくありません(2000年から2099年まで)。", "invalid time (2000–2099)."
            ) from None
        details = CaptureDetails(
            subject_id=subject_id.strip(),
            collected_at=when,
            method=ConsentMethod(method),
            terms_version=terms_version.strip() or None,
            evidence=evidence.strip() or None,
            guardian_name=guardian_name.strip() or None,
            guardian_relation=guardian_relation.strip() or None,
            foreign_transfer_info_given=foreign_info == "on",
        )
        with savepoint(session):
            done = capture(session, details, [Choice(purpose_id, ConsentAction(action))], False,
                           lambda _i: str(uuid.uuid4()))  # fmt: skip
    except HogoError as exc:
        message = keyed_form_error(exc, lang, FIELD_LABELS)
        return render(request, "consent_form.html", _page(session, values, message), user, status_code=422)
    target = f"/subjects/{quote(details.subject_id, safe='')}?recorded={quote(done.events[0].event_id)}"
    return RedirectResponse(target, status_code=303)
