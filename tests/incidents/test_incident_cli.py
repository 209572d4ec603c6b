"""`hogo incident …` and `hogo inventory …` end to end on a fresh SQLite store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from hogo.cli.incident import _countdown

from .conftest import Run

INVENTORY_CSV = (
    "id,name,owner,location_kind,location,data_categories,purposes,subjects,subject_ids,count,retention,"
    "access_roles,encryption,outsourcees\r\n"
    "crm,顧客台帳,営業部,server,ファイルサーバ,contact,service,,C1;C2;C3,3,5年,sales,none,mailer\r\n"
    "health,健康相談,総務部,cloud,SaaS,contact;medical,,,,1,3年,hr,standard,\r\n"
)


def _setup(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    hogo("policy", "apply", str(policy_file))
    path = tmp_path / "inventory.csv"
    path.write_bytes(INVENTORY_CSV.encode("cp932"))
    result = hogo("inventory", "import", str(path), "--json", as_json=True)
    assert result["added"] == ["crm", "health"]


def test_open_prints_reportability_and_deadlines(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    _setup(hogo, policy_file, tmp_path)
    opened = hogo(
        "incident", "open", "--type", "ransomware", "--aware-at", "2028-02-27T10:00",
        "--description", "ファイルサーバがランサムウェアに感染", "--dataset", "crm", "--json", as_json=True,
    )  # fmt: skip
    assert opened["reportable"] is True and opened["triggers"] == [3]
    assert opened["deadlines"]["preliminary"] == "2028-03-01"  # across the leap day
    assert opened["deadlines"]["final"] == "2028-04-27"
    assert opened["step"]["number"] == 1 and opened["step"]["ja"] == "発見・報告"
    shown = hogo("incident", "show", opened["id"], "--json", as_json=True)
    assert shown["reportable"] is True and shown["deadlines"] == opened["deadlines"]


def test_final_deadline_on_a_holiday_shows_the_statutory_and_recommended_days(
    hogo: Run, policy_file: Path, tmp_path: Path
) -> None:
    """30 days from 2026-04-03 end on Sunday 5/3 (GW): statutory 5/7, recommended 5/1 (item 12)."""
    _setup(hogo, policy_file, tmp_path)
    args = ("incident", "open", "--type", "missent_email", "--aware-at", "2026-04-03T10:00",
            "--description", "健康相談記録の誤送信", "--dataset", "health")  # fmt: skip
    opened = hogo(*args, "--json", as_json=True)
    d = opened["deadlines"]
    assert (d["final_period_end"], d["final"], d["final_recommended"]) == (
        "2026-05-03",
        "2026-05-07",
        "2026-05-01",
    )
    assert d["preliminary"] == "2026-04-06"  # 速報: calendar days, not moved
    shown = hogo("incident", "show", opened["id"]).stdout
    assert "推奨提出日" in shown and "2026-05-01" in shown and "2026-05-07" in shown
    out = tmp_path / "drafts"
    hogo("incident", "docs", opened["id"], "--out", str(out), "--kind", "ppc_final", "--format", "html")
    html = (out / f"{opened['id']}_ppc_final.html").read_text("utf-8")
    assert "推奨提出日" in html


def test_not_reportable_then_facts_change_it(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    _setup(hogo, policy_file, tmp_path)
    opened = hogo(
        "incident", "open", "--type", "missent_email", "--aware-at", "2026-01-31T09:00",
        "--description", "誤送信", "--dataset", "crm", "--json", as_json=True,
    )  # fmt: skip
    assert opened["reportable"] is False and opened["triggers"] == []
    assert opened["deadlines"]["preliminary"] is None and opened["deadlines"]["final"] is None
    changed = hogo(
        "incident", "facts", opened["id"], "--categories", "contact,medical", "--json", as_json=True
    )
    assert changed["reportable"] is True and changed["triggers"] == [1]
    assert changed["deadlines"]["final"] == "2026-03-02"


def test_board_docs_evidence_and_timeline(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    _setup(hogo, policy_file, tmp_path)
    opened = hogo(
        "incident", "open", "--type", "missent_email", "--aware-at", "2026-04-01T09:00",
        "--description", "健康相談記録の誤送信", "--dataset", "health", "--subject", "C1", "--json", as_json=True,
    )  # fmt: skip
    incident_id = opened["id"]
    board = hogo("incident", "board", "--at", "2026-04-03T12:00", "--json", as_json=True)
    assert board[0]["id"] == incident_id and board[0]["preliminary_days_left"] == 1
    assert board[0]["final_days_left"] == 28
    assert "report-to-management" in board[0]["overdue_tasks"]
    assert "事案ボード" in hogo("incident", "board", "--at", "2026-04-03T12:00").stdout
    hogo("incident", "details", incident_id, "--cause", "宛先の選択誤り", "--contact", "窓口 0120-000-000")
    hogo("incident", "done", incident_id, "report-to-management", "--at", "2026-04-01T09:30")
    evidence = tmp_path / "mail.eml"
    evidence.write_bytes(b"From: a\r\n")
    hogo("incident", "evidence", incident_id, str(evidence))
    out = tmp_path / "docs"
    listing = hogo(
        "incident", "docs", incident_id, "--out", str(out), "--format", "html", "--json", as_json=True
    )
    names = {Path(d["path"]).name for d in listing}
    assert f"{incident_id}_ppc_final.html" in names and f"{incident_id}_notice_email.txt" in names
    html = (out / f"{incident_id}_ppc_final.html").read_text("utf-8")
    assert "宛先の選択誤り" in html and "規則7条1号" in html
    rows = list(
        csv.DictReader(io.StringIO((out / f"{incident_id}_notification_list.csv").read_text("utf-8-sig")))
    )
    assert [r["本人ID"] for r in rows] == ["C1"]  # Japanese headers for people
    hogo(
        "incident", "docs", incident_id, "--out", str(out), "--notification-list", "--headers", "machine"
    )  # fmt: skip
    machine = (out / f"{incident_id}_notification_list.csv").read_text("utf-8-sig")
    assert machine.splitlines()[0] == "subject_id,channel,email,phone"
    kinds = [e["kind"] for e in hogo("incident", "timeline", incident_id, "--json", as_json=True)]
    assert kinds[:2] == ["opened", "assessment"] and {"note", "task", "evidence", "document"} <= set(kinds)


def test_docs_write_only_what_was_asked_and_owner_only(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    """A notice letter is not a reason to write everyone's contacts to disk (issue 17 item 6)."""
    _setup(hogo, policy_file, tmp_path)
    opened = hogo(
        "incident", "open", "--type", "missent_email", "--aware-at", "2026-04-01T09:00",
        "--description", "誤送信", "--dataset", "crm", "--subject", "C1", "--json", as_json=True,
    )  # fmt: skip
    incident_id = opened["id"]
    out = tmp_path / "letter"
    args = ("incident", "docs", incident_id, "--out", str(out), "--kind", "notice_letter", "--format", "html")
    listing = hogo(*args, "--json", as_json=True)
    assert [d["kind"] for d in listing] == ["notice_letter"]
    assert sorted(p.name for p in out.iterdir()) == [f"{incident_id}_notice_letter.html"]
    with_list = hogo(*args, "--notification-list", "--json", as_json=True)
    assert sorted(d["kind"] for d in with_list) == ["notice_letter", "notification_list"]
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path.name


