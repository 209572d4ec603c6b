"""CSVs for people carry Japanese headings by default and import again whichever headings they
carry (issue 17 item 9): the inventory export, and the rejects file of `--skip-bad` imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run

INVENTORY_CSV = (
    "id,name,owner,location_kind,location,data_categories,purposes,subjects,subject_ids,count,retention,"
    "access_roles,encryption,outsourcees\r\n"
    "crm,顧客台帳,営業部,server,ファイルサーバ,contact,service,,C1;C2;C3,3,5年,sales,none,mailer\r\n"
    "health,健康相談,総務部,cloud,SaaS,contact;medical,,,,1,3年,hr,standard,\r\n"
)
SUBJECTS = "subject_id,birth_date,identity_verified\nS1,1980-01-01,true\nS2,2012-04-01,はい\n"
EVENTS = (
    "event_id,subject_id,purpose_id,action,terms_version,method,collected_at\n"
    "e1,S1,ad_partners,grant,2021-07,web_form,2021-08-01 10:00\n"
    "e2,S2,ad_partners,maybe,2021-07,paper,2021-08-01T10:00+09:00\n"
)


@pytest.mark.parametrize(
    ("style", "first"), [((), "データセットID,名称,管理者"), (("--headers", "machine"), "id,name,owner")]
)
def test_inventory_export_edit_import(
    hogo: Run, policy_file: Path, tmp_path: Path, style: tuple[str, ...], first: str
) -> None:
    hogo("policy", "apply", str(policy_file))
    source = tmp_path / "inventory.csv"
    source.write_text(INVENTORY_CSV, encoding="utf-8")
    hogo("inventory", "import", str(source))
    exported = tmp_path / "out.csv"
    hogo("inventory", "export", "-o", str(exported), "--encoding", "cp932", *style)
    text = exported.read_bytes().decode("cp932")
    assert text.startswith(first)
    exported.write_bytes(text.replace("営業部", "販売部").encode("cp932"))
    result = hogo("inventory", "import", str(exported), "--json", as_json=True)
    assert (result["changed"], result["unchanged"]) == (["crm"], ["health"])
    assert hogo("inventory", "show", "crm", "--json", as_json=True)["dataset"]["owner"] == "販売部"


@pytest.mark.parametrize(
    ("style", "first"), [((), "行,問題,事象ID,本人ID"), (("--headers", "machine"), "row,problems,event_id")]
)
def test_consent_rejects_fixed_and_imported_again(
    hogo: Run, policy_file: Path, tmp_path: Path, style: tuple[str, ...], first: str
) -> None:
    hogo("policy", "apply", str(policy_file))
    (tmp_path / "subjects.csv").write_text(SUBJECTS, encoding="utf-8")
    hogo("subject", "import", str(tmp_path / "subjects.csv"))
    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    result = hogo("consent", "import", str(events), "--skip-bad", "--json", *style, as_json=True)
    assert (result["recorded"], result["rejected"]) == (1, 1)
    rejects = Path(result["rejects_file"])
    text = rejects.read_text(encoding="utf-8-sig")
    assert text.startswith(first) and ("行為: " if not style else "action: ") in text
    rejects.write_text(text.replace(",maybe,", ",grant,"), encoding="utf-8-sig")  # the officer's fix
    again = hogo("consent", "import", str(rejects), "--json", as_json=True)
    assert (again["recorded"], again["rejected"]) == (1, 0)
    history = hogo("consent", "history", "--subject", "S2", "--json", as_json=True)["events"]
    assert [e["event_id"] for e in history] == ["e2"]


def test_subject_rejects_fixed_and_imported_again(hogo: Run, tmp_path: Path) -> None:
    source = tmp_path / "subjects.csv"
    source.write_text(
        "本人ID,生年月日,本人確認\nS1,1980-01-01,はい\nS2,2012-04-01,たぶん\n", encoding="utf-8"
    )
    result = hogo("subject", "import", str(source), "--skip-bad", "--json", as_json=True)
    assert (result["added"], result["rejected"]) == (1, 1)
    rejects = Path(result["rejects_file"])
    text = rejects.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "行,問題,本人ID,生年月日,本人確認" and "本人確認: " in text
    rejects.write_text(text.replace("たぶん", "いいえ"), encoding="utf-8-sig")
    again = hogo("subject", "import", str(rejects), "--json", as_json=True)
    assert (again["added"], again["rejected"]) == (1, 0)
