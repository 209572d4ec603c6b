from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import Run

SUBJECTS = "subject_id,birth_date,identity_verified\nS1,1980-01-01,true\nS2,2012-04-01,はい\nS3,,false\n"
EVENTS = (
    "event_id,subject_id,purpose_id,action,terms_version,method,collected_at,guardian_name,guardian_relation,"
    "foreign_transfer_info_given\n"
    "e1,S1,*,grant,2020-04,web_form,2020-05-01T10:00,,,\n"
    "e2,S1,ad_partners,grant,2021-07,web_form,2021-08-01 10:00,,,\n"
    "e3,S2,ad_partners,grant,2021-07,paper,2021-08-01T10:00+09:00,,,\n"
    "e4,S1,ad_partners,withdraw,,app,2023-01-01T00:00,,,\n"
)


def _setup(
    hogo: Run, policy_file: Path, tmp_path: Path, events: str = EVENTS, encoding: str = "utf-8"
) -> Path:
    hogo("policy", "apply", str(policy_file))
    (tmp_path / "subjects.csv").write_text(SUBJECTS, encoding=encoding)
    hogo("subject", "import", str(tmp_path / "subjects.csv"))
    path = tmp_path / "events.csv"
    path.write_bytes(events.encode(encoding))
    return path


def test_import_check_history_receipt(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    events = _setup(hogo, policy_file, tmp_path)
    assert hogo("consent", "import", str(events), "--json", as_json=True)["recorded"] == 4
    assert hogo("consent", "import", str(events), "--json", as_json=True) == {
        "recorded": 0, "already_present": 4, "rejected": 0, "rejects_file": ""}  # fmt: skip
    allowed = hogo(
        "consent",
        "check",
        "--subject",
        "S1",
        "--purpose",
        "ad_partners",
        "--at",
        "2022-01-01",
        "--json",
        as_json=True,
    )
    assert allowed["allowed"] is True and allowed["basis"] == "consent"
    assert allowed["reasons"][0] == {
        **allowed["reasons"][0],
        "code": "CONSENT_GRANTED",
        "article": "法27条1項",
    }
    denied = hogo(
        "consent",
        "check",
        "--subject",
        "S1",
        "--purpose",
        "ad_partners",
        "--at",
        "2023-06-01T00:00+09:00",
        "--json",
        as_json=True,
    )
    assert denied["allowed"] is False and denied["reasons"][0]["code"] == "CONSENT_WITHDRAWN"
    child = hogo(
        "consent",
        "check",
        "--subject",
        "S2",
        "--purpose",
        "ad_partners",
        "--at",
        "2022-01-01",
        "--json",
        as_json=True,
    )
    assert child["reasons"][0]["code"] == "GUARDIAN_CONSENT_MISSING"
    hist = hogo("consent", "history", "--subject", "S1", "--json", as_json=True)
    assert [e["event_id"] for e in hist["events"]] == ["e1", "e2", "e4"]
    assert "CONSENT_WITHDRAWN" in hogo("consent", "history", "--subject", "S1").output
    receipt = hogo("consent", "receipt", "e2", as_json=True)
    assert receipt["record_id"] == "e2" and len(receipt["ledger"]["hash"]) == 64
    assert (
        receipt["purposes"][0]["purpose_id"] == "ad_partners"
        and receipt["kantara"]["consentReceiptID"] == "e2"
    )
    assert hogo("ledger", "verify", "--json", as_json=True)["ok"] is True
    shown = hogo("ledger", "show", "--ref", "subject:S1", "--json", as_json=True)
    assert [e["payload"].get("event_id") for e in shown if e["kind"] == "consent_event"] == ["e1", "e2", "e4"]


def test_cp932_with_full_width_digits(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    text = EVENTS.replace("2021-08-01 10:00", "２０２１－０８－０１ １０：００").replace("e3,S2", "e3,Ｓ２")
    events = _setup(hogo, policy_file, tmp_path, text, encoding="cp932")
    assert hogo("consent", "import", str(events), "--json", as_json=True)["recorded"] == 4
    assert (
        hogo("consent", "history", "--subject", "S2", "--json", as_json=True)["events"][0]["event_id"] == "e3"
    )


def test_bad_rows_are_named_and_nothing_is_imported(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    bad = (
        EVENTS
        + "e5,S1,nope,grant,2021-07,web_form,2022-01-01,,,\n"
        + "e6,S1,ad_partners,maybe,,web_form,2022-01-01,,,\n"
        + "e7,S1,ad_partners,grant,,web_form,yesterday,,,\n"
    )
    events = _setup(hogo, policy_file, tmp_path, bad)
    out = hogo("consent", "import", str(events), code=2).output
    assert "7行目" in out and "action" in out and "8行目" in out and "collected_at" in out
    assert hogo("consent", "history", "--subject", "S1", "--json", as_json=True)["events"] == []
    unknown = hogo("consent", "import", str(events), "--skip-bad", code=2).output
    assert "6行目" in unknown and "purpose_id" in unknown
    assert hogo("consent", "history", "--subject", "S1", "--json", as_json=True)["events"] == []


def test_skip_bad_writes_rejects(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    events = _setup(hogo, policy_file, tmp_path, EVENTS + "e6,S1,ad_partners,maybe,,web_form,2022-01-01,,,\n")
    result = hogo("consent", "import", str(events), "--skip-bad", "--json", as_json=True)
    assert result["recorded"] == 4 and result["rejected"] == 1
    rejects = Path(result["rejects_file"]).read_text(encoding="utf-8-sig")
    assert "6" in rejects.splitlines()[1] and "行為: " in rejects  # 行為 is the action column


def test_truncated_and_malformed_files(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    events = _setup(hogo, policy_file, tmp_path, EVENTS + "e9,S1,ad_part")
    assert "6行目" in hogo("consent", "import", str(events), code=2).output
    events.write_bytes(b"event_id,subject_id\n")
    assert "purpose_id" in hogo("consent", "import", str(events), code=2).output
    events.write_bytes(EVENTS.encode() + b'e9,S1,"ad_partners,grant\n')
    assert "6行目" in hogo("consent", "import", str(events), code=2).output
    events.write_bytes(b"\xff\xfe\x00garbage\x81")
    assert "文字コード" in hogo("consent", "import", str(events), code=2).output


def test_record_withdraw_exception_and_eligible(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    _setup(hogo, policy_file, tmp_path)
    hogo("consent", "record", "--subject", "S3", "--purpose", "profiling", "--terms-version", "2020-04",
         "--at", "2022-01-01T10:00", "--event-id", "r1")  # fmt: skip
    hogo("consent", "record", "--subject", "S3", "--purpose", "profiling", "--terms-version", "2020-04",
         "--at", "2022-01-01T10:00", "--event-id", "r1")  # fmt: skip
    assert len(hogo("consent", "history", "--subject", "S3", "--json", as_json=True)["events"]) == 1
    hogo("consent", "withdraw", "--subject", "S1", "--purpose", "*", "--at", "2024-01-01T00:00")
    exc = hogo(
        "consent",
        "exception",
        "--subject",
        "S3",
        "--purpose",
        "health_share",
        "--ground",
        "laws",
        "--at",
        "2024-01-01",
        "--json",
        as_json=True,
    )
    check = hogo(
        "consent",
        "check",
        "--subject",
        "S3",
        "--purpose",
        "health_share",
        "--at",
        "2024-02-01",
        "--json",
        as_json=True,
    )
    assert check["basis"] == "legal_exception" and check["reasons"][0]["article"] == "法27条1項1号"
    assert exc["ground"] == "laws"
    out = tmp_path / "eligible.parquet"
    result = hogo(
        "consent",
        "eligible",
        "--purpose",
        "ad_partners",
        "--at",
        "2022-01-01",
        "--out",
        str(out),
        "--json",
        as_json=True,
    )
    rows = pq.read_table(out).to_pylist()
    assert result["allowed"] == len(rows)
    for row in rows:
        d = hogo(
            "consent",
            "check",
            "--subject",
            row["subject_id"],
            "--purpose",
            "ad_partners",
            "--at",
            "2022-01-01",
            "--json",
            as_json=True,
        )
        assert d["allowed"] and d["basis"] == row["basis"]
    assert json.dumps(result)


def test_snapshot_serves_eligible_until_consent_changes(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    hogo("consent", "import", str(_setup(hogo, policy_file, tmp_path)))
    snap = hogo("consent", "snapshot", str(tmp_path / "snap"), "--json", as_json=True)
    assert snap["rows"]["consent_events.parquet"] == 4 and snap["rows"]["subjects.parquet"] == 3
    args = ["consent", "eligible", "--purpose", "ad_partners", "--at", "2022-01-01", "--json"]
    store = hogo(*args, "--out", str(tmp_path / "a.parquet"), as_json=True)
    snapped = hogo(
        *args, "--out", str(tmp_path / "b.parquet"), "--snapshot", str(tmp_path / "snap"), as_json=True
    )
    assert snapped["by_basis"] == store["by_basis"] and snapped["allowed"] == store["allowed"] > 0
    assert pq.read_table(tmp_path / "a.parquet").equals(pq.read_table(tmp_path / "b.parquet"))
    hogo("consent", "withdraw", "--subject", "S2", "--purpose", "ad_partners", "--at", "2021-12-01T00:00")
    stale = hogo(*args, "--out", str(tmp_path / "c.parquet"), "--snapshot", str(tmp_path / "snap"), code=2)
    assert "ledger_seq" in stale.output and not (tmp_path / "c.parquet").exists()
    hogo("consent", "snapshot", str(tmp_path / "snap"), code=2)  # never overwritten


def test_check_exits_2_with_a_json_error_for_input_errors(
    hogo: Run, policy_file: Path, tmp_path: Path
) -> None:
    """Allowed and denied are answers (exit 0); naming something unknown is an input error (exit 2)."""
    hogo("consent", "import", str(_setup(hogo, policy_file, tmp_path)))
    base = ("consent", "check", "--subject", "S1", "--purpose", "ad_partners", "--at", "2024-01-01")
    denied = hogo(*base, "--json", as_json=True)
    assert denied["allowed"] is False
    cases = {
        "--purpose": ("consent", "check", "--subject", "S1", "--purpose", "nope", "--json"),
        "--subject": ("consent", "check", "--subject", "NOBODY", "--purpose", "ad_partners", "--json"),
        "--recipient": (*base, "--recipient", "nobody_inc", "--json"),
        "--at": (
            "consent",
            "check",
            "--subject",
            "S1",
            "--purpose",
            "ad_partners",
            "--at",
            "yesterday",
            "--json",
        ),
    }
    for field, args in cases.items():
        error = hogo(*args, code=2, as_json=True)["error"]
        assert (error["code"], error["field"]) == ("invalid_input", field), field
        assert error["message_ja"] and error["message_en"]
    # Without --json the error is text on stderr, still exit 2.
    assert hogo("consent", "check", "--subject", "S1", "--purpose", "nope", code=2).stdout == ""


def test_new_users_and_tokens_default_to_the_least_privileged_role(
    hogo: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: without --role, `hogo token create` and `hogo user add` give the auditor role."""
    made = hogo("token", "create", "reader", "--json", as_json=True)
    assert made["role"] == "auditor"
    monkeypatch.setenv("HOGO_NEW_USER_PASSWORD", "a long enough password")
    hogo("user", "add", "someone")
    users = hogo("user", "list", "--json", as_json=True)
    assert [u["role"] for u in users if u["username"] == "someone"] == ["auditor"]


def test_a_collection_time_in_the_future_is_refused(hogo: Run, policy_file: Path, tmp_path: Path) -> None:
    """A grant dated 2099 would outrank, once 2099 came, every choice the person made before: the
    import names its row and field and records nothing; a single record is refused the same way."""
    events = _setup(
        hogo, policy_file, tmp_path, EVENTS + "e5,S1,ad_partners,grant,2021-07,web_form,2099-01-01,,,\n"
    )
    out = hogo("consent", "import", str(events), code=2).output
    assert "6行目" in out and "collected_at" in out and "未来" in out
    assert hogo("consent", "history", "--subject", "S1", "--json", as_json=True)["events"] == []
    refused = hogo("consent", "record", "--subject", "S3", "--purpose", "profiling", "--terms-version", "2020-04",
                   "--at", "2099-01-01T10:00", code=2).output  # fmt: skip
    assert "collected_at" in refused and "未来" in refused
    assert hogo("consent", "history", "--subject", "S3", "--json", as_json=True)["events"] == []


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--guardian-name", "SECRET" + "花" * 300),
        ("--evidence", "SECRET" + "x" * 600),
        ("--terms-version", "v" * 65),
    ],
)
def test_record_refuses_an_option_naming_it_not_its_value(
    hogo: Run, policy_file: Path, tmp_path: Path, option: str, value: str
) -> None:
    """Was: a pydantic traceback (exit 1) quoting the value, a guardian's name among them."""
    _setup(hogo, policy_file, tmp_path)
    base = ["consent", "record", "--subject", "S1", "--purpose", "ad_partners", "--terms-version", "2021-07"]
    result = hogo(*base, option, value, code=2)
    assert f"field {option}:" in " ".join(result.output.split()), result.output
    assert "SECRET" not in result.output and value[:20] not in result.output
