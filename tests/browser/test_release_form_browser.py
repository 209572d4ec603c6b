"""Starting a release from the console in a real browser (issue 17 item 8): the officer fills the
form (the kind chosen by clicking its label), the release runs, its page offers Parquet and CSV.
Screenshots: test-artifacts/screenshots/40-… ."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hogo.auth.roles import Role
from hogo.services import releases as service
from tests.api.env import PASSWORD, Env
from tests.browser.conftest import serving
from tests.release.world import ANON_COLUMNS, TOKEN_KEY, release_env

TIMEOUT = 30_000  # ms


@pytest.fixture(scope="module")
def served_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Env]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    env = release_env(Path(tmp_path_factory.mktemp("browser-release-form")))
    with serving(env) as base:
        yield base, env
    mp.undo()


def test_officer_starts_an_anonymized_release_from_the_form(
    browser: Any, served_world: tuple[str, Env], shot: Any
) -> None:
    base, env = served_world
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 1200, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{base}/login?next=/releases")
    page.get_by_label(re.compile("ユーザー名")).fill(env.usernames[Role.privacy_officer])
    page.get_by_label(re.compile("パスワード")).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("link", name="提供を開始").click()
    page.locator("main label", has_text="匿名加工情報").first.click()
    assert page.locator("#mode-anonymized").is_checked()
    page.get_by_label("利用目的").select_option("service")
    page.get_by_label("提供先").select_option("mailer")
    page.locator("#members_path").fill("anon.csv")
    page.locator("#members_columns").fill("\n".join(ANON_COLUMNS))
    page.locator("#quasi_identifiers").fill("age=interval:5,10,20,40\nprefecture=mask\nsex=mask")
    page.locator("#keep").fill("spend")
    page.locator("#at").fill("2024-06-01T00:00")
    shot(page, "40-release-form")
    page.get_by_role("button", name="提供を開始する").click()
    release_id = page.locator("h1").inner_text()
    assert service.wait_for(env.db, release_id).status == "done"
    page.reload()
    assert page.locator("#release-mode").inner_text() == "匿名加工情報"
    item = page.locator('#files li[data-file="anonymized.parquet"]')
    assert item.get_by_role("link", name="ダウンロード").is_visible()
    csv_link = item.locator("a.csv-link")
    assert csv_link.get_attribute("href") == f"/releases/{release_id}/files/anonymized.parquet?format=csv"
    got = page.request.get(base + str(csv_link.get_attribute("href")))
    assert got.ok and got.body().startswith(b"\xef\xbb\xbf")
    shot(page, "41-release-started")
    context.close()
