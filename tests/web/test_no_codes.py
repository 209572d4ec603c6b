"""Japanese pages speak to people: every console page, as an officer with demo-like data, shows
titles instead of the ids of purposes, recipients and data categories, Japanese labels instead of
enum codes, 2023年4月12日 9:00 instead of ISO timestamps, country names instead of codes, and no
Markdown backticks. Ids shown on purpose sit in <code> (attributes are for machines)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hogo.auth.roles import Role
from hogo.demo import demo_policy
from hogo.domain.clock import JST
from hogo.domain.incidents.flow import TimelineKind
from hogo.domain.policy import AppiClass
from hogo.domain.readiness.assets import AssetKind
from hogo.reports.disclosure.render import render_html
from hogo.services.disclosure import disclosure
from hogo.store.database import write_scope
from tests.api.env import client, login
from tests.web.visible import visible_text
from tests.web.world import TOKEN_KEY, World, build_world

ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2})?")
COUNTRY_CODE = re.compile(r"[(（][A-Z]{2}[)）]")


def _codes() -> list[str]:
    policy = demo_policy()
    ids = [p.id for p in policy.purposes] + [r.id for r in policy.recipients]
    ids += [c.id for c in policy.data_categories]
    return ids + [a.value for a in AppiClass] + [k.value for k in TimelineKind] + [k.value for k in AssetKind]


CODE = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, _codes())) + r"|q\.[a-z_.]+)(?![\w-])")


def findings(text: list[str]) -> list[str]:
    """What a person should not have to read, each with a little context."""
    found = []
    for part in text:
        for pattern in (CODE, ISO, COUNTRY_CODE):
            found += [f"{m.group(0)!r} in {part[:80]!r}" for m in pattern.finditer(part)]
        if "`" in part:
            found.append(f"backtick in {part[:80]!r}")
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    w = build_world(Path(tmp_path_factory.mktemp("no-codes")))
    yield w
    w.env.db.dispose()
    mp.undo()


def test_the_scanner_sees_what_people_see() -> None:
    html = (
        '<p data-purpose="ad_partners">広告 <code>ad_partners</code> 2024年6月1日 9:00</p>'
        "<td>marketing_mail</td><td>2023-04-12T09:00:00+09:00</td><td>日本 (JP)</td><td>`hogo`</td>"
        "<td>nas-1</td><td>router</td>"
    )
    assert [f.split(" in ")[0] for f in findings(visible_text(html))] == [
        "'marketing_mail'", "'2023-04-12T09:00'", "'(JP)'", "backtick", "'router'",
    ]  # fmt: skip


def test_every_console_page_shows_titles_labels_and_japanese_times(world: World) -> None:
    problems: dict[str, list[str]] = {}
    with client(world.env) as c:
        login(c, world.env.usernames[Role.privacy_officer])
        for path in world.pages():
            r = c.get(path)
            assert r.status_code == 200, (path, r.status_code)
            if found := findings(visible_text(r.text)):
                problems[path] = found
    with client(world.env) as c:
        login(c, world.env.usernames[Role.admin])
        for path in ("/admin", "/no-such-page"):
            if found := findings(visible_text(c.get(path).text)):
                problems[path] = found
    assert problems == {}


def test_reasons_name_titles_and_japanese_times_but_the_api_keeps_codes(world: World) -> None:
    with client(world.env) as c:
        login(c, world.env.usernames[Role.privacy_officer])
        page = c.get("/subjects/M0000009").text
    assert "利用目的「会員サービスの提供」" in page
    assert re.search(
        r"本人は\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2}に利用目的「商品・キャンペーンのご案内」", page
    )
    with client(world.env) as api:
        body = api.get(
            "/api/v1/consents/check",
            params={"subject_id": "M0000009", "purpose_id": "marketing_mail"},
            headers=world.env.headers(Role.privacy_officer),
        )
    assert body.status_code == 200, body.text
    reason = body.json()["reasons"][0]
    assert reason["code"] == "CONSENT_GRANTED" and reason["params"]["purpose"] == "marketing_mail"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00", reason["params"]["collected_at"])


def test_the_disclosure_answer_to_a_person_speaks_japanese(world: World) -> None:
    """The 開示 document a person receives (法33条): titles, Japanese dates, country names."""
    with write_scope(world.env.db) as session:
        answer = disclosure(session, "M0000009", datetime(2026, 4, 12, 9, 0, tzinfo=JST))
    assert answer["prepared_at"] == "2026-04-12T09:00:00+09:00"  # the JSON answer keeps ISO
    html = render_html(answer)
    text = visible_text(html)
    assert findings([t for t in text if t != "M0000009"]) == []
    assert "作成日時: 2026年4月12日 9:00" in html and "商品・キャンペーンのご案内" in html
