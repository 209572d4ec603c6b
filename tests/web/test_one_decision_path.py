"""The CLI, the API and the console give the same answer to the same question.

`hogo consent check` and `hogo consent history`, `GET /api/v1/consents/check` and the API's
timeline, and the person's page in the console are asked about the same persons and purposes;
each must give the same decision with the same reasons (codes and the articles they cite),
because all of them reach `decide` through `services.consent` and read the history through
`services.histories`.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hogo.auth.roles import Role
from hogo.cli.app import app as cli
from hogo.domain.consent import ConsentAction, ConsentEvent, ExceptionGround, LegalException, Subject
from hogo.services.consent import record_events, record_exception
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from tests.api.env import Env
from tests.factories import at

SRC = Path(__file__).resolve().parents[2] / "src" / "hogo"


@dataclass(frozen=True)
class Answer:
    allowed: bool
    reasons: tuple[tuple[str, str], ...]  # (code, article), in the order given


@dataclass(frozen=True)
class Case:
    name: str
    subject_id: str
    purpose_id: str
    allowed: bool
    basis: str | None
    first_code: str


CASES = [
    Case("granted", "Q-GRANT", "ad_partners", True, "consent", "CONSENT_GRANTED"),
    Case("withdrawn", "Q-WITHDRAW", "marketing_mail", False, None, "CONSENT_WITHDRAWN"),
    Case("objected to a use needing no consent", "Q-OBJECT", "service", False, None, "OBJECTED"),
    Case("objected to an opt-out provision", "Q-OBJECT", "mailing_list", False, None, "OBJECTED"),
    Case("bundled acceptance before the purpose was added", "Q-BUNDLED", "ad_partners", False, None,
         "TERMS_DID_NOT_INCLUDE_PURPOSE"),
    Case("legal exception", "Q-EXCEPTION", "analytics_overseas", True, "legal_exception", "LEGAL_EXCEPTION"),
    Case("child without the guardian's consent", "Q-CHILD", "marketing_mail", False, None,
         "GUARDIAN_CONSENT_MISSING"),
]  # fmt: skip


def _event(
    n: int, sid: str, purpose: str, action: ConsentAction, when: str, terms: str | None
) -> ConsentEvent:
    return ConsentEvent(
        event_id=f"q-{n}",
        subject_id=sid,
        purpose_id=purpose,
        action=action,
        collected_at=at(when),
        terms_version=terms,
    )


@pytest.fixture(scope="module")
def world(env: Env) -> Env:
    grant, withdraw, obj = ConsentAction.grant, ConsentAction.withdraw, ConsentAction.object
    adult = date(1980, 5, 5)
    with write_scope(env.db) as s:
        upsert_subjects(
            s,
            [Subject(subject_id=sid, birth_date=adult, identity_verified=True)
             for sid in ("Q-GRANT", "Q-WITHDRAW", "Q-OBJECT", "Q-BUNDLED", "Q-EXCEPTION")]
            + [Subject(subject_id="Q-CHILD", birth_date=date(2015, 4, 1), identity_verified=True)],
        )  # fmt: skip
        record_events(
            s,
            [
                _event(1, "Q-GRANT", "ad_partners", grant, "2022-01-10T10:00", "2021-07"),
                _event(2, "Q-WITHDRAW", "marketing_mail", grant, "2021-01-10T10:00", "2020-04"),
                _event(3, "Q-WITHDRAW", "marketing_mail", withdraw, "2022-03-01T10:00", None),
                _event(4, "Q-OBJECT", "service", obj, "2022-05-01T10:00", None),
                _event(5, "Q-OBJECT", "mailing_list", obj, "2022-07-01T10:00", None),
                _event(6, "Q-BUNDLED", "*", grant, "2020-05-01T10:00", "2020-04"),
                _event(7, "Q-CHILD", "marketing_mail", grant, "2024-01-01T10:00", "2023-04"),
            ],
        )
        record_exception(
            s,
            LegalException(
                exception_id="q-x1",
                subject_id="Q-EXCEPTION",
                purpose_id="analytics_overseas",
                ground=ExceptionGround.laws,
                recorded_at=at("2024-01-01T00:00"),
            ),
        )
    return env


def _answer(decision: dict[str, Any]) -> Answer:
    return Answer(decision["allowed"], tuple((r["code"], r["article"]) for r in decision["reasons"]))


def _cli(env: Env, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("HOGO_DATABASE_URL", env.database_url)
    result = CliRunner().invoke(cli, list(args))
    return result


def _cli_check(env: Env, monkeypatch: pytest.MonkeyPatch, case: Case) -> dict[str, Any]:
    r = _cli(
        env,
        monkeypatch,
        "consent",
        "check",
        "--subject",
        case.subject_id,
        "--purpose",
        case.purpose_id,
        "--json",
    )
    assert r.exit_code == 0, r.output
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def _cli_history(env: Env, monkeypatch: pytest.MonkeyPatch, case: Case) -> dict[str, Any]:
    r = _cli(env, monkeypatch, "consent", "history", "--subject", case.subject_id, "--json")
    assert r.exit_code == 0, r.output
    decisions = json.loads(r.stdout)["decisions"]
    return next(d for d in decisions if d["purpose_id"] == case.purpose_id)


def _api_check(api: TestClient, env: Env, case: Case) -> dict[str, Any]:
    params = {"subject_id": case.subject_id, "purpose_id": case.purpose_id}
    r = api.get("/api/v1/consents/check", params=params, headers=env.headers(Role.auditor))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _api_timeline(api: TestClient, env: Env, case: Case) -> dict[str, Any]:
    r = api.get(f"/api/v1/subjects/{case.subject_id}/timeline", headers=env.headers(Role.auditor))
    assert r.status_code == 200, r.text
    return next(d for d in r.json()["decisions"] if d["purpose_id"] == case.purpose_id)


def _console(page: str, purpose_id: str) -> Answer:
    """The purpose's row of the decision table on the person's page: allowed, and each reason's
    `CODE(article)`."""
    row = re.search(rf'<tr id="decision-{purpose_id}" data-allowed="(true|false)">.*?</tr>', page, re.S)
    assert row is not None, purpose_id
    reasons = re.findall(r"<code>([A-Z][A-Z0-9_]+)\((.*?)\)</code>", row.group(0))
    return Answer(row.group(1) == "true", tuple(reasons))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_api_and_console_give_the_same_decision(
    world: Env, api: TestClient, auditor: TestClient, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    cli_check = _cli_check(world, monkeypatch, case)
    api_check = _api_check(api, world, case)
    assert (cli_check["allowed"], cli_check["basis"]) == (case.allowed, case.basis)
    assert cli_check["reasons"][0]["code"] == case.first_code
    page = auditor.get(f"/subjects/{case.subject_id}")
    assert page.status_code == 200
    answers = {
        "hogo consent check": _answer(cli_check),
        "hogo consent history": _answer(_cli_history(world, monkeypatch, case)),
        "GET /consents/check": _answer(api_check),
        "GET /subjects/{id}/timeline": _answer(_api_timeline(api, world, case)),
        "console /subjects/{id}": _console(page.text, case.purpose_id),
    }
    assert set(answers.values()) == {_answer(cli_check)}, answers
    assert api_check["basis"] == cli_check["basis"]
    assert api_check["event_id"] == cli_check["event_id"]


def test_an_unknown_person_is_not_found_everywhere(
    world: Env, api: TestClient, auditor: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("consent", "check", "--subject", "Q-NOBODY", "--purpose", "ad_partners", "--json")
    r = _cli(world, monkeypatch, *args)
    assert r.exit_code == 2 and json.loads(r.stdout)["error"]["field"] == "--subject"
    params = {"subject_id": "Q-NOBODY", "purpose_id": "ad_partners"}
    found = api.get("/api/v1/consents/check", params=params, headers=world.headers(Role.auditor))
    assert found.status_code == 404 and found.json()["error"]["code"] == "not_found"
    assert (
        api.get("/api/v1/subjects/Q-NOBODY/timeline", headers=world.headers(Role.auditor)).status_code == 404
    )
    assert auditor.get("/subjects/Q-NOBODY").status_code == 404


def test_only_services_consent_calls_decide() -> None:
    """A front end (or another service) deciding for one person by itself would be a second path."""
    callers = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and "decide" in (
                getattr(node.func, "id", None),
                getattr(node.func, "attr", None),
            ):
                callers.add(path.relative_to(SRC).as_posix())
    assert callers - {"domain/decision.py"} == {"services/consent.py"}
