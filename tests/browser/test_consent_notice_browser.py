"""The consent notice component in Chromium, embedded in a member site's page on a second
loopback origin: the member sees the ad-partner notice, grants one purpose and declines another
(by mouse, by keyboard only, at 390 px); the store has both events with evidence and the
decision changes; a replayed token and a page on an unregistered origin are refused.
Screenshots: test-artifacts/screenshots/consent-notice-*.png."""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from hogo.domain.notice import parse_evidence
from hogo.services import campaigns
from hogo.services.consent import check
from hogo.services.sites import NewKey
from hogo.store.database import write_scope
from hogo.store.tables import ConsentEventRow
from tests.api.env import Env
from tests.browser.test_console_browser import _login
from tests.embed_helpers import member_token, register_site

COMPONENT = Path(__file__).resolve().parents[2] / "src/hogo/web/static/embed/v1/hogo-consent.js"
TIMEOUT = 20_000


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.cache
def _integrity() -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(COMPONENT.read_bytes()).digest()).decode()


class MemberSite:
    """The business's member pages: static files on their own loopback port (another origin)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, name: str, hogo: str, token: str) -> str:
        body = f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>会員ページ</title>
<script>window.hogoEvents = [];
for (const n of ["ready", "recorded", "dismissed", "error"])
  document.addEventListener("hogo-consent-" + n, (e) => window.hogoEvents.push([n, e.detail]));</script>
<script type="module" src="{hogo}/embed/v1/hogo-consent.js" integrity="{_integrity()}"
 crossorigin="anonymous"></script></head>
<body><h1>マイページ</h1>
<hogo-consent endpoint="{hogo}" token="{html.escape(token)}" lang="ja"></hogo-consent></body></html>"""
        (self.root / f"{name}.html").write_text(body, encoding="utf-8")
        return f"{self.origin}/{name}.html"