def test_playbook_export_edit_apply(hogo: Run, tmp_path: Path) -> None:
    path = tmp_path / "playbooks.yaml"
    hogo("incident", "playbook", "export", "-o", str(path))
    data = yaml.safe_load(path.read_text("utf-8"))
    tasks = data["types"]["missent_email"]
    tasks.append(
        {"id": "call-recipient", "step": 2, "role": "help_desk", "due": "1h", "ja": "誤送信先に電話する"}
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = hogo("incident", "playbook", "apply", str(path), "--json", as_json=True)
    assert result["changed"] == ["missent_email"] and "ransomware" in result["unchanged"]
    again = hogo("incident", "playbook", "export").stdout
    assert "call-recipient" in again
    assert hogo("incident", "playbook", "apply", str(path), "--json", as_json=True)["changed"] == []


def test_inventory_errors_and_export(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    hogo("policy", "apply", str(policy_file))
    bad = tmp_path / "bad.csv"
    bad.write_text(INVENTORY_CSV.replace("contact;medical", "contact;dna"), encoding="utf-8")
    result = hogo("inventory", "import", str(bad), code=2)
    assert "2行目" in result.output and "data_categories.1" in result.output
    assert hogo("inventory", "list", "--json", as_json=True) == [], "all or nothing"
    _setup(hogo, policy_file, tmp_path)
    exported = tmp_path / "out.csv"
    hogo("inventory", "export", "-o", str(exported), "--encoding", "cp932")
    assert "顧客台帳" in exported.read_bytes().decode("cp932")
    shown = hogo("inventory", "show", "crm", "--json", as_json=True)
    assert shown["dataset"]["outsourcees"] == ["mailer"] and shown["versions"][0]["version"] == 1


def test_countdown_cells() -> None:
    assert _countdown(1, "open") == "あと1日"
    assert _countdown(-2, "overdue") == "[red]2日超過[/]"
    assert _countdown(None, "done") == "済"
    assert _countdown(None, None) == "-"
