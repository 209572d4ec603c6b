"""The privacy center over HTTP: the signed link's two steps, the person's own cookie (which the
console's never replaces, nor the other way round), the page, a withdrawal, receipts, GPC,
signing out, and the API that mints links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hogo.auth.roles import Role
from hogo.domain.consent import ConsentAction, ConsentMethod
from hogo.services import sites
from hogo.services.consent import check
from hogo.store.database import read_scope
from hogo.store.privacy_center import PersonSessionRow
from hogo.store.tables import ConsentEventRow
from tests.api.env import Env, client, login
from tests.privacy.helpers import choose, enter, form_token, link_token, provide, register


@pytest.fixture(scope="module")
def key(env: Env) -> sites.NewKey:
    return register(env.db)


@pytest.fixture()
def person(env: Env, key: sites.NewKey) -> str:
    return env.uncovered_subject()


def test_the_link_is_spent_only_by_the_button(
    api: TestClient, person: str, key: sites.NewKey, env: Env
) -> None:
    token = link_token(key, person)
    for _ in range(2):  # link previews and mail scanners fetch the URL: nothing is spent
        page = api.get("/privacy/enter", params={"token": token})
        assert page.status_code == 200 and 'action="/privacy/enter"' in page.text
    r = api.post(
        "/privacy/enter", data={"token": token, "csrf_token": form_token(page.text)}, follow_redirects=False
    )
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("hogo_privacy="))
    attributes = {a.strip().lower() for a in cookie.split(";")}
    assert {"path=/privacy", "httponly", "samesite=lax", "max-age=1800"} <= attributes
    assert "secure" not in attributes  # http in development; see the https test below
    with client(env) as other:  # the same token again, from another browser: refused
        page = other.get("/privacy/enter", params={"token": token})
        again = other.post("/privacy/enter", data={"token": token, "csrf_token": form_token(page.text)})
    assert (
        again.status_code == 401
        and "トークン" in again.text
        and "hogo_privacy=" not in again.headers.get("set-cookie", "")
    )


def test_the_cookie_is_secure_over_https(env: Env, key: sites.NewKey) -> None:
    subject = env.uncovered_subject()
    with client(env, base_url="https://testserver") as c:
        token = link_token(key, subject)
        page = c.get("/privacy/enter", params={"token": token})
        r = c.post(
            "/privacy/enter",
            data={"token": token, "csrf_token": form_token(page.text)},
            follow_redirects=False,
        )
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("hogo_privacy="))
    assert "secure" in cookie.lower()


def test_wrong_audience_forged_and_expired_links_are_refused(
    api: TestClient, person: str, key: sites.NewKey
) -> None:
    from tests.embed_helpers import member_token

    old = int(datetime.now(UTC).timestamp()) - 3600
    for token in (
        member_token(key, "shop", person),  # the consent notice's audience
        member_token(key, "shop", person, aud=sites.PRIVACY_CENTER_AUDIENCE, signing_key="x" * 40),
        member_token(key, "shop", person, aud=sites.PRIVACY_CENTER_AUDIENCE, iat=old, exp=old + 60),
    ):
        page = api.get("/privacy/enter", params={"token": token})
        r = api.post("/privacy/enter", data={"token": token, "csrf_token": form_token(page.text)})
        assert r.status_code == 401
    assert api.get("/privacy").text.count('id="enter-code"') == 1  # still outside


def test_the_page_shows_purposes_history_and_provision_records(
    api: TestClient, person: str, key: sites.NewKey, env: Env
) -> None:
    record = provide(env.db, person, "pc-page-1")
    enter(api, link_token(key, person))
    page = api.get("/privacy")
    assert page.status_code == 200
    html = page.text
    assert 'id="purposes"' in html and 'id="history"' in html and 'id="provisions"' in html
    assert record.recipient_name in html and "2024年6月1日" in html and "購買金額" in html
    assert "会員サイトからの署名付きリンク" in html  # how the person was identified
    assert "法18条1項" in html or "法27条1項" in html  # the articles behind the reasons
    assert "hogo_session" not in api.cookies  # the console was never opened
    english = api.get("/privacy", params={"lang": "en"}).text
    assert (
        "Records of your data provided to third parties" in english
        and "Signed link from the member site" in english
    )


def test_granting_then_withdrawing_consent_for_one_purpose(
    api: TestClient, env: Env, key: sites.NewKey
) -> None:
    subject = env.uncovered_subject()  # their terms acceptance does not cover ad_partners
    enter(api, link_token(key, subject))
    html = api.get("/privacy").text
    section = html[html.index('id="purpose-ad_partners"') :]
    sha = section.split('name="shown_sha256" value="')[1].split('"')[0]
    forged = {"csrf_token": "wrong", "purpose_id": "ad_partners", "action": "grant", "shown_sha256": sha}
    assert api.post("/privacy/consents", data=forged).status_code == 403
    assert choose(api, "ad_partners", "grant").startswith("/privacy?done=ad_partners")
    with read_scope(env.db) as s:
        assert check(s, subject, "ad_partners", datetime.now(UTC) + timedelta(seconds=1)).allowed
    target = choose(api, "ad_partners", "withdraw", **{"User-Agent": "Mozilla/5.0 Chrome/120"})
    with read_scope(env.db) as s:
        row = s.scalars(
            select(ConsentEventRow)
            .where(ConsentEventRow.subject_id == subject, ConsentEventRow.purpose_id == "ad_partners")
            .order_by(ConsentEventRow.recorded_at.desc(), ConsentEventRow.collected_at.desc())
        ).first()
        assert row is not None and row.action == ConsentAction.withdraw.value
        assert row.method == ConsentMethod.privacy_center.value and "idv=signed_link" in (row.evidence or "")
        assert "ua=Chrome" in (row.evidence or "")
        assert not check(s, subject, "ad_partners", datetime.now(UTC) + timedelta(seconds=1)).allowed
    after = api.get(target).text
    assert "あなたの選択を記録しました" in after and "同意の撤回" in after
    receipt = api.get(f"/privacy/receipts/{row.event_id}.json")
    assert receipt.status_code == 200 and "attachment" in receipt.headers["content-disposition"]
    doc = json.loads(receipt.text)
    assert doc["record_id"] == row.event_id and doc["event"]["state"] == "withdrawn"
    assert doc["event"]["method"] == "privacy_center"


def test_a_stale_form_is_shown_again_with_the_error(api: TestClient, env: Env, key: sites.NewKey) -> None:
    enter(api, link_token(key, env.uncovered_subject()))
    html = api.get("/privacy").text
    data = {
        "csrf_token": form_token(html),
        "purpose_id": "ad_partners",
        "action": "grant",
        "shown_sha256": "0" * 64,
    }
    r = api.post("/privacy/consents", data=data)
    assert r.status_code == 422 and "表示中の内容が更新されました" in r.text and 'id="purposes"' in r.text


def test_receipts_of_other_persons_are_not_found(api: TestClient, env: Env, key: sites.NewKey) -> None:
    mine, theirs = env.uncovered_subject(), env.uncovered_subject()
    with read_scope(env.db) as s:
        other_event = s.scalars(
            select(ConsentEventRow.event_id).where(ConsentEventRow.subject_id == theirs)
        ).first()
    assert other_event is not None
    enter(api, link_token(key, mine))
    assert api.get(f"/privacy/receipts/{other_event}.json").status_code == 404


def test_gpc_is_shown_and_recorded(api: TestClient, env: Env, key: sites.NewKey) -> None:
    subject = env.uncovered_subject()
    enter(api, link_token(key, subject))
    html = api.get("/privacy", headers={"Sec-GPC": "1"}).text
    assert "GPC" in html and 'action="/privacy/gpc"' in html
    r = api.post("/privacy/gpc", data={"csrf_token": form_token(html)}, follow_redirects=False)
    assert r.status_code == 303
    with read_scope(env.db) as s:
        actions = s.scalars(
            select(ConsentEventRow.action).where(
                ConsentEventRow.subject_id == subject, ConsentEventRow.method == "privacy_center"
            )
        ).all()
    assert actions and set(actions) == {"object"}
    after = api.get(r.headers["location"], headers={"Sec-GPC": "1"}).text
    assert 'action="/privacy/gpc"' not in after
    assert 'role="status">あなたの選択を記録しました。' in after  # the person is told it was recorded


def test_the_console_session_does_not_open_the_privacy_center(env: Env) -> None:
    with client(env) as officer:
        login(officer, env.usernames[Role.privacy_officer])
        page = officer.get("/privacy")
        assert page.status_code == 200 and 'id="enter-code"' in page.text and 'id="purposes"' not in page.text
        refused = officer.post(
            "/privacy/consents", data={"csrf_token": "x", "purpose_id": "p", "action": "withdraw"}
        )
        assert refused.status_code == 401
        assert officer.get("/privacy/receipts/x.json").status_code == 401
        # the console's cookie value under the privacy center's name is not a person's session
        officer.cookies.set("hogo_privacy", officer.cookies["hogo_session"], path="/privacy")
        assert 'id="purposes"' not in officer.get("/privacy").text


def test_the_privacy_session_does_not_open_the_console(env: Env, key: sites.NewKey) -> None:
    with client(env) as c:
        enter(c, link_token(key, env.uncovered_subject()))
        assert 'id="purposes"' in c.get("/privacy").text
        value = c.cookies["hogo_privacy"]
        for name in ("hogo_privacy", "hogo_session"):  # sent to the console under either name
            c.cookies.set(name, value, path="/")
            r = c.get("/", follow_redirects=False)
            assert r.status_code == 401 and 'action="/login"' in r.text
            assert c.get("/subjects", follow_redirects=False).status_code == 401


def test_signing_out_ends_the_session(api: TestClient, env: Env, key: sites.NewKey) -> None:
    subject = env.uncovered_subject()
    enter(api, link_token(key, subject))
    html = api.get("/privacy").text
    r = api.post("/privacy/logout", data={"csrf_token": form_token(html)}, follow_redirects=False)
    assert r.status_code == 303
    with read_scope(env.db) as s:
        assert s.scalars(select(PersonSessionRow).where(PersonSessionRow.subject_id == subject)).all() == []
    assert 'id="purposes"' not in api.get("/privacy").text


# --- the API for the business's site ---------------------------------------------------------------


def test_the_api_mints_a_link_once_per_key(api: TestClient, env: Env) -> None:
    subject = env.uncovered_subject()
    headers = {**env.headers(Role.operator), "Idempotency-Key": "link-1"}
    first = api.post("/api/v1/privacy-center/links", json={"subject_id": subject}, headers=headers)
    assert first.status_code == 201, first.text
    again = api.post("/api/v1/privacy-center/links", json={"subject_id": subject}, headers=headers)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = api.post(
        "/api/v1/privacy-center/links", json={"subject_id": env.uncovered_subject()}, headers=headers
    )
    assert other.status_code == 409
    url = first.json()["url"]
    assert url.startswith("http://testserver/privacy/enter?token=")
    with client(env) as browser:
        enter(browser, first.json()["token"])
        assert 'id="purposes"' in browser.get("/privacy").text
        with client(env) as second:
            page = second.get(url)
            assert (
                second.post(
                    "/privacy/enter",
                    data={"token": first.json()["token"], "csrf_token": form_token(page.text)},
                ).status_code
                == 401
            )


def test_minting_needs_a_recording_token(api: TestClient, env: Env) -> None:
    body = {"subject_id": env.uncovered_subject()}
    assert api.post("/api/v1/privacy-center/links", json=body).status_code == 401
    assert (
        api.post("/api/v1/privacy-center/links", json=body, headers=env.headers(Role.auditor)).status_code
        == 403
    )
    missing = api.post(
        "/api/v1/privacy-center/links", json={"subject_id": "NOBODY"}, headers=env.headers(Role.operator)
    )
    assert missing.status_code == 404


def test_the_pages_render_their_typed_contexts(api: TestClient, env: Env, key: sites.NewKey) -> None:
    from hogo.web.render import Frame
    from hogo.web.views.privacy import PrivacyEntry, PrivacyHome

    outside = api.get("/privacy")
    assert isinstance(outside.context["frame"], Frame)  # type: ignore[attr-defined]
    entry = outside.context["page"]  # type: ignore[attr-defined]
    assert isinstance(entry, PrivacyEntry) and entry.challenge == "" and entry.token == ""
    subject = env.uncovered_subject()
    enter(api, link_token(key, subject))
    home = api.get("/privacy").context["page"]  # type: ignore[attr-defined]
    assert isinstance(home, PrivacyHome) and home.view.subject.subject_id == subject
    assert home.person.site_id == "shop" and not home.gpc and home.error is None
    assert [pv.purpose.id for pv in home.view.purposes] == [p.id for p in home.view.policy.purposes]


def test_an_opt_out_provision_does_not_also_say_consent_is_needed_first(
    api: TestClient, person: str, key: sites.NewKey
) -> None:
    """mailing_list is provided by opt-out (法27条2項): the person reads that it is provided until
    they ask to stop; the rule of 法27条1項 beside it says consent is the rule, not that it is
    needed for this provision (which read as a contradiction)."""
    enter(api, link_token(key, person))
    html = api.get("/privacy").text
    assert "あなたが停止を求めるまで提供されます(オプトアウト)" in html
    assert "他社への提供には、前もってあなたの同意が必要です" not in html
    assert "他社への提供には、原則として前もってあなたの同意が必要です" in html
