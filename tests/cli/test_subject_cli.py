"""`hogo subject add|import` change only what they are given (issue 17 item 3); `hogo subject
erase` and `master-key` (issue 11 item 2)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from hogo.store.database import write_scope
from hogo.store.tables import SubjectRow
from tests.cli.conftest import Run


def _stored(subject_id: str) -> SubjectRow:
    engine = create_engine(os.environ["HOGO_DATABASE_URL"])
    try:
        with write_scope(engine) as s:
            row = s.get_one(SubjectRow, subject_id)
            s.expunge(row)
            return row
    finally:
        engine.dispose()


def test_adding_a_contact_keeps_the_birth_date_and_identity_check(hogo: Run) -> None:
    hogo("subject", "add", "M1", "--birth-date", "2010-04-01", "--identity-verified")
    changes = hogo("subject", "add", "M1", "--email", "m1@example.jp", "--json", as_json=True)
    assert changes == {"added": 0, "updated": 1, "unchanged": 0}
    row = _stored("M1")
    assert (row.birth_date, row.identity_verified, row.email) == (date(2010, 4, 1), True, "m1@example.jp")
    # Saying nothing new changes nothing; saying "not verified" explicitly does.
    assert hogo("subject", "add", "M1", "--json", as_json=True)["unchanged"] == 1
    hogo("subject", "add", "M1", "--identity-not-verified")
    row = _stored("M1")
    assert (row.birth_date, row.identity_verified, row.email) == (date(2010, 4, 1), False, "m1@example.jp")


@pytest.mark.parametrize(
    ("option", "value"),
    [("--email", "hanako.secret@"), ("--phone", "secret-0312"), ("--birth-date", "0001-01-01")],
)
def test_a_contact_that_is_none_is_refused_naming_the_option_not_the_value(
    hogo: Run, option: str, value: str
) -> None:
    """Was: kept as given ("abc" as a phone number); and a refused value printed in a traceback."""
    hogo("subject", "add", "M1", "--email", "m1@example.jp")
    result = hogo("subject", "add", "M1", option, value, code=2)
    assert f"field {option}:" in " ".join(result.output.split()), result.output
    assert "secret" not in result.output
    assert _stored("M1").email == "m1@example.jp" and _stored("M1").phone is None


def test_import_leaves_absent_columns_and_empty_cells_as_stored(hogo: Run, tmp_path: Path) -> None:
    hogo("subject", "add", "M1", "--birth-date", "2010-04-01", "--identity-verified", "--phone", "0312345678")
    hogo("subject", "add", "M2", "--birth-date", "1990-01-02", "--identity-verified")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("subject_id,email\nM1,m1@example.jp\nM3,m3@example.jp\n", encoding="utf-8")
    result = hogo("subject", "import", str(contacts), "--json", as_json=True)
    assert (result["added"], result["updated"]) == (1, 1)
    full = tmp_path / "full.csv"
    full.write_text("subject_id,birth_date,identity_verified\nM2,,\n", encoding="utf-8")
    assert hogo("subject", "import", str(full), "--json", as_json=True)["unchanged"] == 1
    m1, m2, m3 = _stored("M1"), _stored("M2"), _stored("M3")
    assert (m1.birth_date, m1.identity_verified, m1.email, m1.phone) == (
        date(2010, 4, 1),
        True,
        "m1@example.jp",
        "0312345678",
    )
    assert (m2.birth_date, m2.identity_verified) == (date(1990, 1, 2), True)
    assert (m3.birth_date, m3.identity_verified, m3.email) == (None, False, "m3@example.jp")


def test_erase_asks_first_then_forgets_the_person_and_the_ledger_still_verifies(
    hogo: Run, policy_file: Path
) -> None:
    hogo("policy", "apply", str(policy_file))
    hogo("subject", "add", "ERASEME1", "--birth-date", "1970-01-31", "--email", "erase.me@example.jp")
    hogo("subject", "add", "KEEPME1")
    shown = hogo("ledger", "show", "--ref", "subject:ERASEME1", "--json", as_json=True)
    assert [e["payload"]["subject_id"] for e in shown] == ["ERASEME1"]  # opened with the person's key
    hogo("subject", "erase", "ERASEME1", code=1)  # no confirmation: nothing happens
    assert _stored("ERASEME1").email == "erase.me@example.jp"
    done = hogo("subject", "erase", "ERASEME1", "--yes", "--json", as_json=True)
    assert done["keys_destroyed"] and done["rows"] == {"subjects": 1}
    assert hogo("ledger", "show", "--ref", "subject:ERASEME1", "--json", as_json=True) == []
    entry = hogo("ledger", "show", "--ref", f"erasure:{done['erasure_id']}", "--json", as_json=True)[0]
    assert entry["kind"] == "erasure" and "ERASEME1" not in str(entry)
    assert "台帳は完全です" in hogo("ledger", "verify").output
    hogo("subject", "erase", "ERASEME1", "--yes", code=2)  # gone: not found


def test_master_key_new_and_rotate(hogo: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = tmp_path / "keys" / "first.key"
    hogo("subject", "master-key", "new", str(first))
    assert first.stat().st_mode & 0o777 == 0o600
    hogo("subject", "master-key", "new", str(first), code=2)  # never overwritten
    monkeypatch.setenv("HOGO_MASTER_KEY_FILE", str(first))
    hogo("subject", "add", "ROT1", "--birth-date", "1970-01-31")
    second = tmp_path / "keys" / "second.key"
    done = hogo("subject", "master-key", "rotate", str(second), "--json", as_json=True)
    assert done["persons"] == 1 and second.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("HOGO_MASTER_KEY_FILE", str(second))
    shown = hogo("ledger", "show", "--ref", "subject:ROT1", "--json", as_json=True)
    assert shown[0]["payload"]["birth_date"] == "1970-01-31"
