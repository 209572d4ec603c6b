"""A release killed at any point leaves either its record and its folder, or neither (issue 10
finding 16).

Each case runs `hogo release run`'s service in a child process that dies (`os._exit`, no cleanup,
as under kill -9) at one step of recording and publishing. Whatever is on disk at that moment, a
folder under the release's final name exists only with its ledger entry; recovery then finishes
a recorded release or removes an unrecorded one, and the id can be run again. The same steps
failing with an exception (no crash) must not leave a half state either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hogo.release import publish as publication
from hogo.release.publish import scratch_dirs
from hogo.release.spec import parse_spec
from hogo.services import ledger, runs
from hogo.services import releases as service
from hogo.store.database import write_scope
from tests.release.world import TOKEN_KEY, build_world, personal_spec

ROOT = Path(__file__).resolve().parents[2]

#: (step, crash before or after it, recorded when the crash happens)
POINTS = [
    ("prepare_release", "after", False),  # data written into the scratch folder
    ("sha256_file", "after", False),  # inside the recording transaction
    ("write_manifest", "after", False),  # ledger entry and done row written, not committed
    ("publish", "before", True),  # committed, folder not yet renamed
    ("publish", "after", True),  # renamed
]

CHILD = """
import os, sys
from pathlib import Path
import hogo.release.publish as publication
import hogo.services.releases as service_module
step, when, url, folder, rid = sys.argv[1:6]
# The rename lives with the folder rules (hogo.release.publish); the other steps in the service.
run = publication if step == "publish" else service_module
real = getattr(run, step)
def crashing(*args, **kwargs):
    if when == "before":
        os._exit(70)
    result = real(*args, **kwargs)
    os._exit(70)
setattr(run, step, crashing)
from hogo.release.spec import parse_spec
from hogo.services import releases as service
from hogo.store.database import make_db
from tests.release.world import personal_spec
service.run_now(make_db(url), parse_spec(personal_spec(rid), Path(folder)))
"""


@pytest.fixture()
def world(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    build_world(sqlite_engine, tmp_path)
    return sqlite_engine, tmp_path


def _recorded(store: Engine, release_id: str) -> bool:
    with write_scope(store) as session:
        return bool(ledger.entries_for(session, f"release:{release_id}"))


def _check_consistent(store: Engine, final: Path, release_id: str) -> None:
    """A folder under the final name is a recorded release whose manifest tells the truth."""
    if not final.exists():
        return
    assert _recorded(store, release_id)
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    with write_scope(store) as session:
        entry = ledger.entry(session, manifest["ledger_seq"])
        assert entry is not None and entry.payload()["release_id"] == release_id


@pytest.mark.parametrize(("step", "when", "recorded"), POINTS, ids=[f"{w}-{s}" for s, w, _ in POINTS])
def test_a_release_killed_at_any_step_is_whole_or_absent_after_recovery(
    world: tuple[Engine, Path], step: str, when: str, recorded: bool
) -> None:
    store, folder = world
    rid = f"crash-{step.strip('_')}-{when}"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "HOGO_TOKEN_KEY": TOKEN_KEY}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, step, when, str(store.url), str(folder), rid],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 70, child.stderr[-2000:]
    final = folder / "out" / rid
    assert _recorded(store, rid) is recorded
    _check_consistent(store, final, rid)  # at the moment of the crash

    service.recover_interrupted(store)
    _check_consistent(store, final, rid)
    assert not any(p.exists() for p in scratch_dirs(final))
    with write_scope(store) as session:
        info = service.get_release(session, rid)
    if recorded:
        assert info.status == "done" and final.is_dir()
        assert sorted(p.name for p in final.iterdir()) == ["manifest.json", "release.parquet"]
    else:
        assert info.status == "failed" and not final.exists()
        result = service.run_now(store, parse_spec(personal_spec(rid), folder))  # the id can be run again
        assert result.directory == final and final.is_dir()
        _check_consistent(store, final, rid)


@pytest.mark.parametrize("step", ["prepare_release", "sha256_file", "write_manifest", "seal"])
def test_a_step_failing_before_the_record_commits_leaves_nothing(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    store, folder = world

    def failing(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(service, step, failing)
    rid = f"fail-{step.strip('_')}"
    with pytest.raises(OSError):
        service.run_now(store, parse_spec(personal_spec(rid), folder))
    final = folder / "out" / rid
    assert not final.exists() and not any(p.exists() for p in scratch_dirs(final))
    assert not _recorded(store, rid)
    with write_scope(store) as session:
        assert service.get_release(session, rid).status == "failed"
    monkeypatch.undo()
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    assert service.run_now(store, parse_spec(personal_spec(rid), folder)).directory == final


def test_a_failed_rename_after_the_record_keeps_the_release_done_and_recovery_completes_it(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder = world

    def failing(*args: object) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(runs, "alive", lambda runner: False)  # as if this process had stopped
    with monkeypatch.context() as mp, pytest.raises(OSError):
        mp.setattr(publication, "publish", failing)  # the rename after the record commits
        service.run_now(store, parse_spec(personal_spec("late"), folder))
    with write_scope(store) as session:
        assert service.get_release(session, "late").status == "done"  # recorded: not marked failed
    final = folder / "out" / "late"
    assert not final.exists() and scratch_dirs(final)[0].is_dir()
    service.recover_interrupted(store)
    assert final.is_dir() and not scratch_dirs(final)[0].exists()
    _check_consistent(store, final, "late")


def test_a_folder_left_by_an_earlier_version_without_its_record_is_removed_and_the_id_reruns(
    world: tuple[Engine, Path],
) -> None:
    """Before this fix recovery marked such a release failed but left its complete-looking folder,
    and running the id again was refused."""
    store, folder = world
    spec = parse_spec(personal_spec("legacy"), folder)
    with pytest.raises(OSError), pytest.MonkeyPatch.context() as mp:
        mp.setattr(service, "prepare_release", lambda *a, **k: (_ for _ in ()).throw(OSError("stop")))
        service.run_now(store, spec)
    final = folder / "out" / "legacy"
    final.mkdir(parents=True)
    (final / "manifest.json").write_text(json.dumps({"release_id": "legacy", "ledger_seq": 999}), "utf-8")
    (final / "release.parquet").write_bytes(b"PAR1")
    service.recover_interrupted(store)
    assert not final.exists()
    assert service.run_now(store, spec).directory == final
    _check_consistent(store, final, "legacy")
