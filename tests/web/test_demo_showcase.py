"""Issue 17 item 7: the demo shows the whole product, and every console page has something true
to show — incidents at different stages (one 速報 overdue, one closed), an inventory, a readiness
inventory with findings, a received record and two releases; `hogo synth` ids are the demo's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.demo import DemoData, build_database
from hogo.domain.clock import JST
from hogo.domain.incidents.deadlines import DeadlineState
from hogo.http.app import create_app
from hogo.services import auth, incidents, readiness, received, releases
from hogo.services.inventory import load_inventory
from hogo.store.database import make_db, write_scope
from hogo.synth.generate import SynthSpec, generate
from tests.api.env import PASSWORD, SECRET, Env, client, login

SUBJECTS = 300
SEED = 11


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, DemoData, Path]]:
    folder = Path(tmp_path_factory.mktemp("demo-showcase"))
    data_dir = folder / "data"
    data = build_database(folder / "demo.db", SUBJECTS, SEED, data_dir=data_dir, showcase=True)
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = make_db(url)
    with write_scope(engine) as session:
        auth.create_user(session, "officer", PASSWORD, Role.privacy_officer)
    settings = Settings(database_url=url, secret_key=SECRET, data_dir=data_dir)
    env = Env(create_app(settings, db=engine), engine, url, {}, {Role.privacy_officer: "officer"})
    yield env, data, data_dir
    engine.dispose()


@pytest.fixture()
def officer(demo: tuple[Env, DemoData, Path]) -> Iterator[TestClient]:
    with client(demo[0]) as c:
        login(c, "officer")
        yield c


def test_the_demo_store_holds_every_kind_of_record(demo: tuple[Env, DemoData, Path]) -> None:
    env, data, _ = demo
    shown = data.showcase
    assert shown is not None and len(shown.incidents) == 3 and len(shown.releases) == 2
    with write_scope(env.db) as session:
        assert len(load_inventory(session).datasets) == 3
        rows = incidents.board(session, datetime.now(JST), include_closed=True)
        assert len(rows) == 3
        assert sum(1 for r in rows if r.status != "open") == 1  # one closed
        assert any(r.preliminary_state is DeadlineState.overdue for r in rows if r.status == "open")
        inventory, answers = readiness.load_inventory(session)
        assert len(inventory.assets) == 5 and len(inventory.backups) == 2 and answers
        assert len(readiness.history(session)) == 1
        assert [r.received_id for r in received.list_received(session)] == [shown.received]
        found = {i.release_id: i for i in releases.list_releases(session)}
    assert set(found) == set(shown.releases)
    assert {i.mode.value for i in found.values()} == {"anonymized", "aggregate"}
    assert all(i.status == "done" and i.counts.get("allowed", 0) > 0 for i in found.values())
    # The statistics are of members the marketing purpose may include: some are left out, with reasons.
    stats = next(i for i in found.values() if i.mode.value == "aggregate")
    assert stats.counts["excluded"] > 0
    assert sum(stats.manifest["excluded_by_reason"].values()) == stats.counts["excluded"]


def test_synth_ids_line_up_with_the_demo(demo: tuple[Env, DemoData, Path], tmp_path: Path) -> None:
    _, data, data_dir = demo
    demo_ids = [s.subject_id for s in data.subjects]
    written = pq.read_table(data_dir / "inputs" / "members.parquet", columns=["member_id"])
    assert written.column("member_id").to_pylist() == demo_ids
    generate(SynthSpec(members=SUBJECTS, seed=0), tmp_path)  # what a user runs: `hogo synth --members 300`
    fresh = pq.read_table(tmp_path / "members.parquet", columns=["member_id"]).column("member_id").to_pylist()
    assert fresh == demo_ids
    truth = pq.read_table(tmp_path / "partner_truth.parquet").column("member_id").to_pylist()
    assert {m for m in truth if m} <= set(demo_ids)


def test_every_console_page_shows_the_demo_records(
    officer: TestClient, demo: tuple[Env, DemoData, Path]
) -> None:
    _, data, _ = demo
    assert data.showcase is not None
    board = officer.get("/incidents").text
    assert board.count('<tr id="incident-') == 2 and "cd-overdue" in board
    assert officer.get("/incidents?all=1").text.count('<tr id="incident-') == 3
    for incident_id in data.showcase.incidents:
        assert officer.get(f"/incidents/{incident_id}").status_code == 200
    inventory = officer.get("/inventory").text
    assert "会員名簿" in inventory and "健診結果" in inventory and "源泉徴収票" in inventory
    page = officer.get("/readiness")
    assert page.status_code == 200
    score = page.context["page"]  # type: ignore[attr-defined]
    assert score.assets == 5 and score.failed > 0 and score.grade != "E"
    assert "大阪支店ルータ" in officer.get("/readiness/assets").text
    assert data.showcase.received in officer.get("/provisions/received").text
    assert officer.get(f"/provisions/received/{data.showcase.received}").status_code == 200
    listing = officer.get("/releases").text
    for release_id in data.showcase.releases:
        assert f'data-release="{release_id}" data-status="done"' in listing
        detail = officer.get(f"/releases/{release_id}").text
        assert re.search(r'href="/ledger/\d+"', detail)
