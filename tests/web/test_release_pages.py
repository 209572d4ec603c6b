"""Release pages: the list, one release's manifest summary, and downloads by role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.errors import HogoError
from hogo.release.spec import parse_spec
from hogo.services import releases as service
from hogo.web.render import Frame
from hogo.web.views.releases import ReleasePage, ReleasesPage
from tests.api.env import Env, client, login
from tests.release.world import TOKEN_KEY, anonymized_spec, personal_spec, release_env


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    folder = Path(tmp_path_factory.mktemp("release-pages"))
    e = release_env(folder)
    service.run_now(e.db, parse_spec(personal_spec("web-p1"), folder))
    service.run_now(e.db, parse_spec(anonymized_spec("web-a1"), folder))
    (folder / "partner.csv").write_text("mail_address\nx\n", encoding="utf-8")
    with pytest.raises(HogoError):  # the failure is what the pages show
        service.run_now(e.db, parse_spec(personal_spec("web-f1"), folder))
    yield e
    e.db.dispose()
    mp.undo()


def _page(c: TestClient, path: str) -> object:
    r = c.get(path)
    assert r.status_code == 200, r.text
    assert isinstance(r.context["frame"], Frame)  # type: ignore[attr-defined]
    return r.context["page"]  # type: ignore[attr-defined]


def test_list_shows_mode_purpose_recipient_counts_status(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        page = _page(c, "/releases")
        assert isinstance(page, ReleasesPage)
        rows = {r.release_id: r for r in page.releases}
        assert set(rows) == {"web-p1", "web-a1", "web-f1"}
        p = rows["web-p1"]
        assert (p.mode_label, p.purpose, p.recipient_name, p.status) == (
            "個人データの第三者提供", "ad_partners", "広告株式会社", "done",
        )  # fmt: skip
        assert p.counts["allowed"] == 2 and p.counts["candidates"] == 4
        assert rows["web-a1"].mode_label == "匿名加工情報" and rows["web-f1"].status_label == "失敗"


def test_anonymized_release_page_has_checklist_k_levels_and_announcement(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        page = _page(c, "/releases/web-a1")
        assert isinstance(page, ReleasePage)
        a = page.anonymization
        assert a is not None and a.k_achieved >= 5 and a.k_required == 5
        assert [row.measure for row in a.checklist] == [1, 2, 3, 4, 5] and all(row.how for row in a.checklist)
        assert {name for name, _level, _height in a.levels} == {"age", "prefecture", "sex"}
        assert page.announcement and "匿名加工情報" in page.announcement and "公表" in page.announcement
        assert page.files and all(f.downloadable and not f.personal for f in page.files)
        assert c.get(next(f.href for f in page.files if f.name == "anonymized.parquet")).status_code == 200


def test_personal_release_page_and_downloads_by_role(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        page = _page(c, "/releases/web-p1")
        assert isinstance(page, ReleasePage)
        assert page.provision is not None and page.provision.persons == 2
        assert page.provision.recipient_name == "広告株式会社" and page.provision.retention_until is not None
        assert {f.label: f.value for f in page.bases} == {"本人の同意": 1, "オプトアウト(法27条2項)": 1}
        assert page.match and page.anonymization is None and page.announcement is None
        data = next(f for f in page.files if f.name == "release.parquet")
        assert data.personal and not data.downloadable
        assert c.get(data.href).status_code == 403
        assert c.get("/releases/web-p1/files/manifest.json").status_code == 200
        assert 'href="/releases/web-p1/files/release.parquet"' not in c.get("/releases/web-p1").text
    with client(env) as c:
        login(c, env.usernames[Role.privacy_officer])
        page = _page(c, "/releases/web-p1")
        assert isinstance(page, ReleasePage)
        data = next(f for f in page.files if f.name == "release.parquet")
        assert data.downloadable
        got = c.get(data.href)
        assert got.status_code == 200 and got.content.startswith(b"PAR1")


def test_failed_release_page_shows_the_reason_and_no_files(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.operator])
        page = _page(c, "/releases/web-f1")
        assert isinstance(page, ReleasePage)
        assert page.release.status == "failed" and page.error and page.files == ()
        en = _page(c, "/releases/web-f1?lang=en")
        assert isinstance(en, ReleasePage) and en.error and en.error != page.error
        assert c.get("/releases/nope").status_code == 404


def test_release_page_explains_each_exclusion_count_by_reason(env: Env) -> None:
    """Issue 17: the persons left out are counted by decide's first reason, in words."""
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        page = _page(c, "/releases/web-p1")
        assert isinstance(page, ReleasePage)
        rows = {x.code: x for x in page.exclusions}
        assert {code: x.persons for code, x in rows.items()} == {"CONSENT_WITHDRAWN": 1, "OBJECTED": 1}
        assert sum(x.persons for x in page.exclusions) == page.release.counts["excluded"]
        assert rows["CONSENT_WITHDRAWN"].text == "本人が同意を撤回した"
        assert rows["OBJECTED"].article == "法35条"
        html = c.get("/releases/web-p1").text
        assert 'id="exclusions-table"' in html and "本人が利用停止・提供停止を求めた" in html
        en = _page(c, "/releases/web-p1?lang=en")
        assert isinstance(en, ReleasePage)
        assert {x.text for x in en.exclusions} == {
            "the person withdrew consent",
            "the person asked to stop use or provision",
        }