@pytest.fixture(scope="module")
def sites_up(
    served: tuple[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[MemberSite, MemberSite, NewKey]]:
    _, env = served
    member = MemberSite(tmp_path_factory.mktemp("member-site"))
    stranger = MemberSite(tmp_path_factory.mktemp("other-site"))
    key = register_site(env.db, "shop", [member.origin])
    yield member, stranger, key
    member.server.shutdown()
    stranger.server.shutdown()


def _events(page: Any, kind: str) -> list[Any]:
    page.wait_for_function(f"window.hogoEvents.some(e => e[0] === '{kind}')", timeout=TIMEOUT)
    return [d for k, d in page.evaluate("window.hogoEvents") if k == kind]


def _stored(env: Env, sid: str) -> dict[str, ConsentEventRow]:
    with write_scope(env.db) as session:
        rows = session.execute(
            select(ConsentEventRow).where(
                ConsentEventRow.subject_id == sid, ConsentEventRow.method == "web_form"
            )
        ).scalars()
        return {r.purpose_id: r for r in rows if parse_evidence(r.evidence) is not None}


def _assert_recorded(env: Env, sid: str, granted: str, declined: str) -> None:
    stored = _stored(env, sid)
    assert stored[granted].action == "grant" and stored[declined].action == "deny"
    for row in stored.values():
        evidence = parse_evidence(row.evidence)
        assert evidence is not None and len(evidence.sha256) == 64
        assert evidence.user_agent_family == "Chrome" and evidence.site_id == "shop"
    with write_scope(env.db) as session:
        now = datetime.now(JST)
        assert check(session, sid, granted, now).allowed
        assert not check(session, sid, declined, now).allowed


def _other_purpose(page: Any) -> str:
    purposes = page.locator("hogo-consent fieldset").evaluate_all("fs => fs.map(f => f.dataset.purpose)")
    return next(p for p in purposes if p != "ad_partners")


def test_member_accepts_ad_partners_and_declines_another(
    served: tuple[str, Env], sites_up: tuple[MemberSite, MemberSite, NewKey], browser: Any, shot: Any
) -> None:
    base, env = served
    member, _, key = sites_up
    sid = env.uncovered_subject("ad_partners")
    with write_scope(env.db) as session:
        assert not check(session, sid, "ad_partners", datetime.now(JST)).allowed
    page = browser.new_page(locale="ja-JP")
    page.set_default_timeout(TIMEOUT)
    page.goto(member.page("mouse", base, member_token(key, "shop", sid)))
    banner = page.get_by_role("region", name="個人情報の取扱いについての確認")
    banner.get_by_text("行動ターゲティング広告事業者への提供").wait_for()
    shot(page, "consent-notice-banner")
    banner.get_by_role("button", name="内容を確認して選ぶ").click()
    dialog = page.get_by_role("dialog", name="個人情報の取扱いについての確認")
    dialog.wait_for()
    ad = dialog.locator("fieldset[data-purpose=ad_partners]")
    assert "株式会社アドネットワーク" in ad.inner_text()
    # 外部送信 (電気通信事業法27条の12): folded in the dialog, with the published page linked.
    transmissions = dialog.locator("details.transmissions")
    transmissions.locator("summary").click()
    assert "Google LLC" in transmissions.inner_text()
    link = transmissions.get_by_role("link", name="外部送信についての公表ページ")
    assert link.get_attribute("href") == f"{base}/external-transmissions?lang=ja"
    published = browser.new_page(locale="ja-JP")
    published.goto(f"{base}/external-transmissions?lang=ja")
    assert published.locator("h1").inner_text() == "外部送信について"
    published.close()
    other = _other_purpose(page)
    ad.get_by_label("同意する").check()
    dialog.locator(f"fieldset[data-purpose={other}]").get_by_label("同意しない").check()
    shot(page, "consent-notice-dialog")
    dialog.get_by_role("button", name="選択を送信").click()
    page.get_by_text("選択を記録しました。").wait_for()
    assert _events(page, "recorded")[0]["choices"]
    _assert_recorded(env, sid, "ad_partners", other)
    page.close()


def test_keyboard_only_and_english(
    served: tuple[str, Env], sites_up: tuple[MemberSite, MemberSite, NewKey], browser: Any
) -> None:
    base, env = served
    member, _, key = sites_up
    sid = env.uncovered_subject("ad_partners")
    page = browser.new_page(locale="ja-JP")
    page.set_default_timeout(TIMEOUT)
    page.goto(member.page("keyboard", base, member_token(key, "shop", sid)))
    _events(page, "ready")
    active = "document.querySelector('hogo-consent').shadowRoot.activeElement"
    page.keyboard.press("Tab")
    assert page.evaluate(f"{active}.textContent") == "内容を確認して選ぶ"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the language switch
    page.keyboard.press("Enter")
    assert page.evaluate(f"{active}.textContent") == "日本語"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Review and choose
    dialog = page.get_by_role("dialog", name="About how your personal information is handled")
    dialog.wait_for()
    # Escape closes the dialog and gives focus back to the button that opened it.
    page.keyboard.press("Escape")
    assert page.evaluate(f"{active}.textContent") == "Review and choose"
    page.keyboard.press("Enter")
    order = page.locator("hogo-consent fieldset").evaluate_all("fs => fs.map(f => f.dataset.purpose)")
    group = (
        f"({active}.closest && {active}.type === 'radio' ? {active}.closest('fieldset').dataset.purpose : '')"
    )
    for purpose in order:  # focus starts on the first group's first radio ("I agree")
        while page.evaluate(group) != purpose:  # past the links (法28条 sources) to the group
            page.keyboard.press("Tab")
        page.keyboard.press("Space" if purpose == "ad_partners" else "ArrowDown")  # agree / not
    while page.evaluate(f"{active}.type") != "submit":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Your choices have been recorded.").wait_for()
    stored = _stored(env, sid)
    assert {p: r.action for p, r in stored.items()} == {
        p: "grant" if p == "ad_partners" else "deny" for p in order
    }
    assert all(parse_evidence(r.evidence).language == "en" for r in stored.values())  # type: ignore[union-attr]
    _assert_recorded(env, sid, "ad_partners", next(p for p in order if p != "ad_partners"))
    page.close()


def test_390_px(
    served: tuple[str, Env], sites_up: tuple[MemberSite, MemberSite, NewKey], browser: Any, shot: Any
) -> None:
    base, env = served
    member, _, key = sites_up
    sid = env.uncovered_subject("ad_partners")
    context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(member.page("phone", base, member_token(key, "shop", sid)))
    page.get_by_role("button", name="内容を確認して選ぶ").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "consent-notice-390")
    dialog.locator("fieldset[data-purpose=ad_partners]").get_by_label("同意する").check()
    other = _other_purpose(page)
    dialog.locator(f"fieldset[data-purpose={other}]").get_by_label("同意しない").check()
    send = dialog.get_by_role("button", name="選択を送信")
    send.scroll_into_view_if_needed()
    send.click()
    page.get_by_text("選択を記録しました。").wait_for()
    _assert_recorded(env, sid, "ad_partners", other)
    context.close()


