"""Every console page on a 390 px phone, in a real browser: the document never scrolls sideways
(a wide table may scroll inside itself), the compact menu opens without JavaScript and reaches
all thirteen pages, the board keeps each incident's deadlines in view, and the key element of each
page is visible. Screenshots are saved under test-artifacts/screenshots/ (40-… 390 px)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hogo.auth.roles import Role
from tests.api.env import PASSWORD
from tests.browser.conftest import serving
from tests.web.world import ANONYMIZED, DATASET, PERSONAL, RECEIVED, TOKEN_KEY, World, build_world

TIMEOUT = 60_000  # ms; the first dashboard view computes coverage over the whole membership
PHONE = {"width": 390, "height": 844}

#: Each page, the element a person came for, and the screenshot's name.
PAGES: list[tuple[str, str, str]] = [
    ("/", "#coverage-table", "dashboard"),
    ("/policy", "#purposes-h", "policy"),
    ("/gap/ad_partners", "#gap-total", "gap-members"),
    ("/subjects?q=M00000", "#subject-results", "subjects"),
    ("/subjects/M0000009", "#decision-marketing_mail", "subject"),
    ("/consents/new?subject_id=M0000009", "#collected_at", "consent-form"),
    ("/incidents?all=1", "#board", "incident-board"),
    ("/incidents/new", "#aware_at", "incident-form"),
    ("{open}", "#deadline-final", "incident"),
    ("/inventory", "#inventory", "inventory"),
    (f"/inventory/{DATASET}", "#versions", "inventory-dataset"),
    ("/readiness", "#score", "readiness"),
    ("/readiness/assets", "#assets-table", "readiness-assets"),
    ("/releases", "#releases-table", "releases"),
    (f"/releases/{PERSONAL}", "#release-counts", "release-personal"),
    (f"/releases/{ANONYMIZED}", "#k-achieved", "release-anonymized"),
    ("/provisions/received", "#received-table", "received"),
    (f"/provisions/received/{RECEIVED}", "#received-record", "received-record"),
    ("/ledger", "#ledger-result", "ledger"),
    ("/requests?all=1", "#requests", "requests"),
    ("{request}", "#recipients", "request"),
    ("/no-such-page", "main .error", "not-found"),
]


@pytest.fixture(scope="module")
def world_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    world = build_world(Path(tmp_path_factory.mktemp("browser-narrow")))
    with serving(world.env) as base:
        yield base, world
    mp.undo()


def _phone(browser: Any, base: str, username: str, javascript: bool = True) -> Any:
    context = browser.new_context(locale="ja-JP", viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(base + "/login?next=/ledger")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/ledger$"))
    return page


def _no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate(
        "() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " inner: window.innerWidth})"
    )
    assert widths["doc"] <= widths["inner"] and widths["body"] <= widths["inner"], (page.url, widths)


def _in_view_horizontally(page: Any, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (page.url, selector, box)


def test_every_page_fits_a_390px_phone(browser: Any, world_served: tuple[str, World], shot: Any) -> None:
    base, world = world_served
    page = _phone(browser, base, world.env.usernames[Role.privacy_officer])
    for n, (path, key, name) in enumerate(PAGES):
        page.goto(
            base
            + path.format(
                open=f"/incidents/{world.open_incident}", request=f"/requests/{world.rights_request}"
            )
        )
        page.wait_for_load_state()
        assert page.locator(key).first.is_visible(), (path, key)
        _no_sideways_scroll(page)
        if name != "not-found":  # error pages get the navigation elsewhere (issue 17 item 11)
            assert page.locator("nav.main .nav-wide").is_hidden()
            assert page.locator("nav.main summary").is_visible()
        shot(page, f"{40 + n:02d}-390-{name}")
    page.context.close()


def test_the_board_keeps_deadlines_in_view(browser: Any, world_served: tuple[str, World], shot: Any) -> None:
    base, world = world_served
    page = _phone(browser, base, world.env.usernames[Role.privacy_officer])
    page.goto(base + "/incidents")
    row = page.locator(f"#incident-{world.open_incident}")
    for cell in row.locator("td.countdown").all():
        assert cell.is_visible()
        assert re.search(r"\d+日超過", cell.inner_text())
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    _in_view_horizontally(page, f"#incident-{world.open_incident} td.countdown")
    page.goto(base + f"/incidents/{world.open_incident}")
    _in_view_horizontally(page, "#deadline-preliminary .countdown")
    _in_view_horizontally(page, "#task-report-to-management button")
    page.goto(base + "/subjects/M0000009")
    _in_view_horizontally(page, "#decision-marketing_mail .reason")
    page.context.close()


def test_the_compact_menu_works_without_javascript(
    browser: Any, world_served: tuple[str, World], shot: Any
) -> None:
    base, world = world_served
    page = _phone(browser, base, world.env.usernames[Role.admin], javascript=False)
    page.goto(base + "/policy")
    menu = page.locator("nav.main details.nav-compact")
    links = menu.get_by_role("link")
    assert links.count() == 0  # folded: the page starts with its content, not fifteen links
    menu.locator("summary").click()
    assert (
        links.count() == 15
    )  # eleven pages, re-consent campaigns (15), rights requests (14), profiling and segments (16)
    assert menu.get_by_role("link", name="利用目的と規約").get_attribute("aria-current") == "page"
    _no_sideways_scroll(page)
    shot(page, "60-390-menu-open")
    menu.get_by_role("link", name="ユーザーとトークン").click()
    page.wait_for_url(re.compile(r"/admin$"))
    assert page.locator("h1").inner_text() == "ユーザーとAPIトークン"
    _no_sideways_scroll(page)
    shot(page, "61-390-admin")
    page.context.close()
