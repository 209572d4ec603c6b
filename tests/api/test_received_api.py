"""Records of data received from third parties (法30条) over the API: record, list, show; refusals
name a field or an index and store nothing; the persons never leave as ids."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hogo.auth.roles import Role
from hogo.domain.provision import persons_digest
from hogo.services.person_keys import pseudonyms
from hogo.store.database import write_scope
from hogo.store.received import ReceivedProvisionRow, ReceivedProvisionSubjectRow
from hogo.store.tables import LedgerEntryRow
from tests.api.env import Env

URL = "/api/v1/provisions/received"


@pytest.fixture()
def officer(env: Env) -> dict[str, str]:
    return env.headers(Role.privacy_officer)


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider": {
            "kind": "corporation",
            "name": "名簿提供株式会社",
            "address": "大阪府大阪市北区1-2",
            "representative": "提供 一郎",
        },
        "acquisition": "自社会員から同意を得て取得",
        "received_at": "2024-06-01T10:00:00+09:00",
        "data_items": ["氏名", "メールアドレス"],
        "basis": "opt_out",
        "ppc_publication_confirmed": True,
        "record_form": "batch",
        "subject_ids": ["M0000001", "M0000002"],
    }
    return {**body, **changes}


def _stored(env: Env) -> tuple[int, int, int]:
    with write_scope(env.db) as s:
        return (
            s.execute(select(func.count()).select_from(ReceivedProvisionRow)).scalar_one(),
            s.execute(select(func.count()).select_from(ReceivedProvisionSubjectRow)).scalar_one(),
            s.execute(select(func.count()).select_from(LedgerEntryRow)).scalar_one(),
        )


def test_record_list_and_get_without_the_persons(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    before = _stored(env)
    r = api.post(URL, json=_body(received_id="in-api-1"), headers=officer)
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["received_id"] == "in-api-1" and record["persons"] == 2
    with write_scope(env.db) as s:
        assert record["persons_sha256"] == persons_digest(pseudonyms(s, ["M0000002", "M0000001"]))
    assert record["basis"] == "opt_out" and record["ppc_publication_confirmed"] is True
    assert record["consent_obtained"] is False and record["opt_out_received_dates"] == ["2024-06-01"]
    assert record["retention_until"] == "2027-06-01"
    assert record["provider"]["representative"] == "提供 一郎"
    assert "M0000001" not in r.text and "subject_ids" not in record
    assert _stored(env) == (before[0] + 1, before[1] + 2, before[2] + 1)
    auditor = env.headers(Role.auditor)
    # The auditor sees the same record, but not the representative's name (a natural person's).
    as_auditor = {
        **record,
        "provider": {**record["provider"], "representative": None, "withheld": ["representative"]},
    }
    shown = api.get(f"{URL}/in-api-1", headers=auditor)
    assert shown.status_code == 200 and shown.json() == as_auditor
    listed = api.get(URL, headers=auditor)
    assert listed.status_code == 200 and as_auditor in listed.json()["items"]
    assert "M0000001" not in listed.text
    assert api.get(f"{URL}/no-such-record", headers=auditor).status_code == 404


def test_an_association_may_have_no_representative(api: TestClient, officer: dict[str, str]) -> None:
    provider = {"kind": "association", "name": "地域防災会", "address": "東京都千代田区1-1"}
    r = api.post(URL, json=_body(provider=provider, basis="consent"), headers=officer)
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["provider"]["kind"] == "association" and record["provider"]["representative"] is None
    assert record["consent_obtained"] is True and record["ppc_publication_confirmed"] is False
    assert record["opt_out_received_dates"] == [] and len(record["received_id"]) == 32
    managed = {**provider, "representative": "管理 花子"}
    r = api.post(URL, json=_body(provider=managed, basis="consent"), headers=officer)
    assert r.status_code == 201 and r.json()["provider"]["representative"] == "管理 花子"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"provider": {"kind": "corporation", "name": "株式会社", "address": "東京都"}},
            "provider_representative",
        ),
        ({"ppc_publication_confirmed": False}, "ppc_publication_confirmed"),
        ({"acquisition": "  "}, "acquisition"),
        ({"data_items": [" "]}, "data_items"),
    ],
)
def test_domain_refusals_name_the_field_and_store_nothing(
    api: TestClient, env: Env, officer: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    before = _stored(env)
    r = api.post(URL, json=_body(**changes), headers=officer)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert _stored(env) == before


def test_unknown_or_repeated_subjects_are_named_by_index_never_by_id(
    api: TestClient, env: Env, officer: dict[str, str]
) -> None:
    before = _stored(env)
    r = api.post(URL, json=_body(subject_ids=["M0000003", "SECRET-99", "M0000004"]), headers=officer)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == "subject_ids[1]" and "subject_ids[1]" in error["message_ja"]
    assert "SECRET-99" not in r.text
    r = api.post(URL, json=_body(subject_ids=["M0000003", "M0000003"]), headers=officer)
    assert r.status_code == 422 and r.json()["error"]["field"] == "subject_ids[1]"
    assert "M0000003" not in r.text
    r = api.post(URL, json=_body(subject_ids=[]), headers=officer)
    assert r.status_code == 422 and "M0000001" not in r.text
    assert _stored(env) == before


def test_auditor_cannot_record(api: TestClient, env: Env) -> None:
    before = _stored(env)
    r = api.post(URL, json=_body(received_id="in-api-audit"), headers=env.headers(Role.auditor))
    assert r.status_code == 403
    assert api.post(URL, json=_body(received_id="in-api-anon")).status_code == 401
    assert _stored(env) == before


def test_duplicate_id_is_a_conflict(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    assert api.post(URL, json=_body(received_id="in-api-dup"), headers=officer).status_code == 201
    before = _stored(env)
    again = api.post(URL, json=_body(received_id="in-api-dup", basis="consent"), headers=officer)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert _stored(env) == before


def test_idempotency_key_records_once(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    headers = {**officer, "Idempotency-Key": "received-retry-1"}
    first = api.post(URL, json=_body(basis="consent"), headers=headers)
    assert first.status_code == 201, first.text
    before = _stored(env)
    retry = api.post(URL, json=_body(basis="consent"), headers=headers)
    assert retry.status_code == 201 and retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert _stored(env) == before
    other = api.post(URL, json=_body(basis="consent", acquisition="別の経緯"), headers=headers)
    assert other.status_code == 409
    assert _stored(env) == before
