"""Every gap figure on the dashboard and the terms page links to the members it counts: the list
has exactly those persons (paged, searchable by id prefix) and exports them as a safe CSV."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain import reasons as R
from hogo.domain.clock import parse_instant
from hogo.services.consent import check
from hogo.services.coverage import lacking_members
from hogo.services.policy import require_policy
from hogo.store.database import read_scope
from hogo.web.views.dashboard import DashboardPage
from hogo.web.views.gap import GapPage
from hogo.web.views.policy import PolicyPage
from tests.api.env import Env, client, login


def _context(c: TestClient, path: str) -> object:
    r = c.get(path)
    assert r.status_code == 200, r.text
    return r.context["page"]  # type: ignore[attr-defined]


def _all_pages(c: TestClient, link: str) -> tuple[list[str], int]:
    """Every member listed, following the next-page links from `link`, and the figure shown."""
    listed: list[str] = []
    total = -1
    while True:
        page = _context(c, link)
        assert isinstance(page, GapPage)
        total = page.total
        listed.extend(s.subject_id for s in page.members.results)
        if not page.members.more:
            return listed, total
        link = page.members.link(page.members.page + 1)


def test_the_gap_figure_links_to_exactly_the_members_it_counts(officer: TestClient, env: Env) -> None:
    dash = _context(officer, "/")
    assert isinstance(dash, DashboardPage)
    row = next(g for g in dash.gap if g.purpose_id == "ad_partners")
    assert row.members > 0 and f'href="{row.link.replace("&", "&amp;")}"' in officer.get("/").text
    listed, total = _all_pages(officer, row.link)
    assert total == row.members == len(listed) == len(set(listed))
    at = parse_instant(parse_qs(urlsplit(row.link).query)["at"][0])
    with read_scope(env.db) as session:
        policy = require_policy(session)
        assert listed == lacking_members(session, policy, ["ad_partners"], at)
        for subject_id in listed[:10]:
            reasons = check(session, subject_id, "ad_partners", at).reasons
            assert R.TERMS_DID_NOT_INCLUDE_PURPOSE.code in {r.code for r in reasons}
    terms = _context(officer, "/policy")
    assert isinstance(terms, PolicyPage)
    added = {a.purpose_id: a for r in terms.revisions for a in r.added}
    assert added["ad_partners"].members == row.members
    assert _all_pages(officer, added["ad_partners"].link)[0] == listed


def test_pages_hold_fifty_and_the_search_narrows_by_id_prefix(officer: TestClient) -> None:
    dash = _context(officer, "/")
    assert isinstance(dash, DashboardPage)
    row = next(g for g in dash.gap if g.purpose_id == "ad_partners")
    first = _context(officer, row.link)
    assert isinstance(first, GapPage)
    assert len(first.members.results) == min(50, first.total)
    assert first.members.more == (first.total > 50)
    prefix = first.members.results[-1].subject_id[:-1]
    found = _context(officer, f"{row.link}&q={prefix.lower()}")
    assert isinstance(found, GapPage)
    assert 0 < found.total <= first.total
    assert all(s.subject_id.startswith(prefix) for s in found.members.results)
    assert found.members.link(2).startswith(
        "/gap/ad_partners?at="
    ) and f"q={prefix.lower()}" in found.members.link(2)


def test_the_export_is_a_formula_safe_csv_for_the_personal_data_role(officer: TestClient, env: Env) -> None:
    dash = _context(officer, "/")
    assert isinstance(dash, DashboardPage)
    row = next(g for g in dash.gap if g.purpose_id == "ad_partners")
    page = _context(officer, row.link)
    assert isinstance(page, GapPage) and page.can_export
    exported = officer.get(page.export_link)
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["subject_id", "email", "phone"] and len(rows) == row.members + 1
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert sorted(r[0] for r in rows[1:]) == sorted(_all_pages(officer, row.link)[0])
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        shown = _context(c, row.link)
        assert (
            isinstance(shown, GapPage)
            and not shown.can_export
            and 'id="export-gap"' not in c.get(row.link).text
        )
        assert c.get(page.export_link).status_code == 403


def test_an_unknown_purpose_or_a_bad_time_is_refused(officer: TestClient) -> None:
    assert officer.get("/gap/no_such_purpose").status_code == 404
    assert officer.get("/gap/no_such_purpose/members.csv").status_code == 404
    r = officer.get("/gap/ad_partners?at=yesterday")
    assert r.status_code in (400, 422) and "at" in r.text
