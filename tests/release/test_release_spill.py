"""Where a release's data engine holds and spills its data: a bounded memory limit, and a spill
folder inside the release's private work folder that is gone before the folder is recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from hogo.engines import SqlEngine, default_memory_limit
from hogo.engines import get_engine as real_get_engine
from hogo.release.publish import scratch_dirs
from hogo.release.spec import parse_spec
from hogo.services import releases as service
from hogo.services import runs
from tests.release.world import TOKEN_KEY, build_world, personal_spec


@pytest.fixture()
def world(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    build_world(store, tmp_path)
    return store, tmp_path


def _memory(engine: SqlEngine) -> str:
    return str(engine.scalar("SELECT current_setting('memory_limit')"))


def _temp(engine: SqlEngine) -> str:
    return str(engine.scalar("SELECT current_setting('temp_directory')"))


@pytest.mark.parametrize("limit", [None, "700MB"])
def test_the_release_engine_spills_inside_the_work_folder_and_honours_the_limit(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch, limit: str | None
) -> None:
    store, tmp = world
    if limit is not None:
        monkeypatch.setenv("HOGO_ENGINE_MEMORY_LIMIT", limit)
    work, spill = scratch_dirs(tmp / "out" / "spill-1")
    seen: dict[str, Any] = {}

    def get_engine(name: str, **options: Any) -> SqlEngine:
        engine = real_get_engine(name, **options)
        seen["memory"], seen["temp"] = _memory(engine), _temp(engine)
        seen["spill_during_run"] = spill.is_dir()
        return engine

    steps: list[tuple[str, bool]] = []
    monkeypatch.setattr(runs, "get_engine", get_engine)
    spec = parse_spec(personal_spec("spill-1"), tmp)
    done = service.run_now(store, spec, lambda what, rows=None: steps.append((what, spill.is_dir())))

    assert spill.parent == work and Path(seen["temp"]) == spill and seen["spill_during_run"]
    expected = real_get_engine("duckdb", memory_limit=limit or default_memory_limit())
    try:
        assert seen["memory"] == _memory(expected)
    finally:
        expected.close()
    # The spill folder exists while the engine works, and is gone before the files are recorded.
    assert all(there for what, there in steps if "記録" not in what)
    assert [there for what, there in steps if "記録" in what] == [False]
    assert ".spill" not in done.manifest["files"] and not (done.directory / ".spill").exists()
    assert not work.exists() and not spill.exists()


def test_default_memory_limit_is_a_share_of_the_machine_not_duckdbs_80_percent() -> None:
    import duckdb

    from hogo.engines.base import DEFAULT_MEMORY, MIN_MEMORY, machine_memory

    limit = int(default_memory_limit().removesuffix("MiB")) << 20
    assert MIN_MEMORY <= limit <= DEFAULT_MEMORY and limit <= max(machine_memory() // 8, MIN_MEMORY)
    engine, explicit = (
        real_get_engine("duckdb"),
        real_get_engine("duckdb", memory_limit=default_memory_limit()),
    )
    plain = duckdb.connect()
    try:
        duckdb_own = plain.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert _memory(engine) == _memory(explicit) != duckdb_own
    finally:
        engine.close()
        explicit.close()
        plain.close()


def test_a_failed_release_leaves_no_spill_folder(world: tuple[Engine, Path]) -> None:
    store, tmp = world
    (tmp / "partner.csv").write_text("mail_address,tel\nsecret@example.jp,1\n", encoding="utf-8")
    spec = parse_spec(personal_spec("spill-bad"), tmp)
    with pytest.raises(Exception):  # noqa: B017 - the run's own error; only what is left matters
        service.run_now(store, spec)
    assert not any(p.exists() for p in scratch_dirs(tmp / "out" / "spill-bad"))


def test_an_engine_without_a_spill_folder_spills_into_a_private_one_of_its_own(tmp_path: Path) -> None:
    """Never DuckDB's ".tmp" in the working directory, which may be any folder (a served one)."""
    engine = real_get_engine("duckdb")
    own = Path(_temp(engine))
    try:
        assert own.is_dir() and own.name.startswith("hogo-spill-") and (own.stat().st_mode & 0o077) == 0
    finally:
        engine.close()
    assert not own.exists()
