"""Roles × every endpoint and console page: personal values reach only roles allowed personal data.

A person with a birth date, a guardian's consent with evidence, a record of data received from
an individual (and from a corporation with its representative) and an incident with an evidence
file named after someone are stored with recognisable values. Then every GET operation of the
API (taken from the OpenAPI document, so a new endpoint is covered without editing this test),
the write responses that echo what was stored, and the console pages are read as every role:
roles without `Permission.personal_data` must not see any of the values (they get flags), and
roles with it must see them (so the test cannot pass by seeing nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Permission, Role, allows
from hogo.domain.clock import JST
from hogo.domain.consent import Subject
from hogo.domain.incidents.types import IncidentType
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.domain.rights.kinds import RequestChannel, RequestKind
from hogo.domain.rights.request import CorrectableField, Details
from hogo.services import incidents, rights_requests
from hogo.services import received as received_svc
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from hogo.web.dates import format_date
from tests.api.env import Env, client, login

SUBJECT = "PV-0001"
BIRTH = date(2011, 3, 4)
GUARDIAN = "保護者マーカー花子"
RELATION = "母マーカー"
EVIDENCE = "申込書マーカー-山田太郎"
INDIVIDUAL = "提供者マーカー次郎"
INDIVIDUAL_ADDRESS = "東京都マーカー区1-2-3"
REPRESENTATIVE = "代表者マーカー三郎"
EVIDENCE_FILE = "証拠マーカー_鈴木一郎.pdf"
REQUEST_TEXT = "請求マーカー: 住所が変わりました"
CORRECTED = "corrected-marker@example.jp"
#: Every personal value stored above, as it can appear in JSON or on a page.
PERSONAL = (
    BIRTH.isoformat(), format_date(BIRTH, "ja", True), format_date(BIRTH, "en", True),
    GUARDIAN, RELATION, EVIDENCE, INDIVIDUAL, INDIVIDUAL_ADDRESS, REPRESENTATIVE, EVIDENCE_FILE,
    REQUEST_TEXT, CORRECTED,
)  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    event_id: str
    individual_id: str
    corporation_id: str
    incident_id: str
    request_id: str


@pytest.fixture(scope="module")
def seeded(env: Env) -> Seeded:
    with write_scope(env.db) as s:
        upsert_subjects(s, [Subject(subject_id=SUBJECT, birth_date=BIRTH, identity_verified=True)])
        at = datetime(2024, 5, 1, 10, tzinfo=JST)
        common: dict[str, Any] = {
            "acquisition": "本人から取得",
            "received_at": at,
            "data_items": ["氏名"],
            "persons": [(0, SUBJECT)],
            "basis": ReceivedBasis.consent,
            "ppc_publication_confirmed": False,
        }
        person = Provider(kind=ProviderKind.individual, name=INDIVIDUAL, address=INDIVIDUAL_ADDRESS)
        corp = Provider(
            kind=ProviderKind.corporation,
            name="名簿株式会社",
            address="大阪府",
            representative=REPRESENTATIVE,
        )
        received_svc.record_received(s, received_id="pv-individual", provider=person, **common)
        received_svc.record_received(s, received_id="pv-corporation", provider=corp, **common)
        view = incidents.open_new(s, IncidentType.missent_email, at, "誤送信")
        incidents.add_evidence(s, view.id, EVIDENCE_FILE, b"scan")
        request = rights_requests.file_request(
            s, SUBJECT, RequestKind.correction,
            Details(text=REQUEST_TEXT, corrections={CorrectableField.email: CORRECTED}),
            None, RequestChannel.post,
        )  # fmt: skip
    with client(env) as c:
        r = c.post(
            "/api/v1/consents",
            json={
                "subject_id": SUBJECT,
                "choices": [{"purpose_id": "*", "action": "grant"}],
                "terms_version": "2023-04",
                "collected_at": "2024-04-01T10:00:00+09:00",
                "evidence": EVIDENCE,
                "guardian_name": GUARDIAN,
                "guardian_relation": RELATION,
            },
            headers=env.headers(Role.admin),
        )
        assert r.status_code == 201, r.text
        event_id = r.json()["events"][0]["event_id"]
    return Seeded(event_id, "pv-individual", "pv-corporation", view.id, request.request_id)


def _leaks(text: str) -> list[str]:
    return [v for v in PERSONAL if v in text]


def _api_gets(env: Env, seeded: Seeded) -> list[str]:
    """Every GET operation of the API with its path filled in (the fuzz test covers the rest)."""
    values = {
        "subject_id": SUBJECT, "event_id": seeded.event_id, "incident_id": seeded.incident_id,
        "received_id": seeded.individual_id, "dataset_id": "none", "release_id": "none", "name": "x",
        "campaign_id": "none", "seq": "2", "request_id": seeded.request_id, "profile_id": "none",
        "export_id": "none",
    }  # fmt: skip
    query = {
        "/api/v1/consents": f"?subject_id={SUBJECT}",
        "/api/v1/consents/check": f"?subject_id={SUBJECT}&purpose_id=service",
        "/api/v1/subjects": "?q=PV-",
    }
    urls = []
    for path, ops in env.app.openapi()["paths"].items():
        if "get" not in ops or not path.startswith("/api/v1/"):
            continue
        filled = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        urls.append(filled + query.get(path, ""))
    urls.append(f"/api/v1/provisions/received/{seeded.corporation_id}")
    return urls


#: Every console page that shows stored data (and the forms), by role; 403s are fine.
CONSOLE = (
    "/", "/policy", "/gap/ad_partners", "/subjects?q=PV-", f"/subjects/{SUBJECT}", "/consents/new", "/incidents",
    "/incidents/new", "/inventory", "/ledger", "/readiness", "/readiness/assets", "/releases",
    "/provisions/received", "/provisions/received/pv-individual",
    "/provisions/received/pv-corporation", "/segments", "/admin",
)  # fmt: skip


@pytest.mark.parametrize("role", list(Role))
def test_api_reads_show_personal_values_only_with_the_permission(
    api: TestClient, env: Env, seeded: Seeded, role: Role
) -> None:
    permitted = allows(role, Permission.personal_data)
    seen: set[str] = set()
    for url in _api_gets(env, seeded):
        r = api.get(url, headers=env.headers(role))
        assert r.status_code < 500, (url, r.status_code)
        leaked = _leaks(r.text)
        assert permitted or not leaked, (role, url, leaked)
        seen.update(leaked)
    if permitted:  # the values are really there for those who may see them
        assert {BIRTH.isoformat(), GUARDIAN, RELATION, EVIDENCE, INDIVIDUAL, INDIVIDUAL_ADDRESS} <= seen
        assert {REPRESENTATIVE, EVIDENCE_FILE, REQUEST_TEXT, CORRECTED} <= seen


@pytest.mark.parametrize("role", list(Role))
def test_flags_say_what_is_withheld(api: TestClient, env: Env, seeded: Seeded, role: Role) -> None:
    permitted = allows(role, Permission.personal_data)
    h = env.headers(role)
    receipt = api.get(f"/api/v1/consents/{seeded.event_id}/receipt", headers=h).json()
    assert receipt["data_subject"]["guardian_present"] is True
    assert receipt["notice"]["evidence_present"] is True
    assert (receipt["data_subject"]["guardian"] is not None) is permitted
    subject = api.get(f"/api/v1/subjects/{SUBJECT}", headers=h).json()
    assert subject["birth_date_present"] is True
    assert (subject["birth_date"] == BIRTH.isoformat()) is permitted
    events = api.get("/api/v1/consents", params={"subject_id": SUBJECT}, headers=h).json()["items"]
    assert events[0]["evidence_present"] is True and events[0]["guardian_consent"] is True
    provider = api.get(f"/api/v1/provisions/received/{seeded.individual_id}", headers=h).json()["provider"]
    assert provider["withheld"] == ([] if permitted else ["address", "name"])
    corp = api.get(f"/api/v1/provisions/received/{seeded.corporation_id}", headers=h).json()["provider"]
    assert corp["name"] == "名簿株式会社" and corp["representative_present"] is True
    assert corp["withheld"] == ([] if permitted else ["representative"])


def test_write_responses_do_not_echo_personal_values_to_an_operator(
    api: TestClient, env: Env, seeded: Seeded
) -> None:
    h = env.headers(Role.operator)
    put = api.put(
        "/api/v1/subjects", json={"subject_id": "PV-0002", "birth_date": BIRTH.isoformat()}, headers=h
    )
    captured = api.post(
        "/api/v1/consents",
        json={"subject_id": "PV-0002", "choices": [{"purpose_id": "service", "action": "grant"}],
              "evidence": EVIDENCE, "guardian_name": GUARDIAN, "guardian_relation": RELATION},
        headers=h,
    )  # fmt: skip
    received = api.post(
        "/api/v1/provisions/received",
        json={"provider": {"kind": "individual", "name": INDIVIDUAL, "address": INDIVIDUAL_ADDRESS},
              "acquisition": "本人から取得", "data_items": ["氏名"], "basis": "consent",
              "subject_ids": ["PV-0002"]},
        headers=h,
    )  # fmt: skip
    for r in (put, captured, received):
        assert r.status_code in (200, 201), r.text
        assert not _leaks(r.text)
    assert captured.json()["events"][0]["evidence_present"] is True


@pytest.mark.parametrize("role", list(Role))
def test_console_pages_show_personal_values_only_with_the_permission(
    env: Env, seeded: Seeded, role: Role
) -> None:
    permitted = allows(role, Permission.personal_data)
    seen: set[str] = set()
    with client(env) as c:
        login(c, env.usernames[role])
        for path in (*CONSOLE, f"/incidents/{seeded.incident_id}", f"/requests/{seeded.request_id}"):
            for lang in ("ja", "en"):
                r = c.get(path, params={"lang": lang})
                assert r.status_code in (200, 403), (path, r.status_code)
                leaked = _leaks(r.text)
                assert permitted or not leaked, (role, path, leaked)
                seen.update(leaked)
    if permitted:
        assert {
            format_date(BIRTH, "ja", True),
            INDIVIDUAL,
            REPRESENTATIVE,
            EVIDENCE_FILE,
            REQUEST_TEXT,
        } <= seen
