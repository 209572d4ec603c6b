"""`hogo subject add|import` change only what they are given (issue 17 item 3)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

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
