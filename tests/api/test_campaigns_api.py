"""Re-consent campaigns: targets frozen from the terms gap (count and digest in the ledger), the
notice only for targets, conversion by state, the targets CSV; not answered is never consent."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hogo.auth.roles import Permission, Role, allows
from hogo.domain.clock import JST
from hogo.services import campaigns, coverage, ledger, sites
from hogo.services.consent import require_policy
from hogo.store.database import write_scope
from tests.api.env import Env, login
from tests.embed_helpers import member_token, register_site

ORIGIN = "https://camp.example.jp"
Created = tuple[campaigns.CampaignView, sites.NewKey]


@pytest.fixture(scope="module")
def created(env: Env) -> Created:
    key = register_site(env.db, "camp", [ORIGIN])
    with TestClient(env.app) as api:
        r = api.post(
            "/api/v1/campaigns",
            json={
                "campaign_id": "ad-2021",
                "title": "広告提供の再同意",
                "purposes": ["ad_partners"],
                "site_id": "camp",
            },
            headers=env.headers(Role.privacy_officer),
        )
    assert r.status_code == 201, r.text
    with write_scope(env.db) as session:
        return campaigns.get(session, "ad-2021"), key


def _ask(api: TestClient, token: str) -> dict[str, Any]:
    r = api.post(
        "/api/v1/embed/notice", json={}, headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_targets_are_the_dashboard_gap_frozen_in_the_ledger(env: Env, created: Created) -> None:
    view, _ = created
    with write_scope(env.db) as session:
        policy = require_policy(session)
        gap = coverage.lacking_consent(session, policy, ["ad_partners"], view.selected_at)
        entry = ledger.entry(session, view.ledger_seq or 0)
    assert view.target_count == gap["ad_partners"] > 0
    assert entry is not None and entry.kind == "campaign"
    assert f'"target_digest":"{view.target_digest}"' in entry.payload_json
    assert "M0" not in entry.payload_json  # the count and digest, never the persons


def test_only_targets_see_the_campaign_notice_and_conversion_moves(
    env: Env, api: TestClient, created: Created
) -> None:
    view, key = created
    target = env.uncovered_subject("ad_partners")
    body = _ask(api, member_token(key, "camp", target))
    assert [s["purpose_id"] for s in body["notices"]["ja"]["sections"]] == ["ad_partners"]
    with write_scope(env.db) as session:
        before = campaigns.conversion(session, "ad-2021")[-1].counts
    assert before["seen"] == 1 and before["granted"] == 0
    headers = {"Authorization": f"Bearer {body['ticket']}", "Origin": ORIGIN}
    choice = {"purpose_id": "ad_partners", "action": "grant"}
    assert api.post("/api/v1/embed/choices", json={"choices": [choice]}, headers=headers).status_code == 201
    # Another target sees the notice and closes it: seen and dismissed, not consent.
    other = env.uncovered_subject("ad_partners")
    ticket = _ask(api, member_token(key, "camp", other))["ticket"]
    closed = api.post(
        "/api/v1/embed/dismissed", json={}, headers={"Authorization": f"Bearer {ticket}", "Origin": ORIGIN}
    )
    assert closed.status_code == 204
    detail = api.get("/api/v1/campaigns/ad-2021", headers=env.headers(Role.auditor)).json()
    last = detail["conversion"][-1]
    assert (last["granted"], last["dismissed"], last["declined"]) == (1, 1, 0)
    assert sum(last[k] for k in ("granted", "declined", "dismissed", "seen", "not_seen")) == view.target_count
    assert detail["conversion"][0]["granted"] == 0


def test_non_targets_are_not_asked(env: Env, api: TestClient, created: Created) -> None:
    _, key = created
    with write_scope(env.db) as session:
        targets = {s for batch in campaigns.iter_targets(session, "ad-2021") for s, *_ in batch}
    outsider = next(f"M{n:07d}" for n in range(1, 200) if f"M{n:07d}" not in targets)
    assert _ask(api, member_token(key, "camp", outsider))["notices"]["ja"]["sections"] == []


def test_console_shows_chart_and_table_and_exports_a_formula_safe_csv(env: Env, created: Created) -> None:
    view, _ = created
    with TestClient(env.app) as c:
        login(c, env.usernames[Role.privacy_officer])
        page = c.get("/campaigns/ad-2021")
        assert page.status_code == 200
        assert (
            'id="conversion-table"' in page.text and "<svg" in page.text and view.target_digest in page.text
        )
        assert "ad-2021" in c.get("/campaigns").text
        exported = c.get("/campaigns/ad-2021/targets.csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["subject_id", "email", "phone", "state"] and len(rows) == view.target_count + 1
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    with TestClient(env.app) as c:
        login(c, env.usernames[Role.auditor])
        assert c.get("/campaigns/ad-2021/targets.csv").status_code == 403


def test_creating_needs_the_personal_data_permission_and_known_purposes(env: Env, api: TestClient) -> None:
    body = {"campaign_id": "x", "title": "x", "purposes": ["ad_partners"]}
    assert api.post("/api/v1/campaigns", json=body, headers=env.headers(Role.operator)).status_code == 403
    bad = {**body, "purposes": ["nope"]}
    r = api.post("/api/v1/campaigns", json=bad, headers=env.headers(Role.privacy_officer))
    assert r.status_code == 422 and r.json()["error"]["field"] == "purposes.0"
    assert datetime.now(JST)  # the selection date defaults to now (no `at` given above)


@pytest.mark.parametrize("role", list(Role))
def test_the_console_navigation_links_to_campaigns_for_every_role_that_may_see_them(
    env: Env, role: Role
) -> None:
    """Issue 15: the campaigns page is reached from the menu, by exactly the roles it admits."""
    link = '<a href="/campaigns">再同意キャンペーン</a>'
    with TestClient(env.app) as c:
        login(c, env.usernames[role])
        page = c.get("/campaigns")
        assert (page.status_code == 200) is allows(role, Permission.read)
        assert (link in c.get("/").text) is allows(role, Permission.read)
        if allows(role, Permission.read):
            assert '<a href="/campaigns" aria-current="page">再同意キャンペーン</a>' in page.text
            assert '<a href="/campaigns">Re-consent campaigns</a>' in c.get("/?lang=en").text


def test_creating_a_campaign_holds_the_write_lock(
    env: Env, api: TestClient, created: Created, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The targets are selected and frozen under the write lock taken when the request's unit of
    work began (POST: `write_scope`), so no consent event can land between selecting and freezing."""
    create = campaigns.create
    seen: list[bool] = []

    def create_probing_the_lock(session: Session, spec: campaigns.CampaignSpec) -> campaigns.CampaignView:
        other = sqlite3.connect(env.database_url.removeprefix("sqlite:///"), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # a second writer
            other.rollback()
            seen.append(False)
        except sqlite3.OperationalError as exc:
            seen.append("locked" in str(exc))
        finally:
            other.close()
        return create(session, spec)

    monkeypatch.setattr(campaigns, "create", create_probing_the_lock)
    body = {"campaign_id": "lock-probe", "title": "lock", "purposes": ["ad_partners"], "site_id": "camp"}
    r = api.post("/api/v1/campaigns", json=body, headers=env.headers(Role.privacy_officer))
    assert r.status_code == 201, r.text
    assert seen == [True]
    with write_scope(env.db) as session:  # leave the module's other campaign the only active one
        campaigns.end(session, "lock-probe")
