"""The privacy center as a person uses it, in Chromium: open the member site's signed link, see
the provision records about them, withdraw consent for one purpose; on a desktop, on a 390 px
phone and with JavaScript off. The pages keep WCAG 2.1 AA contrast (4.5:1 for text) and every
field has a label. Screenshots: test-artifacts/screenshots/privacy-center-*.png."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hogo.services import sites
from hogo.services.consent import check
from hogo.store.database import read_scope
from tests.api.env import Env
from tests.privacy.helpers import consenting_subject, link_token, provide, register

TIMEOUT = 20_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

#: Text contrast of every element with its own text in <main> and the header, against the first
#: opaque background behind it (WCAG 2.1 1.4.3: 4.5:1; 3:1 for large text).
CONTRAST = """() => {
  const lum = (c) => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                       if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c.slice(0, 3); } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll("header *, main *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const style = getComputedStyle(el);
    const [l1, l2] = [lum(rgb(style.color).slice(0, 3)), lum(bg(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push([el.tagName, el.textContent.trim().slice(0, 30), ratio.toFixed(2)]);
  }
  return bad;
}"""

#: Form fields without an accessible name, and groups of radios without a legend.
UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
  .map(el => el.name)
  .concat([...document.querySelectorAll("fieldset")].filter(f => !f.querySelector("legend")).map(() => "fieldset"))"""


@pytest.fixture(scope="module")
def key(served: tuple[str, Env]) -> sites.NewKey:
    return register(served[1].db)


def _open(browser: Any, base: str, token: str, viewport: dict[str, int], javascript: bool = True) -> Any:
    context = browser.new_context(locale="ja-JP", viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{base}/privacy/enter?token={token}")  # the member site's link
    page.get_by_role("button", name="プライバシーセンターを開く").click()
    page.wait_for_url(re.compile(r"/privacy$"))
    return page


def _checks(page: Any) -> None:
    assert page.evaluate(CONTRAST) == []
    assert page.evaluate(UNLABELLED) == []


@pytest.mark.parametrize(
    ("name", "viewport", "javascript"),
    [("desktop", DESKTOP, True), ("phone", PHONE, True), ("nojs", PHONE, False)],
)
def test_a_person_sees_provisions_and_withdraws_consent(
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
    record = provide(env.db, subject, f"pc-browser-{name}")
    page = _open(browser, base, link_token(key, subject), viewport, javascript)
    provisions = page.locator("#provisions")
    provisions.scroll_into_view_if_needed()
    assert record.recipient_name in provisions.inner_text() and "2024年6月1日" in provisions.inner_text()
    _checks(page)
    if viewport is PHONE:
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths  # nothing scrolls sideways at 390 px
    shot(page, f"privacy-center-{name}")

    article = page.locator(f"#purpose-{purpose}")
    assert "使われます" in article.inner_text()
    article.get_by_label("同意を撤回する").check()
    article.get_by_role("button", name="この選択を記録する").click()
    page.wait_for_url(re.compile(rf"/privacy\?done={purpose}"))
    assert page.get_by_role("status").first.inner_text().startswith("あなたの選択を記録しました")
    article = page.locator(f"#purpose-{purpose}")
    assert "使われません" in article.inner_text() and "同意を撤回したため" in article.inner_text()
    assert "同意の撤回" in page.locator("#history").inner_text()
    _checks(page)
    shot(page, f"privacy-center-{name}-withdrawn")
    with read_scope(env.db) as s:
        assert not check(s, subject, purpose, datetime.now(UTC) + timedelta(seconds=1)).allowed
    page.context.close()
