"""A store with the factories' policy, three persons with contacts, consent and one 法29条
provision record covering S1; the token key that suppression entries are made under."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hogo.domain.provision import ReleaseMode
from hogo.services.consent import record_events
from hogo.services.policy import apply_policy
from hogo.services.provisions import record_provision
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from tests.factories import at, event, person, policy

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


@pytest.fixture(autouse=True)
def token_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HOGO_TOKEN_KEY", KEY)
    return KEY


def seed(engine: Engine) -> None:
    with write_scope(engine) as s:
        apply_policy(s, policy())
        upsert_subjects(
            s,
            [person("S1"), person("S2"), person("S3")],
            [("s1@example.jp", "090-1234-5678"), ("s2@example.jp", None), (None, None)],
        )
        record_events(
            s,
            [
                event("S1", purpose="profiling", when="2022-01-01T10:00", event_id="g1"),
                event("S1", purpose="ad_partners", when="2022-01-01T10:00", event_id="g2"),
            ],
        )
        record_provision(
            s,
            policy(),
            provision_id="rel-1",
            mode=ReleaseMode.personal,
            purpose_id="ad_partners",
            recipient_id="adco",
            provided_at=at("2024-06-01T10:00"),
            data_items=["email_token", "purchase_total"],
            persons=[("S1", "consent"), ("S2", "opt_out")],
        )


@pytest.fixture()
def seeded(store: Engine) -> Engine:
    seed(store)
    return store
