"""Each console page renders its typed context; these tests check what every page receives."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain.ledger import Verification
from hogo.web.chart import Chart
from hogo.web.render import Frame
from hogo.web.views.admin import AdminPage
from hogo.web.views.consent import ConsentFormPage
from hogo.web.views.dashboard import DashboardPage
from hogo.web.views.ledger import LedgerPage
from hogo.web.views.login import LoginPage
from hogo.web.views.policy import PolicyPage
from hogo.web.views.received import ReceivedListPage
from hogo.web.views.subjects import SubjectPage, SubjectsPage
from tests.api.env import Env, client, login


def _page(c: TestClient, path: str, kind: type) -> object:
    r = c.get(path)
    assert r.status_code == 200, r.text
    assert isinstance(r.context["frame"], Frame)  # type: ignore[attr-defined]
    page = r.context["page"]  # type: ignore[attr-defined]
    assert isinstance(page, kind)
    return page


def test_login_page(api: TestClient) -> None:
    page = _page(api, "/login?next=/policy", LoginPage)
    assert isinstance(page, LoginPage)
    assert page.next == "/policy" and page.error is None


def test_login_refuses_offsite_next(api: TestClient) -> None:
    page = _page(api, "/login?next=//evil.example/x", LoginPage)
    assert isinstance(page, LoginPage) and page.next == "/"


def test_dashboard(officer: TestClient, env: Env) -> None:
    page = _page(officer, "/", DashboardPage)
    assert isinstance(page, DashboardPage)
    assert page.has_policy and page.counts.subjects == 120 and page.counts.purposes == 8
    assert isinstance(page.chart, Chart)
    # One line per purpose that needs consent or relies on opt-out, one point per label.
    assert [r.purpose_id for r in page.coverage] == [
        "marketing_mail", "ad_partners", "analytics_overseas", "mailing_list", "health_program",
    ]  # fmt: skip
    assert all(len(line.points.split()) == len(page.point_labels) for line in page.chart.lines)
    assert page.point_labels[0] == "2021年1月1日"
    assert {g.purpose_id: g.added_in for g in page.gap} == {
        "ad_partners": "2021-07", "mailing_list": "2021-07", "analytics_overseas": "2023-04",
        "health_program": "2023-04",
    }  # fmt: skip
    assert next(g for g in page.gap if g.purpose_id == "ad_partners").members > 0


def test_policy_page(officer: TestClient) -> None:
    page = _page(officer, "/policy", PolicyPage)
    assert isinstance(page, PolicyPage)
    assert [r.version for r in page.revisions] == ["2020-04", "2021-07", "2023-04"]
    assert page.revisions[0].first and page.revisions[0].added == ()
    added = {a.purpose_id: a.members for a in page.revisions[1].added}
    assert set(added) == {"ad_partners", "mailing_list"}
    assert added["ad_partners"] > 0 and added["mailing_list"] == 0  # opt-out covers the list
    assert len(page.purposes) == 8


def test_subject_search_and_timeline(officer: TestClient) -> None:
    found = _page(officer, "/subjects?q=M000001", SubjectsPage)
    assert isinstance(found, SubjectsPage)
    assert [s.subject_id for s in found.results][:2] == ["M0000010", "M0000011"]
    page = _page(officer, "/subjects/M0000001", SubjectPage)
    assert isinstance(page, SubjectPage)
    assert page.subject.subject_id == "M0000001"
    assert len(page.decisions) == 8
    assert page.timeline and all(
        a.event.order_key() >= b.event.order_key()
        for a, b in zip(page.timeline, page.timeline[1:], strict=False)
    )


def test_htmx_search_returns_the_partial(officer: TestClient) -> None:
    r = officer.get("/subjects?q=M00000", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and "subject-results" in r.text


def test_consent_form(officer: TestClient) -> None:
    page = _page(officer, "/consents/new?subject_id=M0000002", ConsentFormPage)
    assert isinstance(page, ConsentFormPage)
    assert page.values["subject_id"] == "M0000002"
    assert [t.version for t in page.terms] == ["2020-04", "2021-07", "2023-04"]


def test_ledger_page(officer: TestClient) -> None:
    page = _page(officer, "/ledger", LedgerPage)
    assert isinstance(page, LedgerPage)
    assert isinstance(page.verification, Verification) and page.verification.ok
    assert page.entries == page.verification.entries


def test_received_page(auditor: TestClient) -> None:
    page = _page(auditor, "/provisions/received", ReceivedListPage)
    assert isinstance(page, ReceivedListPage)
    assert page.records == ()  # this module's store has received nothing


def test_admin_page(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.admin])
        page = _page(c, "/admin", AdminPage)
    assert isinstance(page, AdminPage)
    assert {u.username for u in page.users} >= set(env.usernames.values())
    assert page.new_token is None
