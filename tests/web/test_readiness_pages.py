"""Readiness pages: what /readiness and /readiness/assets receive, and who may record."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.web.chart import Chart
from hogo.web.render import Frame
from hogo.web.views.readiness import ReadinessAssetsPage, ReadinessPage
from tests.api.env import Env, client, login
from tests.readiness.stored import store_sample_inventory


def _page(c: TestClient, path: str) -> object:
    r = c.get(path)
    assert r.status_code == 200, r.text
    assert isinstance(r.context["frame"], Frame)  # type: ignore[attr-defined]
    return r.context["page"]  # type: ignore[attr-defined]


def _csrf(c: TestClient, path: str = "/readiness") -> str:
    frame = c.get(path).context["frame"]  # type: ignore[attr-defined]
    assert isinstance(frame, Frame)
    return frame.csrf_token


def test_readiness_page_groups_findings_and_records_for_operators(env: Env) -> None:
    store_sample_inventory(env.db)
    with client(env) as c:
        login(c, env.usernames[Role.operator])
        page = _page(c, "/readiness")
        assert isinstance(page, ReadinessPage)
        assert [g.severity for g in page.groups] == ["critical", "high", "medium", "low"]
        assert [g.label for g in page.groups] == ["緊急", "高", "中", "低"]
        critical = page.groups[0].findings
        assert critical and all(f.severity == "critical" for f in critical)
        assert all(f.rationale and f.fix and f.reference for g in page.groups for f in g.findings)
        assert sum(len(g.findings) for g in page.groups) == page.failed
        assert page.grade in {"D", "E"} and page.assets == 5 and page.can_record
        before = len(page.history)
        r = c.post("/readiness/assessments", data={"csrf_token": _csrf(c)}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/readiness?recorded=")
        page = _page(c, r.headers["location"])
        assert isinstance(page, ReadinessPage)
        assert len(page.history) == before + 1 and page.recorded is not None
        assert isinstance(page.chart, Chart) and page.chart.title_key == "readiness.chart"
        (line,) = page.chart.lines
        assert len(line.points.split()) == len(page.history) and len(line.markers) == len(page.history)
        assert len(page.chart.x_ticks) <= 6
        # The chart's figures are in the table beside it, and the English page names things in English.
        html = c.get("/readiness?lang=en").text
        assert "Score over time" in html and 'id="history-table"' in html


def test_auditor_reads_but_cannot_record(env: Env) -> None:
    store_sample_inventory(env.db)
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        page = _page(c, "/readiness")
        assert isinstance(page, ReadinessPage) and not page.can_record
        assert "record-assessment" not in c.get("/readiness").text
        r = c.post("/readiness/assessments", data={"csrf_token": _csrf(c)}, follow_redirects=False)
        assert r.status_code == 403
        # without the CSRF token nobody records either
        assert c.post("/readiness/assessments", data={}, follow_redirects=False).status_code == 403


def test_assets_page_shows_eol_status(env: Env) -> None:
    store_sample_inventory(env.db)
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        page = _page(c, "/readiness/assets")
        assert isinstance(page, ReadinessAssetsPage)
        by_id = {a.id: a for a in page.assets}
        assert by_id["rdp-1"].state == "eol" and by_id["rdp-1"].state_label == "サポート終了"
        assert by_id["router-branch"].discontinued and by_id["router-branch"].state == "eol"
        assert by_id["fs-1"].state == "supported" and by_id["fs-1"].eol_date is not None
        assert sum(page.by_state.values()) == len(page.assets) == 5
        assert page.backups and {b.source for b in page.backups}
    with client(env) as anonymous:
        assert anonymous.get("/readiness/assets").status_code == 401
