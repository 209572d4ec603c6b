"""Schemathesis against the served OpenAPI document, in-process: the document must tell the truth.

Every built-in check runs, among them: no 5xx; every status code, content type, header and body
as the document declares; schema-violating requests (an integer for a date, a wrong type, a
missing field) refused; a method the document does not list answered 405 with `Allow`. One
built-in check is replaced by a sharper one (`valid_input_passes_validation`): a request the
schema calls valid may still break a business rule (nothing to record, an unknown person) and be
refused with a declared 422 naming the rule, but it must never fail the API's own request
validation, which would mean the schema promises what the validator refuses.

Bounded (a fixed number of examples per operation, derandomised, no shrinking phase) so it
runs in well under two minutes on two cores. Requests carry an admin token, so every
operation is reachable.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CheckContext
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hogo.auth.roles import Role
from tests.api.env import Env, build_env

# Built at import: schemathesis' lazy-fixture loader does not work with pytest 9, so the schema
# (and the small store behind it) is made once per test session when this module is collected.
_TMP = Path(tempfile.mkdtemp(prefix="hogo-fuzz-"))
atexit.register(shutil.rmtree, _TMP, True)
FUZZ_ENV: Env = build_env(_TMP, subjects=30)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", FUZZ_ENV.app)
# The test adds the admin token itself: schemathesis must not generate (or leave out) the
# Authorization header, or a negative case "without credentials" would be sent with them.
for generation in (
    schema.config.generation,
    *(
        p.generation
        for p in (schema.config.phases.coverage, schema.config.phases.fuzzing, schema.config.phases.examples)
    ),
):
    generation.update(with_security_parameters=False)
schema.config.seed = 20261206  # the same cases every run, so a failure is reproducible


@schemathesis.check
def valid_input_passes_validation(ctx: CheckContext, response: Response, case: schemathesis.Case) -> None:
    """A schema-valid request refused by request validation (a 422 listing fields) is a schema lie."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    details = response.json()["error"]["details"]
    if details:
        raise AssertionError(f"schema-valid request failed request validation: {details}")


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers=FUZZ_ENV.headers(Role.admin),
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_input_passes_validation],
    )
