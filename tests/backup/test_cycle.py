"""Backup → damage the live store → restore → verify, and everything that must stop a bad restore."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import delete, text

from hogo.backup import crypto, generations
from hogo.backup.manifest import MANIFEST
from hogo.backup.retention import RetentionPolicy
from hogo.errors import HogoError, NotFound
from hogo.services import ledger, readiness
from hogo.store.database import make_db, write_scope
from hogo.store.tables import LedgerEntryRow
from tests.backup.conftest import seed


def _state(url: str) -> tuple[bool, int, list[str]]:
    """(ledger ok, entries, stored asset ids) of the live store."""
    engine = make_db(url)
    try:
        with write_scope(engine) as session:
            v = ledger.verify_ledger(session)
            inventory, _ = readiness.load_inventory(session)
            return v.ok, v.entries, [a.id for a in inventory.assets]
    finally:
        engine.dispose()


def _writable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _live_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def test_full_cycle_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    assert _state(sqlite_url) == (True, 2, ["dev-1"])
    manifest = generations.create(sqlite_url, folder)
    gen = folder / manifest.generation
    assert manifest.ledger.entries == 2 and manifest.dialect == "sqlite" and manifest.encryption is None
    assert not _writable(gen) and not any(_writable(p) for p in gen.iterdir())
    assert sorted(p.name for p in gen.iterdir()) == ["database.sqlite3", MANIFEST]
    assert _state(sqlite_url)[1] == 3  # the backup itself is noted in the live ledger

    # damage: change a ledger entry and lose the inventory
    engine = make_db(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET payload = '{}' WHERE seq = 1"))
        conn.execute(text("DELETE FROM readiness_assets"))
    engine.dispose()
    assert _state(sqlite_url) == (False, 0, [])

    report = generations.verify(folder, None, deep=True)
    assert report.ok and report.ledger == manifest.ledger
    done = generations.restore(folder, "latest", sqlite_url)
    assert done.ledger == manifest.ledger and done.set_aside is not None and done.set_aside.exists()
    assert _state(sqlite_url) == (True, 3, ["dev-1"])  # restored, plus the "restored" entry


def test_restore_over_a_destroyed_file(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    generations.create(sqlite_url, folder)
    live = _live_file(sqlite_url)
    live.write_bytes(b"encrypted by ransomware" * 1000)
    for suffix in ("-wal", "-shm"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(live).execute("SELECT 1 FROM ledger_entries").fetchall()
    done = generations.restore(folder, None, sqlite_url)
    assert _state(sqlite_url)[0] and (done.set_aside / "hogo.db").read_bytes().startswith(b"encrypted")  # type: ignore[operator]


def test_encrypted_generation(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    key = crypto.parse_key(crypto.generate_key())
    manifest = generations.create(sqlite_url, folder, key)
    gen = folder / manifest.generation
    assert [p.name for p in gen.iterdir() if p.name != MANIFEST] == ["database.sqlite3.enc"]
    assert not (gen / "database.sqlite3.enc").read_bytes().startswith(b"SQLite format 3")
    assert manifest.encryption is not None and manifest.mac_ok(key)

    assert not generations.verify(folder, None).ok  # no key: the MAC cannot be checked
    other = crypto.parse_key(crypto.generate_key())
    assert not generations.verify(folder, None, other, deep=True).ok
    assert generations.verify(folder, None, key, deep=True).ok
    with pytest.raises(HogoError):
        generations.restore(folder, None, sqlite_url)

    engine = make_db(sqlite_url)
    with write_scope(engine) as session:
        session.execute(delete(LedgerEntryRow).where(LedgerEntryRow.seq == 2))
    engine.dispose()
    assert not _state(sqlite_url)[0]
    generations.restore(folder, manifest.generation, sqlite_url, key)
    assert _state(sqlite_url) == (True, 3, ["dev-1"])

    # a changed manifest is caught by its MAC
    path = gen / MANIFEST
    gen.chmod(0o755)
    path.chmod(0o644)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["ledger"]["entries"] = 1
    path.write_text(json.dumps(data), encoding="utf-8")
    assert any("MAC" in en for _, en in generations.verify(folder, None, key).problems)


def test_tampered_generation_is_refused_and_live_store_untouched(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    manifest = generations.create(sqlite_url, folder)
    snapshot = folder / manifest.generation / manifest.snapshot.name
    snapshot.chmod(0o644)
    with snapshot.open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00\x01\x02")
    report = generations.verify(folder, manifest.generation)
    problems = " ".join(en for _, en in report.problems)
    assert "hash mismatch" in problems and "writable" in problems
    before = _live_file(sqlite_url).read_bytes()
    with pytest.raises(HogoError):
        generations.restore(folder, manifest.generation, sqlite_url)
    assert _live_file(sqlite_url).read_bytes() == before


def test_restore_to_another_database_is_a_restore_test(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    generations.create(sqlite_url, folder)
    drill = f"sqlite:///{tmp_path / 'drill.db'}"
    done = generations.restore(folder, None, drill)
    assert done.set_aside is None and _state(drill) == (True, 3, ["dev-1"])


def test_list_and_prune(sqlite_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    ids = [generations.create(sqlite_url, folder).generation for _ in range(4)]
    (folder / ".20990101T000000000000Z.partial").mkdir()  # an interrupted run is not a generation
    assert [g.id for g in generations.list_generations(folder)] == ids
    policy = RetentionPolicy(keep_last=2, keep_daily=0, keep_weekly=0, keep_monthly=0)
    assert generations.prune(folder, policy, dry_run=True) == ids[:2]
    assert len(generations.list_generations(folder)) == 4
    assert generations.prune(folder, policy) == ids[:2]
    assert [g.id for g in generations.list_generations(folder)] == ids[2:]
    with pytest.raises(NotFound):
        generations.find(folder, ids[0])
    with pytest.raises(NotFound):
        generations.find(tmp_path / "empty", None)


def test_refuses_to_back_up_a_broken_ledger(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_db(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET kind = 'x' WHERE seq = 1"))
    engine.dispose()
    with pytest.raises(HogoError) as info:
        generations.create(sqlite_url, tmp_path / "backups")
    assert "seq 1" in info.value.en
    assert list((tmp_path / "backups").iterdir()) == []  # nothing half-written


@pytest.mark.postgres
def test_full_cycle_postgres(postgres_url: str, tmp_path: Path) -> None:
    seed(postgres_url)
    folder = tmp_path / "backups"
    key = crypto.parse_key(crypto.generate_key())
    manifest = generations.create(postgres_url, folder, key)
    assert manifest.dialect == "postgresql" and manifest.snapshot.name == "database.pgdump.enc"
    engine = make_db(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE seq = 1"))
        conn.execute(text("DELETE FROM readiness_assets"))
    engine.dispose()
    assert _state(postgres_url) == (False, 0, [])
    assert generations.verify(folder, None, key, deep=True, url=postgres_url).ok
    generations.restore(folder, None, postgres_url, key)
    ok, entries, assets = _state(postgres_url)
    assert ok and entries == manifest.ledger.entries + 1 and assets == ["dev-1"]
