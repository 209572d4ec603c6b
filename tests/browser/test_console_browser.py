"""The console in a real browser: log in, find a person, record consent, see it on the timeline
and in the chart; a read-only auditor cannot change anything. Screenshots of every page are
saved under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from typing import Any

from hogo.auth.roles import Role
from tests.api.env import PASSWORD, Env

TIMEOUT = 60_000  # ms; the first dashboard view computes coverage over the whole membership


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    page.get_by_label(re.compile("ユーザー名|User name")).fill(username)
    page.get_by_label(re.compile("パスワード|Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("ログイン|Log in")).click()
    page.wait_for_selector("#count-subjects", timeout=TIMEOUT)


def _ad_partners_count(page: Any) -> int:
    text = page.locator('#coverage-table tr[data-purpose="ad_partners"] .allowed-count').inner_text()
    return int(text.replace(",", ""))


def test_officer_records_consent_and_sees_it(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    sid = env.uncovered_subject()
    context = browser.new_context(locale="ja-JP", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(base + "/")
    assert page.locator("#password").is_visible()
    shot(page, "01-login")

    _login(page, base, env.usernames[Role.privacy_officer])
    assert page.locator("h1").inner_text() == "組織の概要"
    assert page.locator("svg[role=img] polyline").count() == 5
    before = _ad_partners_count(page)
    shot(page, "02-dashboard")

    page.get_by_role("link", name="利用目的と規約").click()
    assert page.locator('#terms-2021-07 tr[data-purpose="ad_partners"]').is_visible()
    shot(page, "03-policy")

    page.get_by_role("link", name="本人の検索").click()
    page.get_by_label("本人ID(前方一致)").fill(sid)
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=sid).click()
    assert page.locator("#decision-ad_partners").get_attribute("data-allowed") == "false"
    shot(page, "04-subject-before")

    page.locator("main").get_by_role("link", name="同意の記録").click()
    assert page.get_by_label("本人ID").input_value() == sid
    page.get_by_label("利用目的", exact=True).select_option("ad_partners")
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("示した規約版(任意)").select_option("2021-07")
    page.get_by_label("取得方法").select_option("web_form")
    shot(page, "05-consent-form")
    page.get_by_role("button", name="記録する").click()

    page.wait_for_selector("p.notice")
    event_id = page.locator("p.notice code").inner_text()
    assert page.locator(f"#event-{event_id}").is_visible()
    assert "同意" in page.locator(f"#event-{event_id}").inner_text()
    assert page.locator("#decision-ad_partners").get_attribute("data-allowed") == "true"
    shot(page, "06-subject-after")

    page.get_by_role("link", name="概要").click()
    page.wait_for_selector("#coverage-table")
    assert _ad_partners_count(page) == before + 1
    shot(page, "07-dashboard-after")

    page.get_by_role("link", name="台帳の検証").click()
    assert "改ざんは検出されませんでした" in page.locator("#ledger-result").inner_text()
    shot(page, "08-ledger")

    page.get_by_role("link", name="English").click()
    assert page.locator("h1").inner_text() == "Ledger integrity"
    shot(page, "09-ledger-en")
    context.close()


def test_admin_manages_tokens(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    context = browser.new_context(locale="ja-JP", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    _login(page, base, env.usernames[Role.admin])
    page.get_by_role("link", name="ユーザーとトークン").click()
    page.get_by_label("トークン名").fill("shop-website")
    page.locator("#token-role").select_option("operator")
    page.get_by_role("button", name="トークンを発行").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("hogo_")
    shot(page, "10-admin")
    context.close()


def test_auditor_cannot_change_anything(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    context = browser.new_context(locale="ja-JP", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    _login(page, base, env.usernames[Role.auditor])
    assert page.get_by_role("link", name="同意の記録").count() == 0
    page.goto(base + "/subjects/M0000009")
    rows = page.locator("#timeline tbody tr").count()
    assert page.get_by_role("link", name="同意の記録").count() == 0
    shot(page, "11-auditor-subject")

    response = page.goto(base + "/consents/new?subject_id=M0000009")
    assert response is not None and response.status == 403
    shot(page, "12-auditor-forbidden")
    # Even a hand-made POST with the auditor's own valid CSRF token is refused.
    page.goto(base + "/")
    csrf = page.locator('form[action="/logout"] input[name="csrf_token"]').input_value()
    assert csrf
    form = {"subject_id": "M0000009", "purpose_id": "marketing_mail", "action": "grant", "csrf_token": csrf}
    assert page.request.post(base + "/consents", form=form).status == 403
    assert (
        page.request.post(
            base + "/admin/tokens", form={"name": "x", "role": "admin", "csrf_token": csrf}
        ).status
        == 403
    )
    page.goto(base + "/subjects/M0000009")
    assert page.locator("#timeline tbody tr").count() == rows
    context.close()
