"""Ids with NUL or control characters never reach a store (issue 10 findings 10 and 18).

PostgreSQL refused NUL in text with a traceback; SQLite stored it silently. Both now refuse the id
before any write, naming the option or the row and field, and store nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.errors import NotFound
from hogo.services.coverage import search_subjects
from hogo.services.subjects import get_subject
from hogo.store.database import make_db, upgrade, write_scope
from hogo.store.tables import SubjectRow

BAD = {"NUL": "nul\x00id", "unit separator": "us\x1fid", "newline inside": "nl\nid", "slash": "sl/id"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url: str = (
        f"sqlite:///{tmp_path / 'ids.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_db(url)
    upgrade(engine)
    engine.dispose()
    return url


def _stored(url: str) -> set[str]:
    engine = make_db(url)
    try:
        with write_scope(engine) as session:
            return set(session.execute(select(SubjectRow.subject_id)).scalars())
    finally:
        engine.dispose()


def _hogo(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("HOGO_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("label", sorted(BAD))
def test_subject_add_refuses_the_id(label: str, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _hogo(store, monkeypatch, "subject", "add", BAD[label])
    assert code == 2 and "subject id" in output and "Traceback" not in output
    assert BAD[label] not in output
    assert not any(s.startswith(BAD[label][:2]) for s in _stored(store))


@pytest.mark.parametrize("label", sorted(BAD))
def test_subject_import_names_row_and_field(
    label: str, store: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    value = BAD[label]
    path = tmp_path / "subjects.csv"
    cell = '"' + value + '"' if "\n" in value else value
    path.write_bytes(
        f"subject_id,birth_date,identity_verified\nok-{label[:2]},,true\n{cell},,false\n".encode()
    )
    code, output = _hogo(store, monkeypatch, "subject", "import", str(path))
    assert code == 2 and "Traceback" not in output
    assert ("row 3" in output and "subject_id" in output) or "3行目" in output
    assert f"ok-{label[:2]}" not in _stored(store)  # all or nothing


@pytest.mark.parametrize("label", sorted(BAD))
def test_lookups_of_impossible_ids_are_not_found(label: str, store: str) -> None:
    """The console's subject page and search reach the store without the API's checks."""
    engine = make_db(store)
    try:
        with write_scope(engine) as session:
            with pytest.raises(NotFound):
                get_subject(session, BAD[label])
            assert search_subjects(session, BAD[label]) == []
    finally:
        engine.dispose()
