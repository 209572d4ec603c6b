"""The incident and inventory pages: what each page context receives, the board's countdowns and
steps, the done button (POST + CSRF), the open form, and who may do what."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from hogo.domain.incidents.deadlines import DeadlineState
from hogo.domain.incidents.types import IncidentType
from hogo.services import incidents
from hogo.store.database import write_scope
from hogo.web.render import Frame
from hogo.web.views.incident import IncidentPage
from hogo.web.views.incident_new import IncidentFormPage
from hogo.web.views.incidents import IncidentBoardPage
from hogo.web.views.inventory import InventoryPage
from hogo.web.views.inventory_dataset import DatasetPage
from tests.api.env import Env, client

INVENTORY_CSV = (
    "id,name,data_categories,subjects,count,encryption\r\n"
    "members,会員名簿,contact;purchase,id_prefix:M000002,0,standard\r\n"
    "clinic,健康相談記録,contact;medical,,3,none\r\n"
).encode("utf-8-sig")


@pytest.fixture(scope="module", autouse=True)
def inventory(env: Env) -> None:
    with client(env) as c:
        for data in (INVENTORY_CSV, INVENTORY_CSV.replace(b"contact;medical,,3", b"contact;medical,,4")):
            r = c.post(
                "/api/v1/inventory/import",
                files={"file": ("inventory.csv", data)},
                headers=env.headers(Role.privacy_officer),
            )
            assert r.status_code == 200, r.text


def _page(c: TestClient, path: str, kind: type) -> object:
    r = c.get(path)
    assert r.status_code == 200, r.text
    assert isinstance(r.context["frame"], Frame)  # type: ignore[attr-defined]
    page = r.context["page"]  # type: ignore[attr-defined]
    assert isinstance(page, kind)
    return page


def _csrf(c: TestClient) -> str:
    frame = c.get("/incidents").context["frame"]  # type: ignore[attr-defined]
    assert isinstance(frame, Frame) and frame.csrf_token
    return frame.csrf_token


def _open(env: Env, dataset: str, aware_at: datetime) -> str:
    with write_scope(env.db) as session:
        view = incidents.open_new(
            session, IncidentType.missent_email, aware_at, "誤送信", dataset_ids=[dataset]
        )
    return view.id


def test_board_shows_step_overdue_tasks_countdowns_and_items(officer: TestClient, env: Env) -> None:
    now = datetime.now(JST)
    recent = _open(env, "clinic", now)
    old = _open(env, "clinic", datetime(2026, 4, 1, 15, 30, tzinfo=JST))
    quiet = _open(env, "members", now)
    page = _page(officer, "/incidents", IncidentBoardPage)
    assert isinstance(page, IncidentBoardPage) and not page.include_closed
    lines = {line.row.id: line for line in page.lines}
    assert {recent, old, quiet} <= set(lines)
    fresh = lines[recent]
    assert fresh.row.reportable and fresh.row.triggers == (1,)
    assert [s.state for s in fresh.steps] == ["current", "todo", "todo", "todo", "todo", "todo"]
    assert (fresh.preliminary.state, fresh.preliminary.days_left, fresh.preliminary.label) == (
        DeadlineState.open, 3, "あと3日",
    )  # fmt: skip
    assert fresh.final.label == "あと30日" and fresh.overdue == ()
    late = lines[old]
    assert late.preliminary.state is DeadlineState.overdue
    assert late.preliminary.days_left == (date(2026, 4, 4) - now.date()).days
    assert late.preliminary.label == f"{-late.preliminary.days_left}日超過"
    titles = {o.id: o.title for o in late.overdue}
    assert titles["ppc-preliminary-report"] != "ppc-preliminary-report"  # the playbook's title
    assert not lines[quiet].row.reportable and lines[quiet].preliminary.label == "—"
    html = officer.get("/incidents").text
    assert "規則7条1号" in html and "報告対象" in html and 'href="/incidents/new"' in html
    english = officer.get("/incidents?lang=en").text
    assert "rule 7 item 1" in english and "days overdue" in english
    assert "e-mail sent to the wrong recipients" in english


def test_incident_page_context(officer: TestClient, env: Env) -> None:
    incident_id = _open(env, "clinic", datetime(2026, 4, 1, 15, 30, tzinfo=JST))
    page = _page(officer, f"/incidents/{incident_id}", IncidentPage)
    assert isinstance(page, IncidentPage)
    assert page.incident.id == incident_id and page.incident.reportable
    assert page.incident.deadlines.preliminary == date(2026, 4, 4)
    assert "BREACH_SENSITIVE_DATA" in [r.code for r in page.incident.reasons]
    assert [g.mark.number for g in page.steps] == [1, 2, 3, 4, 5, 6]
    assert all(line.task.step == g.mark.number for g in page.steps for line in g.tasks)
    assert sum(len(g.tasks) for g in page.steps) == len(page.incident.tasks)
    assert any(line.overdue for g in page.steps for line in g.tasks)
    assert [e.kind.value for e in page.timeline][:2] == ["opened", "assessment"]
    assert page.can_act and page.can_download_list
    kinds = [d.kind for d in page.documents]
    assert kinds[-1] == "notification_list" and "ppc_preliminary" in kinds
    html = officer.get(f"/incidents/{incident_id}").text
    assert f'action="/incidents/{incident_id}/tasks/report-to-management/done"' in html
    assert "規則7条1号" in html and "法26条1項・規則8条" in html


def test_done_button_marks_the_task_and_needs_csrf(officer: TestClient, env: Env) -> None:
    incident_id = _open(env, "clinic", datetime.now(JST))
    url = f"/incidents/{incident_id}/tasks/report-to-management/done"
    assert officer.post(url, data={"note": "x"}).status_code == 403  # no CSRF token
    assert officer.post(url, data={"note": "x", "csrf_token": "forged"}).status_code == 403
    r = officer.post(url, data={"note": "社長に報告", "csrf_token": _csrf(officer)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/incidents/{incident_id}?done=")
    page = _page(officer, r.headers["location"], IncidentPage)
    assert isinstance(page, IncidentPage) and page.done_task == "report-to-management"
    task = next(t for t in page.incident.tasks if t.id == "report-to-management")
    assert task.status.value == "done" and task.note == "社長に報告"
    bad = officer.post(f"/incidents/{incident_id}/tasks/nope/done", data={"csrf_token": _csrf(officer)})
    assert bad.status_code == 422 and "項目 task" in bad.text


def test_auditor_reads_but_cannot_post(auditor: TestClient, env: Env) -> None:
    incident_id = _open(env, "clinic", datetime.now(JST))
    page = _page(auditor, f"/incidents/{incident_id}", IncidentPage)
    assert isinstance(page, IncidentPage) and not page.can_act and page.documents == ()
    assert "/done" not in auditor.get(f"/incidents/{incident_id}").text
    csrf = _csrf(auditor)
    posts = {
        f"/incidents/{incident_id}/tasks/report-to-management/done": {},
        "/incidents": {"type": "loss_theft", "description": "x"},
        f"/incidents/{incident_id}/documents/ppc_final": {"format": "html"},
        f"/incidents/{incident_id}/notification-list": {},
    }
    for path, form in posts.items():
        assert auditor.post(path, data={**form, "csrf_token": csrf}).status_code == 403, path
    assert auditor.get("/incidents/new").status_code == 403
    view = _page(auditor, f"/incidents/{incident_id}", IncidentPage)
    assert isinstance(view, IncidentPage)
    assert all(t.status.value != "done" for t in view.incident.tasks if t.id == "report-to-management")


def test_documents_and_the_notification_list(officer: TestClient, operator: TestClient, env: Env) -> None:
    incident_id = _open(env, "members", datetime.now(JST))
    r = officer.post(
        f"/incidents/{incident_id}/documents/notice_letter",
        data={"format": "html", "csrf_token": _csrf(officer)},
    )
    assert r.status_code == 200 and "お知らせ" in r.text
    assert r.headers["content-disposition"] == f'attachment; filename="{incident_id}_notice_letter.html"'
    listing = officer.post(f"/incidents/{incident_id}/notification-list", data={"csrf_token": _csrf(officer)})
    assert listing.status_code == 200
    assert listing.content.decode("utf-8-sig").splitlines()[0] == "本人ID,連絡手段,メールアドレス,電話番号"
    # Operators work the tasks but do not see contact details.
    page = _page(operator, f"/incidents/{incident_id}", IncidentPage)
    assert isinstance(page, IncidentPage) and page.can_act and not page.can_download_list
    assert "notification_list" not in [d.kind for d in page.documents]
    r = operator.post(f"/incidents/{incident_id}/notification-list", data={"csrf_token": _csrf(operator)})
    assert r.status_code == 403 and "subject_id" not in r.text


def test_open_form_opens_and_shows_errors(officer: TestClient) -> None:
    form = _page(officer, "/incidents/new", IncidentFormPage)
    assert isinstance(form, IncidentFormPage)
    assert [d.id for d in form.datasets] == ["clinic", "members"]
    assert {o.value for o in form.types} >= {"missent_email", "ransomware", "web_skimming"}
    assert "medical" in [c.id for c in form.categories]
    data = {
        "csrf_token": _csrf(officer), "type": "loss_theft", "description": "ノートPCの紛失",
        "aware_at": "2026-04-01T15:30", "datasets": ["members"], "persons": "1200", "encryption": "standard",
    }  # fmt: skip
    r = officer.post("/incidents", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = _page(officer, r.headers["location"], IncidentPage)
    assert isinstance(page, IncidentPage)
    assert page.incident.triggers == (4,) and page.incident.persons == 1200
    bad = officer.post("/incidents", data={**data, "persons": "many"})
    # the field is named as the form labels it, not by its internal name (persons)
    assert bad.status_code == 422 and "「本人の数(空欄は台帳から計算)」" in bad.text
    assert "項目 persons" not in bad.text
    assert bad.context["page"].values["description"] == "ノートPCの紛失"  # type: ignore[attr-defined]
    assert officer.post("/incidents", data={**data, "datasets": ["nope"]}).status_code == 422
    far = officer.post("/incidents", data={**data, "aware_at": "9999-12-31T23:59+14:00"})
    assert far.status_code == 422 and "「認知した日時(省略時は現在、JST)」" in far.text
    assert (
        officer.post("/incidents", data={k: v for k, v in data.items() if k != "csrf_token"}).status_code
        == 403
    )


def test_an_over_long_overview_is_shown_again_with_the_field_named(officer: TestClient) -> None:
    assert (
        'id="description" name="description" rows="4" maxlength="4000"' in officer.get("/incidents/new").text
    )
    data = {"csrf_token": _csrf(officer), "type": "loss_theft", "description": "紛" * 4001, "persons": "3"}
    r = officer.post("/incidents", data=data)
    assert r.status_code == 422 and "「概要(報告書の概要欄の元になります)」: 4000字以内" in r.text
    page = r.context["page"]  # type: ignore[attr-defined]
    assert isinstance(page, IncidentFormPage) and page.values["description"] == "紛" * 4001  # kept
    assert page.values["persons"] == "3"


def test_inventory_pages(auditor: TestClient) -> None:
    page = _page(auditor, "/inventory", InventoryPage)
    assert isinstance(page, InventoryPage)
    lines = {line.dataset.id: line for line in page.lines}
    assert set(lines) == {"clinic", "members"}
    assert lines["clinic"].categories == ("氏名・連絡先", "健康診断結果")
    assert lines["members"].encryption == "暗号化あり(高度な暗号化に当たらない)"
    detail = _page(auditor, "/inventory/clinic", DatasetPage)
    assert isinstance(detail, DatasetPage)
    assert detail.line.dataset.count == 4
    assert [(v.version.version, v.changed) for v in detail.versions] == [(2, ("count",)), (1, ())]
    assert auditor.get("/inventory/none").status_code == 404
    assert re.search(r'href="/inventory/clinic"', auditor.get("/inventory").text)


def test_pages_need_login(api: TestClient) -> None:
    for path in (
        "/incidents",
        "/incidents/new",
        "/incidents/INC-2026-0001",
        "/inventory",
        "/inventory/clinic",
    ):
        r = api.get(path)
        assert r.status_code == 401 and 'name="password"' in r.text, path
        assert "規則7条" not in r.text and "会員名簿" not in r.text


def test_incident_page_shows_the_statutory_and_the_recommended_final_day(
    officer: TestClient, env: Env
) -> None:
    """30 days from 2026-04-03 end on Sunday 5/3 (GW): statutory 5/7, recommended 5/1 (item 12)."""
    incident_id = _open(env, "clinic", datetime(2026, 4, 3, 10, 0, tzinfo=JST))
    page = _page(officer, f"/incidents/{incident_id}", IncidentPage)
    assert isinstance(page, IncidentPage)
    d = page.incident.deadlines
    assert (d.final_period_end, d.final, d.final_recommended) == (
        date(2026, 5, 3),
        date(2026, 5, 7),
        date(2026, 5, 1),
    )
    html = officer.get(f"/incidents/{incident_id}").text
    final_row = re.search(r'<tr id="deadline-final">.*?</tr>', html, re.S)
    assert final_row is not None and 'id="final-recommended"' in final_row.group(0)
    assert "推奨提出日" in final_row.group(0) and "行政機関の休日" in final_row.group(0)
    board = officer.get("/incidents").text
    assert "推奨提出日" in re.search(rf'<tr id="incident-{incident_id}".*?</tr>', board, re.S).group(0)  # type: ignore[union-attr]
