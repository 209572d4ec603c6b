"""Schemathesis against the served OpenAPI document, in-process: no 5xx, no schema violations.

Bounded (a fixed number of examples per operation, no shrinking-heavy phases) so it stays well
under a minute on two cores. Requests carry an admin token, so every operation is reachable.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hogo.auth.roles import Role
from tests.api.env import Env, build_env

# Built at import: schemathesis' lazy-fixture loader does not work with pytest 9, so the schema
# (and the small store behind it) is made once per test session when this module is collected.
_TMP = Path(tempfile.mkdtemp(prefix="hogo-fuzz-"))
atexit.register(shutil.rmtree, _TMP, True)
FUZZ_ENV: Env = build_env(_TMP, subjects=30)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", FUZZ_ENV.app)


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
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
