"""The incident board and an incident page in a real browser: countdowns and the 規則7条 badge on
the board, the verdict and the done button on the incident page, the open-incident form, and the
inventory. Screenshots are saved under test-artifacts/screenshots/ (20-…)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Dataset, Encryption, Inventory, SubjectQueryKind, SubjectScope
from hogo.services import incidents
from hogo.services.inventory import import_inventory
from hogo.store.database import write_scope
from tests.api.env import PASSWORD, Env

TIMEOUT = 30_000  # ms


def _seed(env: Env) -> str:
    """Two datasets and an incident whose preliminary report is already overdue."""
    with write_scope(env.db) as session:
        import_inventory(
            session,
            Inventory(
                datasets=(
                    Dataset(
                        id="members",
                        name="会員名簿",
                        data_categories=("contact", "purchase"),
                        subjects=SubjectScope(kind=SubjectQueryKind.id_prefix, value="M00000"),
                        encryption=Encryption.standard,
                    ),
                    Dataset(
                        id="clinic", name="健康相談記録", data_categories=("contact", "medical"), count=3
                    ),
                )
            ),
        )
        view = incidents.open_new(
            session,
            IncidentType.loss_theft,
            datetime(2026, 4, 1, 15, 30, tzinfo=JST),
            "健康相談記録の紛失",
            dataset_ids=["clinic"],
        )
    return view.id


def _login_to(page: Any, base: str, path: str, username: str) -> None:
    page.goto(base + path)
    page.get_by_label(re.compile("ユーザー名|User name")).fill(username)
    page.get_by_label(re.compile("パスワード|Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("ログイン|Log in")).click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))


def test_officer_works_an_incident(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    incident_id = _seed(env)
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    _login_to(page, base, "/incidents", env.usernames[Role.privacy_officer])

    row = page.locator(f"#incident-{incident_id}")
    assert page.locator("h1").inner_text() == "事案ボード"
    assert row.get_attribute("data-reportable") == "true"
    assert "規則7条1号" in row.inner_text()
    assert re.search(r"\d+日超過", row.locator("td.countdown").first.inner_text())
    assert row.locator("ol.steps li.step-current").inner_text() == "1"
    shot(page, "20-incident-board")

    page.get_by_role("link", name=incident_id).click()
    assert "健康相談記録の紛失" in page.locator("main").inner_text()
    assert page.locator("#verdict").get_attribute("data-reportable") == "true"
    assert page.locator('#reasons li[data-code="BREACH_SENSITIVE_DATA"]').is_visible()
    shot(page, "21-incident")

    task = page.locator("#task-report-to-management")
    task.get_by_label("メモ(任意)").fill("代表者に報告済み")
    task.get_by_role("button", name="完了にする").click()
    page.wait_for_selector("p.notice")
    page.wait_for_load_state()  # under load the timeline, at the bottom, may still be parsing
    assert page.locator("#task-report-to-management").get_attribute("data-status") == "done"
    assert "代表者に報告済み" in page.locator("#task-report-to-management").inner_text()
    assert page.locator('#timeline tr[data-kind="task"]').count() == 1
    shot(page, "22-incident-task-done")

    page.get_by_role("link", name="English").click()
    assert page.locator("#verdict h2").inner_text() == "Report to the PPC and notice to the persons"
    shot(page, "23-incident-en")
    page.get_by_role("link", name="日本語").click()

    page.get_by_role("link", name="漏えい等事案").click()
    page.get_by_role("link", name="事案を登録").click()
    page.get_by_label("事案の種類").select_option("unauthorised_access")
    page.get_by_label("概要(報告書の概要欄の元になります)").fill("会員サイトへの不正アクセス")
    page.get_by_label(re.compile("会員名簿")).check()
    shot(page, "24-incident-form")
    page.get_by_role("button", name="登録して報告要否を判定").click()
    page.wait_for_selector("#verdict")
    assert "規則7条3号" in page.locator("#triggers").inner_text()
    assert "(60日)" in page.locator("#deadline-final").inner_text()
    shot(page, "25-incident-opened")

    page.get_by_role("link", name="個人情報管理台帳").click()
    assert page.locator("#dataset-clinic").is_visible()
    shot(page, "26-inventory")
    page.locator("#dataset-clinic").get_by_role("link", name="健康相談記録").click()
    page.wait_for_load_state()
    assert page.locator("#versions tbody tr").count() == 1
    shot(page, "27-inventory-dataset")
    context.close()


def test_auditor_sees_the_board_without_buttons(browser: Any, served: tuple[str, Env], shot: Any) -> None:
    base, env = served
    incident_id = _seed(env)  # this test may run before (or without) the officer's, on another worker
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    _login_to(page, base, "/incidents", env.usernames[Role.auditor])
    assert page.get_by_role("link", name="事案を登録").count() == 0
    page.get_by_role("link", name=incident_id).click()
    page.wait_for_selector("#verdict")
    assert page.get_by_role("button", name="完了にする").count() == 0
    assert page.locator("#documents").count() == 0
    shot(page, "28-incident-auditor")
    context.close()
