"""Issue 17 item 1: a radio button or checkbox must never look as if it belonged to another label.

Two checks in a real browser: (1) on every console form with choices, each box sits on the same
line as its own words and inside (or right beside) its own label, and no other label's text is
nearer to it; (2) on the consent form, clicking each LABEL's words records exactly that action,
and the 法28条 checkbox's words tick that checkbox — read back from the store, not the page.
Screenshots: test-artifacts/screenshots/30-… .
"""

from __future__ import annotations

import re
from typing import Any

from hogo.auth.roles import Role
from hogo.domain.consent import ConsentAction
from hogo.services.histories import history
from hogo.store.database import write_scope
from tests.api.env import PASSWORD, Env

TIMEOUT = 60_000  # ms

# For every radio/checkbox: its label, the boxes of input and label text, and the nearest other label.
_GEOMETRY = """() => [...document.querySelectorAll('main input[type=radio], main input[type=checkbox]')].map(i => {
  const label = i.closest('label') || (i.id && document.querySelector(`label[for="${i.id}"]`));
  const box = i.getBoundingClientRect();
  const cy = box.top + box.height / 2;
  const textBox = (l) => { const r = document.createRange(); r.selectNodeContents(l); return r.getBoundingClientRect(); };
  const others = [...document.querySelectorAll('main label')].filter(l => l !== label)
      .map(l => textBox(l)).filter(r => r.width > 0)
      .map(r => Math.abs((r.top + r.height / 2) - cy) + Math.max(0, r.left - box.right, box.left - r.right));
  const own = label ? textBox(label) : null;
  return {
    id: i.id || i.name, hasLabel: !!label, top: box.top, bottom: box.bottom, left: box.left, right: box.right,
    ownTop: own && own.top, ownBottom: own && own.bottom, ownLeft: own && own.left, ownRight: own && own.right,
    nearestOther: others.length ? Math.min(...others) : 1e9,
  };
})"""


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    page.get_by_label(re.compile("ユーザー名|User name")).fill(username)
    page.get_by_label(re.compile("パスワード|Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("ログイン|Log in")).click()
    page.wait_for_selector("#count-subjects", timeout=TIMEOUT)


def _assert_choices_beside_their_labels(page: Any, path: str) -> int:
    boxes = page.evaluate(_GEOMETRY)
    for b in boxes:
        assert b["hasLabel"], f"{path}: {b['id']} has no label"
        middle = (b["top"] + b["bottom"]) / 2
        # Same line: the box's middle lies within the label text's line box.
        assert b["ownTop"] - 1 <= middle <= b["ownBottom"] + 1, (
            f"{path}: {b['id']} is not on its label's line"
        )
        # Right beside: the words start just after the box (or the box sits inside the words).
        gap = max(0.0, b["ownLeft"] - b["right"], b["left"] - b["ownRight"])
        assert gap <= 16, f"{path}: {b['id']} is {gap}px away from its label"
        # And no other label is as close as its own.
        assert b["nearestOther"] > gap + 4, f"{path}: another label is nearer to {b['id']}"
    return len(boxes)


def test_every_choice_sits_beside_its_own_label(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    for width in (1200, 390):
        context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        _login(page, base, env.usernames[Role.privacy_officer])
        checked = 0
        for path in ("/consents/new?subject_id=M0000001", "/incidents/new", "/releases/new"):
            response = page.goto(base + path)
            assert response is not None and response.status == 200, path
            checked += _assert_choices_beside_their_labels(page, path)
            shot(page, f"30-choices-{path.strip('/').split('?')[0].replace('/', '-')}-{width}")
        assert checked >= 5  # four actions and the 法28条 box at least
        context.close()


def test_clicking_each_label_records_that_action(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    context = browser.new_context(locale="ja-JP", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    _login(page, base, env.usernames[Role.privacy_officer])
    sid = env.uncovered_subject("analytics_overseas")
    expected: list[tuple[ConsentAction, bool]] = []
    for n, action in enumerate(ConsentAction):
        foreign = n % 2 == 0
        page.goto(f"{base}/consents/new?subject_id={sid}")
        page.get_by_label("利用目的", exact=True).select_option("analytics_overseas")
        # Click the words of the label (not the box), as a person does.
        page.locator("main label", has_text=re.compile(f"^\\s*{action.ja}\\s*$")).click()
        if foreign:
            page.locator("main label", has_text="外国").click()
        assert page.locator(f"#action-{action.value}").is_checked()
        assert page.locator("#foreign_info").is_checked() is foreign
        page.get_by_label("取得日時").fill(f"2024-06-0{n + 1}T10:00")
        if n == 0:
            shot(page, "31-consent-form-labels")
        page.get_by_role("button", name="記録する").click()
        page.wait_for_selector("p.notice")
        expected.append((action, foreign))
    with write_scope(env.db) as session:
        events = [e for e in history(session, sid).events if e.purpose_id == "analytics_overseas"]
    recorded = [
        (e.action, e.foreign_transfer_info_given) for e in sorted(events, key=lambda e: e.collected_at)
    ]
    assert recorded[-len(expected) :] == expected
    context.close()
