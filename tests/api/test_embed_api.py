"""The consent notice's API: member tokens, origins, replay, what is asked, choices with evidence."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.domain.clock import JST
from hogo.domain.notice import parse_evidence, render_notice
from hogo.services import ledger, sites
from hogo.services.consent import check, get_event
from hogo.services.policy import current_policy, current_revision
from hogo.store.database import write_scope
from hogo.store.sites import SiteRow
from tests.api.env import SECRET, Env
from tests.embed_helpers import member_token, register_site

ORIGIN = "https://shop.example.jp"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture(scope="module")
def site(env: Env) -> sites.NewKey:
    return register_site(env.db, "shop", [ORIGIN, "http://127.0.0.1:8123"])


def _ask(api: TestClient, token: str, origin: str = ORIGIN, **body: object) -> httpx.Response:
    return api.post(
        "/api/v1/embed/notice",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Origin": origin, "User-Agent": UA},
    )


def test_member_sees_the_ad_partner_notice_and_choices_are_recorded_with_evidence(
    env: Env, api: TestClient, site: sites.NewKey
) -> None:
    sid = env.uncovered_subject("ad_partners")
    r = _ask(api, member_token(site, "shop", sid))
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN
    body = r.json()
    sections = {s["purpose_id"]: s for s in body["notices"]["ja"]["sections"]}
    assert "ad_partners" in sections
    assert sections["ad_partners"]["recipients"][0]["name"] == "株式会社アドネットワーク"
    assert body["privacy_center_url"] == "https://example.jp/privacy"
    # The digest is the one an auditor re-renders from the policy revision.
    with write_scope(env.db) as session:
        policy, rev = current_policy(session), current_revision(session)
        assert policy is not None and rev is not None
        again = render_notice(policy, rev.revision, tuple(sections), "ja")
    assert {s.purpose_id: s.sha256 for s in again.sections} == {k: v["sha256"] for k, v in sections.items()}
    # The 外部送信 the policy declares travel with the notice (電気通信事業法27条の12).
    assert again.external_transmissions is not None
    assert body["notices"]["ja"]["external_transmissions"]["sha256"] == again.external_transmissions.sha256

    other = next(p for p in sections if p != "ad_partners")
    choices = [{"purpose_id": "ad_partners", "action": "grant"}, {"purpose_id": other, "action": "deny"}]
    headers = {"Authorization": f"Bearer {body['ticket']}", "Origin": ORIGIN}
    done = api.post("/api/v1/embed/choices", json={"choices": choices}, headers=headers)
    assert done.status_code == 201, done.text
    assert done.json()["recorded"] == 2
    with write_scope(env.db) as session:
        granted, _ = get_event(session, done.json()["event_ids"][0])
        evidence = parse_evidence(granted.evidence)
        assert evidence is not None
        assert evidence.sha256 == sections["ad_partners"]["sha256"]
        assert (evidence.origin, evidence.language, evidence.user_agent_family, evidence.gpc) == (
            ORIGIN,
            "ja",
            "Chrome",
            False,
        )
        assert granted.method.value == "web_form" and granted.terms_version == "2023-04"
        assert check(session, sid, "ad_partners", datetime.now(JST)).allowed
        assert not check(session, sid, other, datetime.now(JST)).allowed
    # The ticket is single use.
    again_r = api.post("/api/v1/embed/choices", json={"choices": choices[:1]}, headers=headers)
    assert again_r.status_code == 401
    # Answered purposes are not asked again.
    r2 = _ask(api, member_token(site, "shop", sid))
    assert {s["purpose_id"] for s in r2.json()["notices"]["ja"]["sections"]}.isdisjoint(
        {"ad_partners", other}
    )


def test_replayed_forged_expired_and_foreign_origin_tokens_are_refused_without_personal_data(
    env: Env, api: TestClient, site: sites.NewKey, caplog: pytest.LogCaptureFixture
) -> None:
    sid = env.uncovered_subject("ad_partners")
    caplog.set_level(logging.WARNING)
    token = member_token(site, "shop", sid)
    assert _ask(api, token).status_code == 200
    assert _ask(api, token).status_code == 401  # replayed
    assert _ask(api, member_token(site, "shop", sid, signing_key="not-the-secret-" * 3)).status_code == 401
    past = int(time.time()) - 3600
    assert _ask(api, member_token(site, "shop", sid, iat=past, exp=past + 300)).status_code == 401
    long_lived = int(time.time())
    assert (
        _ask(api, member_token(site, "shop", sid, iat=long_lived, exp=long_lived + 3600)).status_code == 401
    )
    assert _ask(api, member_token(site, "shop", sid, aud="hogo:privacy-center")).status_code == 401
    foreign = _ask(api, member_token(site, "shop", sid), origin="https://evil.example")
    assert foreign.status_code == 403
    assert "access-control-allow-origin" not in foreign.headers
    preflight = api.options(
        "/api/v1/embed/notice",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    ok = api.options(
        "/api/v1/embed/notice", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == ORIGIN
    logged = caplog.text
    assert "replayed" in logged and "expired" in logged
    assert sid not in logged and token not in logged


def test_a_token_for_an_unregistered_person_is_refused_like_a_forged_one(
    api: TestClient, site: sites.NewKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    refused = _ask(api, member_token(site, "shop", "M9999998"))  # the person is read with their history
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    assert "unknown_subject" in caplog.text and "M9999998" not in caplog.text
    assert _ask(api, member_token(site, "shop", "M9999998"), origin="https://evil.example").status_code == 401


def test_cors_answers_only_registered_origins_of_active_sites_even_when_the_call_is_refused(
    env: Env, api: TestClient
) -> None:
    """The allowed origin comes from the call's own origin check when it got that far, else from
    the registry as the answer starts: a refused token from a registered page can still be read
    (the component shows its error), a foreign page never, and a disabled site's pages neither
    record choices nor read an answer."""
    key = register_site(env.db, "closing", ["https://closing.example.jp"])
    page = "https://closing.example.jp"
    sid = env.uncovered_subject("ad_partners")
    refused = _ask(api, member_token(key, "closing", sid, signing_key="not-the-secret-" * 3), origin=page)
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == page
    assert refused.headers["vary"] == "Origin"
    asked = _ask(api, member_token(key, "closing", sid), origin=page)
    assert asked.status_code == 200 and asked.headers["access-control-allow-origin"] == page
    with write_scope(env.db) as session:
        session.execute(
            update(SiteRow).where(SiteRow.site_id == "closing").values(disabled_at=datetime.now(JST))
        )
    choice = {"purpose_id": "ad_partners", "action": "grant"}
    headers = {"Authorization": f"Bearer {asked.json()['ticket']}", "Origin": page}
    late = api.post("/api/v1/embed/choices", json={"choices": [choice]}, headers=headers)
    assert late.status_code == 403 and late.json()["error"]["code"] == "origin_refused"
    assert "access-control-allow-origin" not in late.headers
    with write_scope(env.db) as session:
        assert not check(session, sid, "ad_partners", datetime.now(JST)).allowed


def test_concurrent_choices_are_recorded_together_each_with_its_answer(
    env: Env, api: TestClient, site: sites.NewKey
) -> None:
    """Choices posted at once go through the group commit (services.group_commit): every person
    gets their own events and 201, each event its own ledger entry, and the ledger verifies; a
    ticket posted twice at once is recorded once, the other post refused as a replay."""
    members = [env.uncovered_subject("ad_partners") for _ in range(10)]
    tickets = [_ask(api, member_token(site, "shop", sid)).json()["ticket"] for sid in members]
    with write_scope(env.db) as session:
        entries_before = ledger.verify_all(session)[0].entries

    def post(ticket: str) -> httpx.Response:
        choice = {"purpose_id": "ad_partners", "action": "grant"}
        headers = {"Authorization": f"Bearer {ticket}", "Origin": ORIGIN}
        return api.post("/api/v1/embed/choices", json={"choices": [choice]}, headers=headers)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, [*tickets, tickets[0]]))
    codes = [a.status_code for a in answers]
    assert sorted(codes[0::10]) == [201, 401]  # the first ticket, posted twice
    assert codes[1:10] == [201] * 9
    recorded = [a.json() for a in answers if a.status_code == 201]
    assert all(r["recorded"] == 1 and r["already_present"] == 0 for r in recorded)
    with write_scope(env.db) as session:
        chain, rows = ledger.verify_all(session)
        assert ledger.verdict(chain, rows).ok
        assert chain.entries == entries_before + 10
        events = [get_event(session, r["event_ids"][0])[0] for r in recorded]
        assert {e.subject_id for e in events} == set(members)
        assert {(e.purpose_id, e.action.value) for e in events} == {("ad_partners", "grant")}
        assert all(check(session, sid, "ad_partners", datetime.now(JST)).allowed for sid in members)


def test_ed25519_keys_and_rotation_with_a_grace_period(env: Env, api: TestClient) -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    key = register_site(env.db, "edshop", ["https://ed.example.jp"], public_key_pem=pem)
    assert key.algorithm == "EdDSA" and key.secret is None
    sid = env.uncovered_subject("ad_partners")
    r = _ask(api, member_token(key, "edshop", sid, signing_key=private), origin="https://ed.example.jp")
    assert r.status_code == 200, r.text
    with write_scope(env.db) as session:
        new = sites.rotate_key(session, "edshop", secret_key=SECRET, grace=timedelta(0))
    assert new.algorithm == "HS256" and new.secret
    old = _ask(api, member_token(key, "edshop", sid, signing_key=private), origin="https://ed.example.jp")
    assert old.status_code == 401  # no grace: the old key stopped at once
    fresh = _ask(api, member_token(new, "edshop", sid), origin="https://ed.example.jp")
    assert fresh.status_code == 200


def test_rate_limited_per_person(env: Env, api: TestClient, site: sites.NewKey) -> None:
    sid = env.uncovered_subject("ad_partners")
    limit = env.app.state.embed_limits[1].per_minute
    codes = [_ask(api, member_token(site, "shop", sid)).status_code for _ in range(limit + 1)]
    assert codes[:limit] == [200] * limit and codes[-1] == 429


def test_consent_receipt_includes_the_notice_evidence(
    env: Env, api: TestClient, site: sites.NewKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = env.uncovered_subject("ad_partners")
    body = _ask(api, member_token(site, "shop", sid)).json()
    headers = {"Authorization": f"Bearer {body['ticket']}", "Origin": ORIGIN}
    choice = {"purpose_id": "ad_partners", "action": "grant"}
    done = api.post(
        "/api/v1/embed/choices", json={"choices": [choice], "language": "en"}, headers=headers
    ).json()
    monkeypatch.setenv("HOGO_DATABASE_URL", env.database_url)
    result = CliRunner().invoke(app, ["consent", "receipt", done["event_ids"][0]])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)["notice"]["notice_shown"]
    section = next(s for s in body["notices"]["en"]["sections"] if s["purpose_id"] == "ad_partners")
    assert shown == {
        "notice_version": body["notices"]["ja"]["version"],
        "sha256": section["sha256"],
        "site_id": "shop",
        "origin": ORIGIN,
        "language": "en",
        "user_agent_family": "Chrome",
        "gpc": False,
        "campaign_id": None,
        "identity_check": None,
    }


def test_component_is_served_for_sri_and_the_documented_hash_matches(api: TestClient) -> None:
    root = Path(__file__).resolve().parents[2]
    source = (root / "src/hogo/web/static/embed/v1/hogo-consent.js").read_bytes()
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(source).digest()).decode()
    documented = set(re.findall(r"sha384-[A-Za-z0-9+/=]+", (root / "docs/consent-notice.md").read_text()))
    assert documented == {integrity}
    served = api.get("/embed/v1/hogo-consent.js")
    assert served.status_code == 200 and served.content == source
    assert served.headers["access-control-allow-origin"] == "*"
    assert "javascript" in served.headers["content-type"]
