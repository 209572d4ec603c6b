"""The release service: accepted → running → done/failed, recorded beside the ledger entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.errors import Conflict, HogoError, InputError
from hogo.release.spec import parse_spec
from hogo.services import ledger, runs
from hogo.services import releases as service
from hogo.store.database import write_scope
from tests.release.world import TOKEN_KEY, build_world, personal_spec


@pytest.fixture()
def world(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    build_world(store, tmp_path)
    return store, tmp_path


def test_background_release_runs_to_done_with_its_manifest(world: tuple[Engine, Path]) -> None:
    store, tmp = world
    spec = parse_spec(personal_spec("bg-1"), tmp)
    with write_scope(store) as session:
        release_id = service.start_release(session, store, spec)
        # Nothing runs before the accepting transaction commits.
        assert service.get_release(session, release_id).status == "running"
    info = service.wait_for(store, release_id)
    assert info.status == "done" and info.error is None and info.finished_at is not None
    assert info.counts["allowed"] == 2 and info.manifest["bases"] == {"consent": 1, "opt_out": 1}
    assert info.files == ("release.parquet", "manifest.json")
    assert info.personal("release.parquet") and not info.personal("manifest.json")
    assert (
        Path(info.directory) == tmp / "out" / "bg-1" and (tmp / "out" / "bg-1" / "release.parquet").is_file()
    )
    with write_scope(store) as session:
        # the done row and the ledger entry were written together
        seq = info.manifest["ledger_seq"]
        entry = ledger.entry(session, seq)
        assert entry is not None and entry.payload()["release_id"] == "bg-1"
        assert [r.release_id for r in service.list_releases(session)] == ["bg-1"]
        with pytest.raises(Conflict):
            service.start_release(session, store, spec)  # the id is taken


def test_failed_release_is_recorded_without_data_and_leaves_no_output(world: tuple[Engine, Path]) -> None:
    store, tmp = world
    # The partner file lacks the mapped columns: the run fails after acceptance.
    (tmp / "partner.csv").write_text("mail_address,tel\nsecret@example.jp,1\n", encoding="utf-8")
    spec = parse_spec(personal_spec("bad-1"), tmp)
    with write_scope(store) as session:
        release_id = service.start_release(session, store, spec)
    info = service.wait_for(store, release_id)
    assert info.status == "failed" and info.finished_at is not None and info.files == ()
    assert info.error and "secret@example.jp" not in info.error
    out = tmp / "out"
    assert not out.exists() or list(out.iterdir()) == []
    with write_scope(store) as session:
        assert ledger.verify_ledger(session).ok
        assert ledger.entries_for(session, "release:bad-1") == []


def test_refused_release_is_rejected_before_it_starts(world: tuple[Engine, Path]) -> None:
    store, tmp = world
    spec = parse_spec(personal_spec("no-1", purpose="mynum_share", recipient="broker"), tmp)
    with write_scope(store) as session, pytest.raises(InputError):
        service.start_release(session, store, spec)
    with write_scope(store) as session:
        assert service.list_releases(session) == []


def test_foreground_run_records_failure_and_reraises(world: tuple[Engine, Path]) -> None:
    store, tmp = world
    (tmp / "members.csv").write_text("member_id,email\nM1,x@example.jp\n", encoding="utf-8")
    spec = parse_spec(personal_spec("fg-1"), tmp)
    with pytest.raises(HogoError):
        service.run_now(store, spec)
    with write_scope(store) as session:
        info = service.get_release(session, "fg-1")
    assert info.status == "failed" and info.error
    # A failed release may be retried under the same id.
    (tmp / "members.csv").write_text(
        "member_id,email,phone,purchase_total,prefecture,age_band\nM1,taro@example.jp,,1200,東京都,30代\n",
        encoding="utf-8",
    )
    result = service.run_now(store, spec)
    assert result.counts["allowed"] == 1
    with write_scope(store) as session:
        assert service.get_release(session, "fg-1").status == "done"


def test_cli_runs_lists_and_shows_releases(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    monkeypatch.setenv("HOGO_DATABASE_URL", str(sqlite_engine.url))
    build_world(sqlite_engine, tmp_path)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(personal_spec("cli-1"), allow_unicode=True), "utf-8")
    runner = CliRunner()
    run = runner.invoke(app, ["release", "run", str(tmp_path / "spec.yaml"), "--json"])
    assert run.exit_code == 0, run.output
    listed = json.loads(runner.invoke(app, ["release", "list", "--json"]).stdout)
    assert [(r["release_id"], r["status"], r["counts"]["allowed"]) for r in listed] == [("cli-1", "done", 2)]
    shown = json.loads(runner.invoke(app, ["release", "show", "cli-1", "--json"]).stdout)
    assert shown["manifest"]["release_id"] == "cli-1" and shown["mode"] == "personal"
    text = runner.invoke(app, ["release", "show", "cli-1"]).stdout
    assert "release.parquet" in text and "完了" in text and "行動ターゲティング広告事業者への提供" in text
    assert "対象候補: 4" in text and "ad_partners" not in text  # people's words; --json keeps codes
    missing = runner.invoke(app, ["release", "show", "nope"])
    assert missing.exit_code == 2


def test_release_left_running_by_a_stopped_process_is_marked_failed(world: tuple[Engine, Path]) -> None:
    import socket
    import subprocess
    import sys

    from hogo.release.publish import scratch_dirs
    from hogo.store.releases import ReleaseRow

    store, tmp = world
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    with write_scope(store) as session:
        for name, runner in [("killed", f"{host}:{gone.pid}"), ("alive", runs.runner()),
                             ("elsewhere", f"other-host:{gone.pid}")]:  # fmt: skip
            spec = parse_spec(personal_spec(name), tmp)
            service._accept(session, spec)
            row = session.get(ReleaseRow, name)
            assert row is not None and row.runner == runs.runner()
            row.runner = runner
    for scratch in scratch_dirs(tmp / "out" / "killed"):
        scratch.mkdir(parents=True)
    assert service.recover_interrupted(store) == ["killed"]
    with write_scope(store) as session:
        killed = service.get_release(session, "killed")
        assert killed.status == "failed" and killed.error and "停止" in killed.error
        assert {service.get_release(session, n).status for n in ("alive", "elsewhere")} == {"running"}
    assert not any(p.exists() for p in scratch_dirs(tmp / "out" / "killed"))
    assert service.recover_interrupted(store) == []


@pytest.mark.parametrize("mode", ["aggregate", "anonymized"])
def test_acceptance_judges_the_recipient_the_run_judges(world: tuple[Engine, Path], mode: str) -> None:
    """Statistics and 匿名加工情報 are not personal data: like the run, acceptance judges the use
    within the purpose, not a provision to the recipient (issue 13: acceptance judged
    `spec.recipient` and refused what the run allows). A personal release to a recipient the
    purpose does not name stays refused at acceptance, before any data is read."""
    store, tmp = world
    section = (
        {"aggregate": {"dimensions": ["prefecture"], "min_cell_size": 1}}
        if mode == "aggregate"
        else {"anonymization": {"quasi_identifiers": {"prefecture": "mask"}, "k": 1}}
    )
    data = {**personal_spec(f"{mode}-to-adco", purpose="service", recipient="adco", partner=None),
            "mode": mode, "output": {"dir": "out"}, **section}  # fmt: skip
    del data["partner"]
    result = service.run_now(store, parse_spec(data, tmp))
    assert result.counts["allowed"] == 5
    with write_scope(store) as session:
        assert service.get_release(session, f"{mode}-to-adco").status == "done"
    with pytest.raises(InputError) as info:
        service.run_now(store, parse_spec(personal_spec("personal-to-adco", purpose="service"), tmp))
    assert info.value.field == "purpose"
    with write_scope(store) as session:
        assert [r.release_id for r in service.list_releases(session)] == [f"{mode}-to-adco"]
