"""A store error never carries the statement's values: they may be a person's e-mail or phone, and
an error's text reaches stderr, logs and tracebacks (issue: a subject import whose phone was
longer than the column printed every value of the row on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from hogo.services.database import write_scope
from hogo.store.tables import SubjectRow

SECRET_EMAIL = "hanako.secret@example.jp"
SECRET_PHONE = "090-7731-4455"


def _row() -> SubjectRow:
    now = datetime.now(UTC)
    return SubjectRow(
        subject_id="S1", birth_date=None, identity_verified=False, email=SECRET_EMAIL, phone=SECRET_PHONE,
        created_at=now, updated_at=now, ledger_seq=0,
    )  # fmt: skip


def test_a_failed_statement_names_no_value(store: Engine) -> None:
    with write_scope(store) as session:
        session.add(_row())
    with pytest.raises(DBAPIError) as info, write_scope(store) as session:
        session.add(_row())  # the same key again: the store refuses the row
    text = str(info.value)
    assert "INSERT INTO subjects" in text, text  # the statement is still named
    assert SECRET_EMAIL not in text and SECRET_PHONE not in text, text
