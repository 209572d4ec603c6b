"""Incidents over the API: open, show (verdict, deadlines, step, tasks), facts re-evaluate, tasks,
the board, documents with their hashes, and the notification list behind `personal_data`."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from tests.api.env import Env, client

INVENTORY_CSV = (
    "id,name,data_categories,subjects,count,encryption\r\n"
    "members,会員名簿,contact;purchase,id_prefix:M000001,0,standard\r\n"
    "clinic,健康相談記録,contact;medical,,3,none\r\n"
    "vault,暗号化バックアップ,contact,all,0,advanced\r\n"
).encode("utf-8-sig")
AWARE = "2026-04-01T15:30:00+09:00"


@pytest.fixture(scope="module", autouse=True)
def inventory(env: Env) -> None:
    with client(env) as c:
        r = c.post(
            "/api/v1/inventory/import",
            files={"file": ("inventory.csv", INVENTORY_CSV, "text/csv")},
            headers=env.headers(Role.privacy_officer),
        )
        assert r.status_code == 200, r.text


@pytest.fixture()
def officer(env: Env) -> dict[str, str]:
    return env.headers(Role.privacy_officer)


def _open(api: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {
        "type": "missent_email",
        "description": "会員あてメールをBCCでなくTOで送信",
        "aware_at": AWARE,
        **body,
    }
    r = api.post("/api/v1/incidents", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def _today() -> date:
    return datetime.now(JST).date()


def test_open_and_show_give_verdict_deadlines_step_and_tasks(
    api: TestClient, officer: dict[str, str]
) -> None:
    opened = _open(api, officer, datasets=["clinic"])
    shown = api.get(f"/api/v1/incidents/{opened['id']}", headers=officer).json()
    assert shown == opened
    assert shown["id"].startswith("INC-2026-")
    # 要配慮個人情報 (medical) in the clinic records: 規則7条1号, even for three persons.
    assert shown["reportable"] is True and shown["notify_persons"] is True
    assert shown["triggers"] == [1]
    assert "BREACH_SENSITIVE_DATA" in [r["code"] for r in shown["reasons"]]
    assert {r["article"] for r in shown["reasons"]} >= {"規則7条1号", "法26条1項・規則8条"}
    d = shown["deadlines"]
    # Awareness on 4/1 (JST): 速報 3 days → 4/4 (5 at the latest → 4/6), 確報 30 days → 5/1 (民法140条).
    assert (d["preliminary"], d["preliminary_overdue_after"], d["final"], d["final_days"]) == (
        "2026-04-04", "2026-04-06", "2026-05-01", 30,
    )  # fmt: skip
    assert d["preliminary_days_left"] == (date(2026, 4, 4) - _today()).days
    assert d["final_days_left"] == (date(2026, 5, 1) - _today()).days
    assert d["preliminary_state"] == "overdue" and d["final_state"] == "overdue"
    assert shown["step"] == {"number": 1, "ja": "発見・報告", "en": "discovery and reporting"}
    assert shown["status"] == "open" and shown["persons"] == 3
    tasks = {t["id"]: t for t in shown["tasks"]}
    pre = tasks["ppc-preliminary-report"]
    assert pre["due"] == "preliminary" and pre["due_at"].startswith("2026-04-04T23:59:59")
    assert pre["overdue"] is True and pre["status"] == "open"
    assert set(shown["overdue_tasks"]) == {t["id"] for t in shown["tasks"] if t["overdue"]}
    assert all(t["step"] in range(1, 7) for t in shown["tasks"])


def test_recorded_facts_re_evaluate_reportability(api: TestClient, officer: dict[str, str]) -> None:
    opened = _open(api, officer, datasets=["members"])
    assert opened["reportable"] is False and opened["deadlines"]["preliminary"] is None
    assert [r["code"] for r in opened["reasons"]] == ["BREACH_NO_TRIGGER"]
    url = f"/api/v1/incidents/{opened['id']}/facts"
    more = api.post(url, json={"persons": 1001}, headers=officer).json()
    assert more["reportable"] is True and more["triggers"] == [4]
    assert more["deadlines"]["final"] == "2026-05-01"
    # Advanced encryption (規則7条1号括弧書) excludes the item unless the key leaked too.
    safe = api.post(url, json={"encryption": "advanced"}, headers=officer).json()
    assert safe["reportable"] is False and safe["excluded_triggers"] == [4]
    leaked = api.post(url, json={"key_leaked": True}, headers=officer).json()
    assert leaked["reportable"] is True
    # null forgets a recorded fact: back to the inventory's encryption (standard), still item 4.
    forgot = api.post(url, json={"encryption": None, "key_leaked": None}, headers=officer).json()
    assert forgot["facts"]["encryption"] == "standard" and forgot["triggers"] == [4]
    timeline = api.get(f"/api/v1/incidents/{opened['id']}/timeline", headers=officer).json()["items"]
    assert [e["kind"] for e in timeline].count("assessment") == 5
    assert all(e["ledger_seq"] > 0 for e in timeline)


def test_improper_purpose_gives_sixty_days(api: TestClient, officer: dict[str, str]) -> None:
    opened = _open(api, officer, type="ransomware", datasets=["members"])
    assert opened["triggers"] == [3] and opened["deadlines"]["final_days"] == 60
    # The 60 days end on Sunday 5/31: the statutory last day is Monday 6/1 (行政機関の休日に関する
    # 法律2条), shown with the period's end and the recommended day (Friday 5/29).
    deadlines = opened["deadlines"]
    assert (deadlines["final"], deadlines["final_period_end"], deadlines["final_recommended"]) == (
        "2026-06-01", "2026-05-31", "2026-05-29",
    )  # fmt: skip


def test_tasks_are_marked_done_and_the_step_moves(api: TestClient, env: Env, officer: dict[str, str]) -> None:
    opened = _open(api, officer, datasets=["clinic"])
    base = f"/api/v1/incidents/{opened['id']}"
    step1 = [t["id"] for t in opened["tasks"] if t["step"] == 1 and t["status"] == "open"]
    operator = env.headers(Role.operator)
    for task_id in step1:
        r = api.post(f"{base}/tasks/{task_id}/done", json={"note": "済"}, headers=operator)
        assert r.status_code == 200, r.text
    after = api.get(base, headers=officer).json()
    assert after["step"]["number"] == 2
    done = next(t for t in after["tasks"] if t["id"] == step1[0])
    assert done["status"] == "done" and done["note"] == "済" and done["overdue"] is False
    # Without a body the task is done now; an unknown task names the field, not the value.
    second = next(t["id"] for t in after["tasks"] if t["step"] == 2 and t["status"] == "open")
    assert api.post(f"{base}/tasks/{second}/done", headers=officer).status_code == 200
    bad = api.post(f"{base}/tasks/no-such-task/done", headers=officer)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "task"


def test_board_lists_open_incidents_with_countdowns(api: TestClient, officer: dict[str, str]) -> None:
    opened = _open(api, officer, datasets=["clinic"], aware_at=datetime.now(JST).isoformat())
    board = api.get("/api/v1/incidents", headers=officer).json()
    row = next(r for r in board["items"] if r["id"] == opened["id"])
    assert row["reportable"] is True and row["triggers"] == [1]
    assert row["step"]["number"] == 1 and row["status"] == "open"
    assert (row["type"], row["type_ja"]) == ("missent_email", "電子メールの誤送信")
    assert (row["preliminary_state"], row["preliminary_days_left"]) == ("open", 3)
    assert (row["final_state"], row["final_days_left"]) == ("open", 30)
    assert row["preliminary"] == (_today() + timedelta(days=3)).isoformat()
    # Seen from a later moment, the same incident's countdowns have run out.
    later = (datetime.now(JST) + timedelta(days=10)).isoformat()
    r = api.get("/api/v1/incidents", params={"at": later}, headers=officer).json()
    row = next(x for x in r["items"] if x["id"] == opened["id"])
    assert row["preliminary_state"] == "overdue" and row["preliminary_days_left"] == -7
    assert "ppc-preliminary-report" in row["overdue_tasks"]


def test_documents_are_listed_and_drafted_with_their_hash(api: TestClient, officer: dict[str, str]) -> None:
    opened = _open(api, officer, datasets=["clinic"])
    base = f"/api/v1/incidents/{opened['id']}"
    listed = api.get(f"{base}/documents", headers=officer).json()["items"]
    kinds = {d["kind"]: d for d in listed}
    assert set(kinds) == {
        "ppc_preliminary", "ppc_final", "notice_letter", "notice_email", "announcement", "pmark_report",
        "notification_list",
    }  # fmt: skip
    assert kinds["notification_list"]["personal_data"] is True
    assert not kinds["ppc_preliminary"]["personal_data"]
    r = api.post(f"{base}/documents/ppc_preliminary", params={"format": "html"}, headers=officer)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "速報" in r.text and opened["id"] in r.text
    assert r.headers["x-content-sha256"] == hashlib.sha256(r.content).hexdigest()
    assert f"{opened['id']}_ppc_preliminary.html" in r.headers["content-disposition"]
    j = api.post(f"{base}/documents/ppc_final", params={"format": "json"}, headers=officer)
    assert j.headers["content-type"] == "application/json" and j.json()["kind"] == "ppc_final"
    mail = api.post(f"{base}/documents/notice_email", headers=officer)
    assert mail.headers["content-type"].startswith("text/plain")
    timeline = api.get(f"{base}/timeline", headers=officer).json()["items"]
    drafted = [e for e in timeline if e["kind"] == "document"]
    assert drafted[0]["summary_en"].endswith("_ppc_preliminary.html")
    assert len(drafted) == 3
    assert (
        api.post(f"{base}/documents/ppc_final", params={"format": "docx"}, headers=officer).status_code == 422
    )


def test_notification_list_needs_personal_data_permission(api: TestClient, env: Env) -> None:
    opened = _open(api, env.headers(Role.privacy_officer), datasets=["members"])
    url = f"/api/v1/incidents/{opened['id']}/notification-list"
    for role in (Role.auditor, Role.operator):
        r = api.post(url, headers=env.headers(role))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert "subject_id" not in r.text
    for role in (Role.privacy_officer, Role.admin):
        r = api.post(url, headers=env.headers(role))
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        lines = r.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "本人ID,連絡手段,メールアドレス,電話番号"
        assert [line.split(",")[0] for line in lines[1:]] == [f"M000001{i}" for i in range(10)]
    sjis = api.post(url, params={"encoding": "cp932"}, headers=env.headers(Role.admin))
    assert sjis.content.decode("cp932").startswith("本人ID,")
    machine = api.post(url, params={"headers": "machine"}, headers=env.headers(Role.admin))
    assert machine.content.decode("utf-8-sig").splitlines()[0] == "subject_id,channel,email,phone"
    assert api.post(url, params={"headers": "x"}, headers=env.headers(Role.admin)).status_code == 422


def test_auditor_reads_but_changes_nothing(api: TestClient, env: Env) -> None:
    opened = _open(api, env.headers(Role.privacy_officer), datasets=["clinic"])
    auditor = env.headers(Role.auditor)
    base = f"/api/v1/incidents/{opened['id']}"
    assert api.get(base, headers=auditor).status_code == 200
    assert api.get("/api/v1/incidents", headers=auditor).status_code == 200
    assert api.get(f"{base}/documents", headers=auditor).status_code == 200
    body = {"type": "loss_theft", "description": "x", "datasets": ["clinic"]}
    assert api.post("/api/v1/incidents", json=body, headers=auditor).status_code == 403
    assert api.post(f"{base}/facts", json={"persons": 5}, headers=auditor).status_code == 403
    assert api.post(f"{base}/tasks/report-to-management/done", headers=auditor).status_code == 403
    assert api.post(f"{base}/documents/ppc_final", headers=auditor).status_code == 403
    assert api.get(base, headers=auditor).json()["tasks"] == opened["tasks"]
    assert api.get(base).status_code == 401


def test_bad_input_names_the_field_never_the_value(api: TestClient, officer: dict[str, str]) -> None:
    r = api.post(
        "/api/v1/incidents",
        json={"type": "missent_email", "description": "山田太郎様の件", "datasets": ["nope"]},
        headers=officer,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "dataset"
    assert "山田" not in r.text and "nope" not in r.text
    late = {"type": "missent_email", "description": "x", "aware_at": AWARE, "occurred_at": "2026-04-02T00:00"}
    r = api.post("/api/v1/incidents", json=late, headers=officer)
    assert r.status_code == 422 and r.json()["error"]["field"] == "occurred_at"
    far = {"type": "missent_email", "description": "x", "aware_at": "9999-12-31T23:59:59+14:00"}
    assert api.post("/api/v1/incidents", json=far, headers=officer).status_code == 422
    assert api.get("/api/v1/incidents", params={"at": far["aware_at"]}, headers=officer).status_code == 422
    assert (
        api.post("/api/v1/incidents", json={"type": "flood", "description": "x"}, headers=officer).status_code
        == 422
    )
    assert api.get("/api/v1/incidents/INC-1999-0001", headers=officer).status_code == 404
    opened = _open(api, officer)
    empty = api.post(f"/api/v1/incidents/{opened['id']}/facts", json={}, headers=officer)
    assert empty.status_code == 422
    extra = api.post(f"/api/v1/incidents/{opened['id']}/facts", json={"colour": "red"}, headers=officer)
    assert extra.status_code == 422 and extra.json()["error"]["field"] == "body.colour"


def test_explicit_subjects_and_facts_at_opening(api: TestClient, officer: dict[str, str]) -> None:
    opened = _open(
        api,
        officer,
        type="web_skimming",
        subjects=["M0000001", "M0000002"],
        facts={"data_categories": ["contact"], "card_or_login": True},
    )
    assert opened["persons"] == 2 and opened["triggers"] == [2, 3]
    codes = [r["code"] for r in opened["reasons"]]
    assert "BREACH_IMPROPER_PURPOSE_ACQUIRING" in codes and "BREACH_FINAL_REPORT_60_DAYS" in codes
    assert opened["facts"]["card_or_login"] is True


def test_notification_list_download_is_formula_safe(api: TestClient, officer: dict[str, str]) -> None:
    """Subject ids come from outside; Excel must not run them (issue 10 finding 3)."""
    opened = _open(api, officer, subjects=["-2", "@SUM.1", "-1.5", "S-1"])
    r = api.post(f"/api/v1/incidents/{opened['id']}/notification-list", headers=officer)
    assert r.status_code == 200
    first = [line.split(",")[0] for line in r.content.decode("utf-8-sig").splitlines()[1:]]
    assert sorted(first) == sorted(["'-2", "'@SUM.1", "'-1.5", "S-1"])
