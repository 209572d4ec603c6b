"""Backups taken before an erasure still hold the person (法35条) until they are pruned:
`hogo backup list` says how many erased persons each generation holds, and keeps listing when the
store itself is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.demo import demo_policy
from hogo.domain.consent import Subject
from hogo.services.erasure import ErasedSpan, erase
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import make_db, write_scope


def _store(url: str) -> None:
    db = make_db(url)
    try:
        with write_scope(db) as s:
            apply_policy(s, demo_policy())
            upsert_subjects(s, [Subject(subject_id="EARLY"), Subject(subject_id="STAYS")])
    finally:
        db.dispose()


def _change(url: str, *, add: str | None = None, erased: tuple[str, ...] = ()) -> None:
    db = make_db(url)
    try:
        with write_scope(db) as s:
            if add:
                upsert_subjects(s, [Subject(subject_id=add)])
            for subject_id in erased:
                erase(s, subject_id)
    finally:
        db.dispose()


def test_each_generation_says_how_many_erased_persons_it_still_holds(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOGO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("HOGO_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("COLUMNS", "220")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, (result.output, result.exception)
        return result.stdout

    _store(sqlite_url)
    first = json.loads(run("backup", "create", "--json"))["generation"]  # holds EARLY and STAYS
    _change(sqlite_url, add="LATER")
    second = json.loads(run("backup", "create", "--json"))["generation"]  # and LATER
    _change(sqlite_url, erased=("EARLY", "LATER"))
    third = json.loads(run("backup", "create", "--json"))["generation"]  # neither
    held = {g["generation"]: g["erased_persons_held"] for g in json.loads(run("backup", "list", "--json"))}
    assert held == {first: 1, second: 2, third: 0}  # LATER came after the first generation
    text = run("backup", "list")
    assert "消去済みの本人" in text and "2 世代に、その後消去した本人のデータが残っています" in text

    lost = tmp_path / "lost" / "hogo.db"
    monkeypatch.setenv("HOGO_DATABASE_URL", f"sqlite:///{lost}")
    listed = json.loads(run("backup", "list", "--json"))
    assert [g["erased_persons_held"] for g in listed] == [None, None, None]
    assert not lost.exists()  # listing never creates an empty store in place of a lost one


def test_a_span_covers_the_persons_time_in_the_store() -> None:
    span = ErasedSpan(first=5, erased=9)
    assert [span.held_by(n) for n in (4, 5, 8, 9, 12)] == [False, True, True, False, False]
