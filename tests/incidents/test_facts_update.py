"""One model of a facts update (issue 12 item 1): the CLI, the API and the console all build a
`FactsUpdate`, so a bound declared there holds on every front end and nowhere else."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from hogo.api.schemas.incidents import FactsIn, IncidentOpenIn
from hogo.domain.clock import JST
from hogo.domain.incidents.facts import PERSONS_MAX, FactsUpdate
from hogo.domain.inventory import Encryption
from hogo.errors import InputError
from hogo.services import incidents
from hogo.web.views.incident import _fact_changes

from .conftest import Run

_FORM = {
    "persons": "", "card_or_login": "", "improper_purpose": "", "about_to_be_acquired": "",
    "encryption": "", "key_leaked": "", "outsourcee_client": "", "client_informed_at": "",
}  # fmt: skip


def test_changes_hold_only_what_was_set_and_none_forgets() -> None:
    update = FactsUpdate(persons=12, improper_purpose=None, encryption=Encryption.advanced)
    assert update.changes() == {"persons": 12, "improper_purpose": None, "encryption": "advanced"}
    assert FactsUpdate().changes() == {}
    assert FactsUpdate(data_categories=("contact",)).changes() == {"data_categories": ["contact"]}


@pytest.mark.parametrize(
    "values",
    [
        {"persons": PERSONS_MAX + 1},
        {"persons": -1},
        {"card_or_login": "yes"},
        {"client_informed_at": datetime(1999, 12, 31, tzinfo=JST)},
        {"outsourcee_client": "x" * 201},
        {"data_categories": ["c"] * 51},
        {"unknown": 1},
    ],
)
def test_the_bounds_live_in_the_domain_model(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FactsUpdate.model_validate(values)
    with pytest.raises(InputError) as info:
        incidents.facts_update(values)
    assert info.value.field == next(iter(values))


def test_the_api_input_is_the_domain_model() -> None:
    assert issubclass(FactsIn, FactsUpdate)
    assert IncidentOpenIn.model_fields["facts"].annotation == FactsIn | None
    schema = FactsIn.model_json_schema()["properties"]["persons"]["anyOf"][0]
    assert schema["maximum"] == PERSONS_MAX


def test_the_console_builds_the_domain_model_and_its_bound() -> None:
    assert _fact_changes({**_FORM, "persons": str(PERSONS_MAX)}) == FactsUpdate(persons=PERSONS_MAX)
    assert _fact_changes({**_FORM, "improper_purpose": "presumed"}).changes() == {"improper_purpose": None}
    with pytest.raises(InputError) as info:
        _fact_changes({**_FORM, "persons": str(PERSONS_MAX + 1)})
    assert info.value.field == "persons"


def test_the_cli_refuses_what_the_domain_model_refuses(hogo: Run, policy_file: Path) -> None:
    hogo("policy", "apply", str(policy_file))
    opened = hogo(
        "incident", "open", "--type", "loss_theft", "--description", "紛失", "--persons", "3", "--json",
        as_json=True,
    )  # fmt: skip
    assert opened["persons"] == 3
    hogo("incident", "facts", opened["id"], "--persons", str(PERSONS_MAX + 1), code=2)
    hogo("incident", "facts", opened["id"], code=2)  # nothing to record
    later = hogo("incident", "facts", opened["id"], "--persons", str(PERSONS_MAX), "--json", as_json=True)
    assert later["persons"] == PERSONS_MAX
