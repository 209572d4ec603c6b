"""`hogo provision receive|list-received` end to end, and the receipt in `hogo disclosure`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cli.conftest import Run

SUBJECTS = "subject_id,birth_date,identity_verified\nS1,1980-01-01,true\nS2,1990-04-01,true\nS3,,false\n"


def _setup(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    hogo("policy", "apply", str(policy_file))
    (tmp_path / "subjects.csv").write_text(SUBJECTS, encoding="utf-8")
    hogo("subject", "import", str(tmp_path / "subjects.csv"))


def _receive(hogo: Run, persons: Path, *extra: str, code: int = 0, as_json: bool = False) -> Any:
    return hogo(
        "provision",
        "receive",
        str(persons),
        "--provider-name",
        "名簿提供株式会社",
        "--provider-address",
        "大阪府大阪市北区1-2",
        "--acquisition",
        "自社会員から同意を得て取得",
        "--item",
        "氏名",
        "--item",
        "メールアドレス",
        "--received-at",
        "2024-06-01T10:00",
        *extra,
        code=code,
        as_json=as_json,
    )


def test_receive_list_and_disclose(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    _setup(hogo, policy_file, tmp_path)
    persons = tmp_path / "persons.csv"
    persons.write_bytes("subject_id\r\nＳ１\r\nS2\r\n".encode("cp932"))
    record = _receive(
        hogo,
        persons,
        "--representative",
        "提供 一郎",
        "--basis",
        "opt_out",
        "--ppc-publication-confirmed",
        "--received-id",
        "in-1",
        "--json",
        as_json=True,
    )
    assert record["persons"] == 2 and record["basis"] == "opt_out" and record["ppc_publication_confirmed"]
    assert record["provider"]["representative"] == "提供 一郎"
    assert record["opt_out_received_dates"] == ["2024-06-01"]
    [listed] = hogo("provision", "list-received", "--json", as_json=True)
    assert listed == record
    table = hogo("provision", "list-received").output
    assert "名簿提供株式会社" in table and "オプトアウト" in table
    answer = hogo("disclosure", "S1", as_json=True)
    assert [r["received_id"] for r in answer["third_party_receipt_records"]] == ["in-1"]
    assert hogo("disclosure", "S3", as_json=True)["third_party_receipt_records"] == []
    hogo("disclosure", "S1", "--out", str(tmp_path / "answer.html"))
    html = (tmp_path / "answer.html").read_text(encoding="utf-8")
    assert "第三者から提供を受けた記録" in html and "自社会員から同意を得て取得" in html
    assert hogo("ledger", "verify").exit_code == 0


def test_refusals_name_the_field_or_row_and_store_nothing(
    hogo: Run, policy_file: Path, tmp_path: Path
) -> None:
    _setup(hogo, policy_file, tmp_path)
    persons = tmp_path / "persons.csv"
    persons.write_text("subject_id\nS1\n", encoding="utf-8")
    no_rep = _receive(hogo, persons, "--basis", "consent", code=2)
    assert "provider_representative" in no_rep.output
    unconfirmed = _receive(hogo, persons, "--representative", "提供 一郎", "--basis", "opt_out", code=2)
    assert "ppc_publication_confirmed" in unconfirmed.output
    persons.write_text("\ufeffsubject_id\nS1\nSECRET-99\n", encoding="utf-8")
    unknown = _receive(hogo, persons, "--representative", "提供 一郎", "--basis", "consent", code=2)
    assert "3行目 subject_id" in unknown.output and "SECRET-99" not in unknown.output
    assert hogo("provision", "list-received", "--json", as_json=True) == []
    missing = _receive(hogo, persons.with_name("none.csv"), "--basis", "consent", code=2)
    assert "none.csv" in missing.output
    persons.write_text("subject_id\nS2\n", encoding="utf-8")
    _receive(hogo, persons, "--provider-kind", "individual", "--basis", "consent")
    assert len(hogo("provision", "list-received", "--json", as_json=True)) == 1
    # 法人でない団体: the representative (or administrator) only if it has one.
    club = _receive(
        hogo, persons, "--provider-kind", "association", "--basis", "consent", "--json", as_json=True
    )
    assert club["provider"]["kind"] == "association" and club["provider"]["representative"] is None
