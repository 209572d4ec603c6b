"""Recorded profile runs: a row written with the ledger entry, `hogo profile list|show`, and
erasure (法35条) removing the erased person's rows from the stored outputs — the file no longer
holds them, its recorded digest is the new file's, the ledger says how many rows left (never
whose) and still verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.errors import InputError
from hogo.files.digest import sha256_file
from hogo.profiling.spec import parse_profile_spec
from hogo.release.spec import SpecPaths
from hogo.services import ledger, runs
from hogo.services import profiles as service
from hogo.services.erasure import erase
from hogo.services.profiles import run_profile
from hogo.store.database import read_scope, write_scope
from tests.profiling.test_profile_jobs import job, world

__all__ = ["world"]


def _run(store: Engine, folder: Path, job_id: str, fmt: str = "parquet") -> runs.RecordedRun:
    spec = job(folder, job_id, output={"dir": "profiles", "format": fmt})
    return run_profile(store, parse_profile_spec(spec, SpecPaths.local(folder)))


def _ids(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return [str(v) for v in pq.read_table(path)["subject_id"].to_pylist()]
    read = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={"subject_id": "string"}))
    return [str(v) for v in read["subject_id"].to_pylist()]


def test_a_run_is_recorded_with_its_ledger_entry(world: tuple[Engine, Path]) -> None:
    store, folder = world
    done = _run(store, folder, "rec-1")
    with read_scope(store) as session:
        info = service.get_profile(session, "rec-1")
        listed = [i.profile_id for i in service.list_profiles(session)]
    assert listed == ["rec-1"]
    assert info.ledger_seq == done.manifest["ledger_seq"] and info.profiled == 2
    assert info.output_sha256 == sha256_file(done.directory / "profiles.parquet")
    assert info.manifest["features_sha256"] == done.manifest["features_sha256"]
    assert info.counts["excluded"] == 3 and info.rows_erased == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_erasure_removes_the_person_from_stored_outputs(world: tuple[Engine, Path], fmt: str) -> None:
    store, folder = world
    first, second = _run(store, folder, "er-1", fmt), _run(store, folder, "er-2", fmt)
    name = first.directory / f"profiles.{fmt}"
    assert _ids(name) == ["S1", "S4"]
    with write_scope(store) as session:
        erase(session, "S1")
    for run in (first, second):
        path = run.directory / f"profiles.{fmt}"
        assert _ids(path) == ["S4"]
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        with read_scope(store) as session:
            info = service.get_profile(session, run.run_id)
            entries = ledger.entries_for(session, f"profile:{run.run_id}")
        assert info.output_sha256 == sha256_file(path) and info.rows_erased == 1
        last = entries[-1].payload()
        assert (
            last["erasure"] == {"rows_removed": 1} and last["files"][f"profiles.{fmt}"] == info.output_sha256
        )
        assert "S1" not in json.dumps(last)
    assert not list(first.directory.glob(".*erasing"))
    with read_scope(store) as session:
        assert ledger.verify_ledger(session).ok
    with write_scope(store) as session:
        erase(session, "S5")  # profiled nowhere: no output changes, no entry
        assert len(ledger.entries_for(session, "profile:er-1")) == 2


def test_a_rolled_back_erasure_leaves_the_output(world: tuple[Engine, Path]) -> None:
    store, folder = world
    run = _run(store, folder, "rb-1")
    before = sha256_file(run.directory / "profiles.parquet")
    with pytest.raises(RuntimeError), write_scope(store) as session:
        erase(session, "S1")
        raise RuntimeError("abort")
    assert sha256_file(run.directory / "profiles.parquet") == before
    assert not list(run.directory.glob(".*erasing"))
    with read_scope(store) as session:
        assert service.get_profile(session, "rb-1").output_sha256 == before


def test_the_cli_lists_and_shows_runs_and_ledger_verify_passes_after_erasure(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder = world
    if store.dialect.name != "sqlite":
        pytest.skip("the CLI path is the same on both backends; run once")
    monkeypatch.setenv("HOGO_DATABASE_URL", str(store.url))
    (folder / "job.yaml").write_text(yaml.safe_dump(job(folder, "cli-2"), allow_unicode=True), "utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["profile", "run", str(folder / "job.yaml")]).exit_code == 0
    listed = runner.invoke(app, ["profile", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["profile_id"] for r in json.loads(listed.stdout)] == ["cli-2"]
    with write_scope(store) as session:
        erase(session, "S4")
    shown = runner.invoke(app, ["profile", "show", "cli-2", "--json"])
    body = json.loads(shown.stdout)
    assert body["rows_erased"] == 1 and body["counts"]["profiled"] == 2
    assert body["manifest"]["features_sha256"]
    assert runner.invoke(app, ["profile", "show", "cli-2"]).exit_code == 0
    assert runner.invoke(app, ["profile", "show", "nope"]).exit_code != 0
    verify = runner.invoke(app, ["ledger", "verify", "--json"])
    assert verify.exit_code == 0 and json.loads(verify.stdout)["ok"] is True


def test_a_failed_run_is_recorded_failed_without_personal_data_and_may_run_again(
    world: tuple[Engine, Path],
) -> None:
    store, folder = world
    (folder / "bad.csv").write_text("member_id,purchased_at,amount_yen\nS1,2024-05-01 10:00,千円\n", "utf-8")
    columns = {c: c for c in ["member_id", "purchased_at", "amount_yen"]}
    spec = job(
        folder,
        "bad-1",
        purchases={"path": "bad.csv", "columns": columns},
        features=[{"name": "n", "kind": "frequency"}],
    )
    with pytest.raises(InputError):
        run_profile(store, parse_profile_spec(spec, SpecPaths.local(folder)))
    with read_scope(store) as session:
        info = service.get_profile(session, "bad-1")
    assert info.status == "failed" and info.error is not None and "千円" not in info.error
    assert info.ledger_seq is None and not (folder / "profiles" / "bad-1").exists()
    (folder / "bad.csv").write_text("member_id,purchased_at,amount_yen\nS1,2024-05-01 10:00,100\n", "utf-8")
    assert run_profile(store, parse_profile_spec(spec, SpecPaths.local(folder))).counts["profiled"] == 2


def test_a_run_whose_process_stopped_is_settled_and_its_id_runs_again(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `running` row left by a stopped process is marked failed (its scratch folder removed); a
    run recorded just before its process stopped gets its folder."""
    from hogo.release import publish as publication
    from hogo.release.publish import scratch_dirs
    from hogo.store.profiles import ProfileRunRow

    store, folder = world

    def failing(*args: object) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(runs, "alive", lambda runner: False)  # as if the process had stopped
    with monkeypatch.context() as mp, pytest.raises(OSError):
        mp.setattr(publication, "publish", failing)  # the rename after the record commits
        _run(store, folder, "late")
    final = folder / "profiles" / "late"
    assert not final.exists() and scratch_dirs(final)[0].is_dir()
    with write_scope(store) as session:
        session.add(ProfileRunRow(profile_id="stuck", purpose="purchase_profiling", status="running",
                                  run_at=datetime.now(UTC), started_at=datetime.now(UTC),
                                  directory=str(folder / "profiles" / "stuck"), output_file="profiles.parquet",
                                  rows_erased=0, runner="somewhere:1"))  # fmt: skip
    assert service.recover_interrupted(store) == ["stuck"]
    assert final.is_dir() and (final / "profiles.parquet").is_file()
    with read_scope(store) as session:
        assert service.get_profile(session, "late").status == "done"
        stuck = service.get_profile(session, "stuck")
    assert stuck.status == "failed" and stuck.error is not None
    assert _run(store, folder, "stuck").counts["profiled"] == 2
