"""Issue 14's "Done when", as a person and an officer would do it in Chromium: the person opens
the member site's signed link, sees the provision records about them, withdraws consent for one
purpose and requests disclosure; in the officer console the request is on /requests with its
deadline, and the officer decides, carries it out and records the answer (the identity was
verified on arrival by the signed link); then the person reads the answer in the privacy center.
The person's side runs on a desktop, on a 390 px phone and with JavaScript off, with the request
section and the answer page checked for contrast, labels and sideways scrolling.
Screenshots: test-artifacts/screenshots/privacy-requests-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hogo.auth.roles import Role
from hogo.services import sites
from tests.api.env import Env
from tests.browser.test_incident_board import _login_to
from tests.browser.test_privacy_center_browser import DESKTOP, PHONE, _checks, _open
from tests.privacy.helpers import consenting_subject, link_token, provide, register

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def key(served: tuple[str, Env]) -> sites.NewKey:
    return register(served[1].db)


def _no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def _person_requests_disclosure(page: Any, purpose: str, recipient: str) -> str:
    """Provision records seen, one purpose withdrawn, disclosure requested: the request id."""
    assert recipient in page.locator("#provisions").inner_text()
    article = page.locator(f"#purpose-{purpose}")
    article.get_by_label("同意を撤回する").check()
    article.get_by_role("button", name="この選択を記録する").click()
    page.wait_for_url(re.compile(rf"/privacy\?done={purpose}"))
    assert "使われません" in page.locator(f"#purpose-{purpose}").inner_text()

    form = page.locator("#request-form-disclosure")
    form.get_by_label("電磁的記録の提供").check()
    form.get_by_label("補足(任意)").fill("第三者提供記録も含めて開示してください。")
    form.get_by_role("button", name="開示を請求する").click()
    page.wait_for_url(re.compile(r"/privacy\?filed=RR-"))
    status = page.get_by_role("status").first.inner_text()
    found = re.search(r"RR-\d{4}-\d{4}", status)
    assert found is not None and "受け付けました" in status
    rid = found.group(0)
    row = page.locator(f"#my-request-{rid}")
    assert row.get_attribute("data-state") == "identity_verified"
    assert "開示" in row.inner_text() and re.search(r"\d{4}年\d{1,2}月\d{1,2}日", row.inner_text())
    return rid


def _officer_answers(browser: Any, base: str, env: Env, rid: str, shot: Any, name: str) -> None:
    context = browser.new_context(locale="ja-JP", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    _login_to(page, base, "/requests", env.usernames[Role.privacy_officer])
    row = page.locator(f"#request-{rid}")
    assert row.get_attribute("data-state") == "identity_verified"
    assert row.locator("td.countdown").get_attribute("data-days-left") in ("13", "14")
    assert "開示" in row.inner_text()
    shot(page, f"privacy-requests-{name}-board")
    page.get_by_role("link", name=rid).click()
    assert page.locator("#verification").inner_text() == "会員サイトの署名付きリンク"
    page.get_by_role("radio", name="請求どおり行う").check()
    page.get_by_role("button", name="決定を記録").click()
    page.wait_for_selector("#step-carry-out")
    page.get_by_role("button", name="実施する").click()
    page.wait_for_selector("#step-answer")
    page.get_by_role("button", name="回答したことを記録").click()
    page.wait_for_selector('#state[data-state="answered"]')
    assert page.locator("#answer-mail").get_attribute("data-mail") in ("no_address", "not_configured")
    context.close()


@pytest.mark.parametrize(
    ("name", "viewport", "javascript"),
    [("desktop", DESKTOP, True), ("phone", PHONE, True), ("nojs", PHONE, False)],
)
def test_a_person_requests_disclosure_and_reads_the_answer(
    browser: Any,
    served: tuple[str, Env],
    key: sites.NewKey,
    shot: Any,
    name: str,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    base, env = served
    subject, purpose = consenting_subject(env)
    record = provide(env.db, subject, f"pc-req-browser-{name}")
    page = _open(browser, base, link_token(key, subject), viewport, javascript)
    page.set_default_timeout(TIMEOUT)
    section = page.locator("#requests")
    section.scroll_into_view_if_needed()
    assert "開示などの請求" in section.inner_text() and "請求はまだありません" in section.inner_text()
    _checks(page)
    if viewport is PHONE:
        _no_sideways_scroll(page)
    shot(page, f"privacy-requests-{name}")

    rid = _person_requests_disclosure(page, purpose, record.recipient_name)
    _checks(page)
    _officer_answers(browser, base, env, rid, shot, name)

    page.goto(f"{base}/privacy")
    row = page.locator(f"#my-request-{rid}")
    assert row.get_attribute("data-state") == "answered"
    row.get_by_role("link", name="回答を読む").click()
    page.wait_for_url(re.compile(rf"/privacy/requests/{rid}#answer$"))
    answer = page.locator("#answer")
    text = answer.inner_text()
    assert "本人からの請求に対する回答" in text and "請求どおり行う" in text and "法33条3項" in text
    assert record.recipient_name in text and subject in text  # the disclosure itself, provision records too
    assert page.locator("#request-state").inner_text() == "回答済み"
    _checks(page)
    if viewport is PHONE:
        _no_sideways_scroll(page)
    shot(page, f"privacy-requests-{name}-answer")
    pdf = page.request.get(f"{base}/privacy/requests/{rid}/answer.pdf")  # the person's own cookie
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.context.close()
