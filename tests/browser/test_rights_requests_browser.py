"""The officer's flow for a rights request in Chromium: a request filed through the API (as a
member site would) appears on the board with its deadline; the officer verifies, decides,
carries out and records the answer, and opens the answer. Screenshots 70-… under
test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from hogo.auth.roles import Role
from tests.api.env import Env
from tests.browser.test_incident_board import _login_to

TIMEOUT = 30_000  # ms


def test_officer_answers_a_disclosure_request(
    browser: Any, served: tuple[str, Env], shot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, env = served
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    filed = context.request.post(
        f"{base}/api/v1/requests",
        data={"subject_id": "M0000021", "kind": "disclosure", "channel": "privacy_center"},
        headers=env.headers(Role.operator),
    )
    assert filed.status == 201, filed.text()
    rid = filed.json()["request_id"]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    _login_to(page, base, "/requests", env.usernames[Role.privacy_officer])

    row = page.locator(f"#request-{rid}")
    assert page.locator("h1").inner_text().startswith("本人からの請求")
    assert row.get_attribute("data-state") == "received" and row.get_attribute("data-overdue") == "false"
    assert "開示" in row.inner_text() and row.locator("td.countdown").get_attribute("data-days-left") in (
        "13",
        "14",
    )
    shot(page, "70-requests-board")

    page.get_by_role("link", name=rid).click()
    page.get_by_label("本人確認の方法").select_option("officer_check")
    page.get_by_role("button", name="本人確認を記録").click()
    page.wait_for_selector("#step-decide")
    assert page.locator("#verification").inner_text() == "担当者による本人確認"
    page.get_by_role("radio", name="行わない", exact=True).check()
    page.get_by_role("button", name="決定を記録").click()
    page.wait_for_selector("#error-decide")  # a refusal needs its ground (法36条)
    assert "法36条" in page.locator("#error-decide").inner_text()
    shot(page, "71-request-refusal-needs-ground")
    page.get_by_role("radio", name="請求どおり行う").check()
    page.get_by_role("button", name="決定を記録").click()
    page.wait_for_selector("#step-carry-out")
    page.get_by_role("button", name="実施する").click()
    page.wait_for_selector("#step-answer")
    shot(page, "72-request-carried-out")
    page.get_by_role("button", name="回答したことを記録").click()
    page.wait_for_selector('#state[data-state="answered"]')
    assert page.locator("#steps tbody tr").count() == 5
    shot(page, "73-request-answered")

    href = page.locator("#answer-html").get_attribute("href")
    answer = page.request.get(base + href)  # the officer's session: a file to send the person
    assert answer.ok and "attachment" in answer.headers["content-disposition"]
    assert "保有個人データの開示" in answer.text() and 'data-outcome="allowed"' in answer.text()
    page.set_content(answer.text())
    shot(page, "74-request-answer")
    page.goto(base + "/requests")
    assert page.locator(f"#request-{rid}").count() == 0  # answered: off the open board
    context.close()
