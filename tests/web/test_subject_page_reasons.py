"""The person's page shows when a blanket acceptance did not revive a specific withdrawal (item 13)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from tests.api.env import Env


def test_blanket_acceptance_after_a_withdrawal_is_explained_on_the_persons_page(
    api: TestClient, env: Env, auditor: TestClient
) -> None:
    h = env.headers(Role.operator)
    sid = "W-BLANKET-1"
    api.put(
        "/api/v1/subjects",
        json={"subject_id": sid, "birth_date": "1980-01-01", "identity_verified": True},
        headers=h,
    )
    for choice, terms, when in (
        ({"purpose_id": "ad_partners", "action": "grant"}, "2021-07", "2022-01-10T10:00:00+09:00"),
        ({"purpose_id": "ad_partners", "action": "withdraw"}, None, "2022-06-01T10:00:00+09:00"),
        ({"purpose_id": "*", "action": "grant"}, "2023-04", "2023-05-01T10:00:00+09:00"),
    ):
        body = {"subject_id": sid, "choices": [choice], "terms_version": terms, "collected_at": when}
        assert api.post("/api/v1/consents", json=body, headers=h).status_code == 201
    page = auditor.get(f"/subjects/{sid}")
    assert page.status_code == 200
    row = re.search(r'<tr id="decision-ad_partners"[^>]*>.*?</tr>', page.text, re.S)
    assert row is not None
    assert 'data-allowed="false"' in row.group(0)
    assert "BLANKET_ACCEPTANCE_DOES_NOT_REVIVE" in row.group(0) and "CONSENT_WITHDRAWN" in row.group(0)
    assert "規約全体への同意" in row.group(0)