def test_replayed_token_and_foreign_origin_are_refused(
    served: tuple[str, Env], sites_up: tuple[MemberSite, MemberSite, NewKey], browser: Any
) -> None:
    base, env = served
    member, stranger, key = sites_up
    sid = env.uncovered_subject("ad_partners")
    token = member_token(key, "shop", sid)
    page = browser.new_page(locale="ja-JP")
    page.set_default_timeout(TIMEOUT)
    page.goto(member.page("first", base, token))
    _events(page, "ready")
    page.goto(member.page("replay", base, token))
    assert _events(page, "error") == [{"status": 401}]
    assert page.locator("hogo-consent section").count() == 0
    # A page on an origin the site did not register: the browser's preflight is refused.
    page.goto(stranger.page("foreign", base, member_token(key, "shop", sid)))
    assert _events(page, "error") == [{"status": 0}]
    assert page.locator("hogo-consent section").count() == 0
    assert _stored(env, sid) == {}
    page.close()


def test_campaign_notice_goes_to_targets_and_the_conversion_chart_moves(
    served: tuple[str, Env], sites_up: tuple[MemberSite, MemberSite, NewKey], browser: Any, shot: Any
) -> None:
    base, env = served
    member, _, _ = sites_up
    key = register_site(env.db, "shopc", [member.origin])  # its own site: other tests keep theirs
    with write_scope(env.db) as session:
        spec = campaigns.CampaignSpec(
            "ad-2021", "広告提供の再同意", ("ad_partners",), datetime.now(JST), "shopc"
        )
        campaigns.create(session, spec)
    sid = env.uncovered_subject("ad_partners")
    console = browser.new_page(locale="ja-JP")
    console.set_default_timeout(TIMEOUT)
    _login(console, base, env.usernames[Role.privacy_officer])
    granted = "#conversion-table tbody tr:last-child td[data-state=granted]"
    console.goto(f"{base}/campaigns/ad-2021")
    assert console.locator(granted).inner_text() == "0"

    page = browser.new_page(locale="ja-JP")
    page.set_default_timeout(TIMEOUT)
    page.goto(member.page("campaign", base, member_token(key, "shopc", sid)))
    assert _events(page, "ready") == [{"count": 1}]  # the campaign's purpose only
    page.get_by_role("button", name="内容を確認して選ぶ").click()
    page.get_by_role("dialog").get_by_label("同意する").check()
    page.get_by_role("button", name="選択を送信").click()
    page.get_by_text("選択を記録しました。").wait_for()
    page.close()

    console.goto(f"{base}/campaigns/ad-2021")
    assert console.locator(granted).inner_text() == "1"
    assert console.locator("figure.chart svg polyline").count() == 5
    shot(console, "consent-notice-campaign")
    console.close()
