"""A ledger entry's page shows a person's values (birth date, guardian, an individual provider of a
法30条 record, an incident's evidence file name) only to roles with the personal-data permission,
as the API answers them: the auditor verifies the ledger and reads the entry, but sees those
values withheld."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from fastapi.testclient import TestClient

from hogo.domain.clock import JST
from hogo.domain.consent import Subject
from hogo.domain.incidents.types import IncidentType
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.services import incidents, ledger, person_keys, received
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from tests.api.env import Env


def _payload(c: TestClient, seq: int) -> dict[str, object]:
    page = c.get(f"/ledger/{seq}")
    assert page.status_code == 200
    shown = page.context["page"].payload
    assert isinstance(shown, str)
    found: dict[str, object] = json.loads(shown)
    return found


def _guardian_entry(env: Env) -> int:
    """A consent event of the demo recorded with a guardian's name."""
    with read_scope(env.db) as session:
        for row in ledger.entries_for(session, *person_keys.ref_of(session, "M0000001")):
            if person_keys.reveal(session, row).get("guardian_name"):
                return row.seq
    raise LookupError("the demo has no event with a guardian")


def test_the_auditor_sees_an_entry_without_a_persons_values(
    auditor: TestClient, officer: TestClient, env: Env
) -> None:
    with write_scope(env.db) as session:
        upsert_subjects(session, [Subject(subject_id="WEBHIDE1", birth_date=date(1968, 7, 9))])
        [added] = ledger.entries_for(session, *person_keys.ref_of(session, "WEBHIDE1"))
        received.record_received(
            session,
            received_id="in-hide-1",
            provider=Provider(kind=ProviderKind.individual, name="提供 花子", address="京都府京都市1-2"),
            acquisition="本人から同意を得て取得",
            received_at=datetime(2025, 3, 1, 9, tzinfo=JST),
            data_items=["氏名"],
            persons=[(0, "WEBHIDE1")],
            basis=ReceivedBasis.consent,
        )
        [provided] = ledger.entries_for(session, "provision_received:in-hide-1")
        incident = incidents.open_new(
            session, IncidentType.missent_email, datetime(2026, 4, 1, tzinfo=JST), "誤送信"
        )
        evidence = incidents.add_evidence(session, incident.id, "苦情_提供花子様.pdf", b"%PDF-")["ledger_seq"]
    guardian = _guardian_entry(env)

    subject = _payload(auditor, added.seq)
    assert subject["birth_date"] is None and subject["withheld"] == ["birth_date"]
    assert subject["subject_id"] == "WEBHIDE1"  # every reader sees the id
    event = _payload(auditor, guardian)
    assert event["guardian_name"] is None and "guardian_name" in event["withheld"]  # type: ignore[operator]
    provider = _payload(auditor, provided.seq)["provider"]
    assert provider == {
        "kind": "individual", "name": None, "address": None, "representative": None,
        "withheld": ["address", "name"],
    }  # fmt: skip
    filed = _payload(auditor, evidence)
    assert filed["name"] is None and filed["withheld"] == ["name"] and filed["sha256"]
    for seq in (added.seq, guardian, provided.seq, evidence):
        text = auditor.get(f"/ledger/{seq}").text
        assert not re.search("1968-07-09|提供 花子|京都府京都市|保護者|提供花子様", text)

    # With the personal-data permission the values are shown, opened with the person's key.
    assert _payload(officer, added.seq)["birth_date"] == "1968-07-09"
    assert _payload(officer, guardian)["guardian_name"]
    assert _payload(officer, provided.seq)["provider"]["name"] == "提供 花子"  # type: ignore[index]
    assert _payload(officer, evidence)["name"] == "苦情_提供花子様.pdf"
