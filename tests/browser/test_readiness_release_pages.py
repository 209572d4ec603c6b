"""Readiness and releases in a real browser: score, findings, recording an assessment, the trend
chart, devices with EOL status, the release list and an 匿名加工情報 release with its 公表事項.
An auditor sees everything but cannot record or download personal data. Screenshots are saved
under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hogo.auth.roles import Role
from hogo.release.spec import parse_spec
from hogo.services import releases as service
from tests.api.env import PASSWORD, Env
from tests.browser.conftest import serving
from tests.readiness.stored import store_sample_inventory
from tests.release.world import TOKEN_KEY, anonymized_spec, personal_spec, release_env

TIMEOUT = 30_000  # ms


@pytest.fixture(scope="module")
def served_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Env]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    folder = Path(tmp_path_factory.mktemp("browser-releases"))
    env = release_env(folder)
    store_sample_inventory(env.db)
    service.run_now(env.db, parse_spec(personal_spec("2024-06-ad"), folder))
    service.run_now(env.db, parse_spec(anonymized_spec("2024-06-anon"), folder))
    with serving(env) as base:
        yield base, env
    mp.undo()


def _login(browser: Any, base: str, username: str, next_path: str) -> Any:
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 1200, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label(re.compile("ユーザー名|User name")).fill(username)
    page.get_by_label(re.compile("パスワード|Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("ログイン|Log in")).click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))
    return page


def test_officer_records_readiness_and_reads_releases(
    browser: Any, served_world: tuple[str, Env], shot: Any
) -> None:
    base, env = served_world
    page = _login(browser, base, env.usernames[Role.privacy_officer], "/readiness")
    assert page.locator("h1").inner_text() == "ランサムウェア対策の準備状況"
    assert page.locator("#severity-critical article.finding").count() > 0
    assert page.locator("#no-history").is_visible()
    for _ in range(2):
        page.get_by_role("button", name="評価を記録する").click()
        page.wait_for_selector("#recorded")
    assert page.locator("figure.chart svg[role=img] polyline").count() == 1
    assert page.locator("#history-table tbody tr").count() == 2
    shot(page, "30-readiness")

    page.get_by_role("link", name="機器の一覧とサポート終了(EOL)の状況").click()
    assert page.locator('#asset-rdp-1[data-state="eol"]').is_visible()
    assert page.locator('#asset-fs-1[data-state="supported"]').is_visible()
    shot(page, "31-readiness-assets")

    page.get_by_role("link", name="データの提供").click()
    assert page.locator("#releases-table tbody tr").count() == 2
    shot(page, "32-releases")

    page.get_by_role("link", name="2024-06-anon").click()
    assert int(page.locator("#k-achieved").inner_text().split()[0]) >= 5
    assert page.locator("#checklist-table tbody tr").count() == 5
    assert "匿名加工情報の作成および第三者提供に関する公表" in page.locator("#announcement").inner_text()
    shot(page, "33-release-anonymized")

    page.goto(base + "/releases/2024-06-ad")
    files = page.locator('li[data-file="release.parquet"]')
    with page.expect_download() as download:
        files.get_by_role("link", name="ダウンロード").click()
    assert download.value.suggested_filename == "release.parquet"
    with page.expect_download() as as_csv:
        files.locator("a.csv-link").click()
    assert as_csv.value.suggested_filename == "release.csv"
    assert Path(as_csv.value.path()).read_bytes().startswith(b"\xef\xbb\xbf")
    # Each exclusion count is explained by its reason (issue 17).
    reasons = page.locator("#exclusions-table tbody tr")
    assert reasons.count() == 2
    assert (
        "本人が同意を撤回した"
        in page.locator('#exclusions-table tr[data-reason="CONSENT_WITHDRAWN"]').inner_text()
    )
    assert "法35条" in page.locator('#exclusions-table tr[data-reason="OBJECTED"]').inner_text()
    shot(page, "34-release-personal")
    page.context.close()


def test_auditor_sees_but_cannot_record_or_download_personal_data(
    browser: Any, served_world: tuple[str, Env], shot: Any
) -> None:
    base, env = served_world
    page = _login(browser, base, env.usernames[Role.auditor], "/readiness")
    assert page.get_by_role("button", name="評価を記録する").count() == 0
    page.goto(base + "/releases/2024-06-ad")
    assert page.locator('li[data-file="release.parquet"] a').count() == 0
    assert page.locator('li[data-file="manifest.json"] a').count() == 1
    shot(page, "35-release-personal-auditor")
    page.context.close()
