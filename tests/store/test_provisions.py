"""Provision records (法29条) and the disclosure answer (法33条) over a real store."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, insert

from hogo.domain.provision import RecordForm, ReleaseMode, persons_digest, retention_until
from hogo.errors import Conflict
from hogo.reports.disclosure.render import render_html
from hogo.services import ledger
from hogo.services.consent import record_events
from hogo.services.disclosure import disclosure
from hogo.services.person_keys import pseudonyms
from hogo.services.policy import apply_policy
from hogo.services.provisions import provisions_for, record_provision, verify_persons
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from hogo.store.provisions import ProvisionSubjectRow
from tests.factories import at, event, person, policy


def _provide(engine: Engine, provision_id: str = "rel-1") -> None:
    with write_scope(engine) as s:
        record_provision(
            s,
            policy(),
            provision_id=provision_id,
            mode=ReleaseMode.personal,
            purpose_id="ad_partners",
            recipient_id="adco",
            provided_at=at("2024-06-01T10:00"),
            data_items=["email_token", "purchase_total"],
            persons=[("S1", "consent"), ("S2", "opt_out")],
        )


@pytest.fixture()
def seeded(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person("S1"), person("S2"), person("S3")])
        record_events(s, [event("S1", when="2022-01-01T10:00", event_id="g1")])
    return store


def test_record_is_sealed_and_disclosed(seeded: Engine) -> None:
    _provide(seeded)
    with write_scope(seeded) as s:
        [record] = provisions_for(s, "S1")
        assert record.persons == 2 and record.bases == {"consent": 1, "opt_out": 1}
        # over the persons' pseudonyms: once erased, no guessed list confirms a person
        assert record.persons_sha256 == persons_digest(pseudonyms(s, ["S2", "S1"]))
        assert record.persons_sha256 != persons_digest(["S2", "S1"])
        assert record.opt_out_provision_dates and not record.consent_obtained
        assert provisions_for(s, "S3") == []
        assert verify_persons(s, "rel-1") and ledger.verify_ledger(s).ok
        answer = disclosure(s, "S1", at("2024-07-01T00:00"))
    assert answer["third_party_provision_records"][0]["recipient"]["name"] == "広告株式会社"
    assert [e["event_id"] for e in answer["consent_events"]] == ["g1"]
    assert any(d["purpose_id"] == "ad_partners" and d["allowed"] for d in answer["decisions"])
    html = render_html(answer)
    assert "第三者提供記録" in html and "広告株式会社" in html and "法27条1項" in html


def test_a_changed_person_list_no_longer_matches_its_seal(seeded: Engine) -> None:
    _provide(seeded)
    with write_scope(seeded) as s:
        s.execute(delete(ProvisionSubjectRow).where(ProvisionSubjectRow.subject_id == "S2"))
        s.execute(insert(ProvisionSubjectRow).values(provision_id="rel-1", subject_id="S3", basis="consent"))
    with write_scope(seeded) as s:
        assert not verify_persons(s, "rel-1")


def test_provision_ids_are_unique(seeded: Engine) -> None:
    _provide(seeded)
    with pytest.raises(Conflict):
        _provide(seeded)


def test_retention_counts_years_and_handles_leap_days() -> None:
    assert retention_until(at("2024-02-29T12:00"), RecordForm.batch).isoformat() == "2027-02-28"
    assert retention_until(at("2024-06-01T00:30"), RecordForm.contract).isoformat() == "2025-06-01"
