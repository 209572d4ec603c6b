"""Issue 17 item 11 in a real browser: search results cut at 50 say so and page; a ledger link
opens its entry; a 404 page keeps the navigation. Screenshots: test-artifacts/screenshots/50-… ."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from hogo.domain.incidents.types import IncidentType
from hogo.services import incidents
from hogo.store.database import write_scope
from tests.api.env import PASSWORD, Env

TIMEOUT = 60_000  # ms


def test_paging_ledger_entry_and_error_navigation(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    with write_scope(env.db) as session:
        incident_id = incidents.open_new(
            session, IncidentType.missent_email, datetime(2026, 4, 1, 9, tzinfo=JST), "誤送信"
        ).id
    context = browser.new_context(locale="ja-JP", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(base + "/login?next=/subjects")
    page.get_by_label(re.compile("ユーザー名")).fill(env.usernames[Role.auditor])
    page.get_by_label(re.compile("パスワード")).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile("/subjects$"))

    page.get_by_label("本人ID(前方一致)").fill("M")
    page.get_by_role("button", name="検索").click()
    assert "1〜50件目を表示しています" in page.locator("#subject-paging").inner_text()
    assert page.locator("#subject-results tbody tr").count() == 50
    page.get_by_role("link", name="次の50件 →").click()
    assert "51〜100件目" in page.locator("#subject-paging").inner_text()
    assert page.locator("#subject-results tbody tr").first.inner_text().startswith("M0000051")
    shot(page, "50-subjects-page-2")

    page.goto(f"{base}/incidents/{incident_id}")
    link = page.locator('a[href^="/ledger/"]').first
    seq = str(link.get_attribute("href")).rsplit("/", 1)[1]
    link.click()
    assert page.locator("h1").inner_text() == f"台帳の記録 #{seq}"
    assert "ハッシュと一致しています" in page.locator("#entry-check").inner_text()
    assert page.locator("#entry-payload").is_visible()
    shot(page, "51-ledger-entry")

    response = page.goto(base + "/no-such-page")
    assert response is not None and response.status == 404
    assert (
        page.get_by_role("navigation", name="メインメニュー")
        .get_by_role("link", name="漏えい等事案")
        .is_visible()
    )
    shot(page, "52-not-found-with-navigation")
    context.close()
