"""End-to-end releases: personal (with the 法29条 record) and aggregate, against a real store.

Each runs through the release service (`run_now`), which plans, runs the pipeline and records;
those taking `engine_name` run once per data engine (HOGO_ENGINE), with the same assertions."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import Engine, text

from hogo.engines import get_engine
from hogo.errors import HogoError, InputError
from hogo.files.confine import SERVED_FOLDERS
from hogo.matching.keys import KeyKind, tokenize_table
from hogo.matching.match import match_report
from hogo.matching.tokens import load_key
from hogo.release.spec import load_spec
from hogo.services import ledger
from hogo.services.binding import StoreNotReconciled
from hogo.services.consent import record_events
from hogo.services.policy import apply_policy
from hogo.services.provisions import provisions_for, verify_persons
from hogo.services.releases import run_now
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from hogo.store.snapshot import write_snapshot
from tests.factories import at, event, person, policy

MEMBERS = """member_id,email,phone,purchase_total,prefecture,age_band
M1,taro@example.jp,090-1111-2222,1200,東京都,30代
M2,hanako@example.jp,080-3333-4444,800,東京都,30代
M3,jiro@example.jp,070-5555-6666,300,大阪府,40代
M4,saburo@example.jp,,4500,大阪府,40代
M5,shiro@example.jp,03-1234-5678,50,東京都,30代
"""
PARTNER = """customer_no,mail,tel
P-1,ＴＡＲＯ@example.jp ,
P-2,,０８０－３３３３－４４４４
P-3,jiro@example.jp,+81 70 5555 6666
P-4,nobody@example.jp,09099998888
P-5,saburo@example.jp,not-a-phone
"""


@pytest.fixture()
def world(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    monkeypatch.setenv("HOGO_TOKEN_KEY", "ab" * 32)
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person(f"M{i}") for i in range(1, 6)])
        record_events(
            s,
            [
                event("M1", when="2022-01-01T10:00"),  # consent
                event("M2", when="2022-01-01T10:00"),
                event("M2", action="withdraw", when="2023-01-01T10:00"),  # withdrawn
                event("M3", action="object", when="2023-01-01T10:00"),  # objected to opt-out
                # M4: no event → opt-out (filed 2022-06-01); M5 not matched
            ],
        )
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (tmp_path / "partner.csv").write_bytes(PARTNER.encode("cp932"))
    return store, tmp_path


def _spec(tmp_path: Path, **changes: object) -> Path:
    spec: dict[str, object] = {
        "id": "rel-001",
        "mode": "personal",
        "purpose": "ad_partners",
        "recipient": "adco",
        "at": "2024-06-01T00:00:00+09:00",
        "members": {"path": "members.csv", "columns": {"member_id": "member_id", "email": "email", "phone": "phone",
                                                       "purchase_total": "purchase_total", "prefecture": "prefecture",
                                                       "age_band": "age_band"}},
        "partner": {"path": "partner.csv", "columns": {"email": "mail", "phone": "tel"}},
        "output": {"dir": "out", "items": {"purchase_total": "contact"}},
    }  # fmt: skip
    spec.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_personal_release_provides_only_allowed_people_and_records_it(
    world: tuple[Engine, Path], engine_name: str
) -> None:
    store, tmp = world
    result = run_now(store, load_spec(_spec(tmp)))
    rows = pq.read_table(result.directory / "release.parquet").to_pylist()
    # P-1 → M1 (consent), P-5 → M4 (opt-out); M2 withdrew, M3 objected, P-4 matches nobody.
    assert rows == [
        {"partner_row": 2, "purchase_total": "1200"},
        {"partner_row": 6, "purchase_total": "4500"},
    ]
    assert result.counts["candidates"] == 4 and result.counts["allowed"] == 2
    manifest = json.loads((result.directory / "manifest.json").read_text("utf-8"))
    assert manifest["bases"] == {"consent": 1, "opt_out": 1}
    assert manifest["provision_record"]["recipient_name"] == "広告株式会社"
    assert manifest["normalisation"]["partner"][1]["invalid_rows"] == [6]
    text = (result.directory / "release.parquet").read_bytes() + json.dumps(
        manifest, ensure_ascii=False
    ).encode()
    for raw in (b"taro@example.jp", b"saburo", b"1111-2222", b"+8190"):
        assert raw not in text
    with write_scope(store) as s:
        assert [r.provision_id for r in provisions_for(s, "M1")] == ["rel-001"]
        assert provisions_for(s, "M2") == [] and verify_persons(s, "rel-001")
        assert ledger.verify_ledger(s).ok


def test_refused_release_leaves_nothing_behind(world: tuple[Engine, Path]) -> None:
    store, tmp = world
    with pytest.raises(HogoError):
        run_now(store, load_spec(_spec(tmp, purpose="mynum_share", recipient="broker")))
    with pytest.raises(InputError) as info:
        run_now(store, load_spec(_spec(tmp, output={"dir": "out", "items": {"purchase_total": "medical"}})))
    assert info.value.field == "output.items.purchase_total"
    (tmp / "partner.csv").write_bytes(b"mail_address,tel\n1,2\n")
    with pytest.raises(InputError):
        run_now(store, load_spec(_spec(tmp)))
    assert not (tmp / "out").exists() or list((tmp / "out").iterdir()) == []
    with write_scope(store) as s:
        assert provisions_for(s, "M1") == []


def test_spec_errors_name_the_key(tmp_path: Path) -> None:
    path = _spec(tmp_path, mode="personal", partner=None)
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert "partner" in str(info.value)
    path = _spec(tmp_path, members={"path": "m.csv", "columns": {"email": "e"}})
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert "member_id" in str(info.value)


def test_aggregate_release_suppresses_small_cells(world: tuple[Engine, Path], engine_name: str) -> None:
    store, tmp = world
    spec = _spec(tmp, id="agg-1", mode="aggregate", purpose="service", recipient="mailer", partner=None,
                 aggregate={"dimensions": ["prefecture", "age_band"], "min_cell_size": 2})  # fmt: skip
    result = run_now(store, load_spec(spec))
    table = pq.read_table(result.directory / "aggregate.parquet").to_pylist()
    assert result.counts["allowed"] == 5
    published = [r["count"] for r in table if r["count"] is not None]
    assert all(c >= 2 for c in published)
    with write_scope(store) as s:
        assert provisions_for(s, "M1") == [] and ledger.verify_ledger(s).ok
    assert at("2024-06-01T00:00")


def test_anonymized_release_is_k_anonymous_and_unlinkable(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine_name: str
) -> None:
    import random

    monkeypatch.setenv("HOGO_TOKEN_KEY", "cd" * 32)
    rng = random.Random(5)
    rows = ["member_id,email,phone,age,prefecture,sex,spend"]
    for n in range(300):
        rows.append(f"A{n:04d},user{n}@example.jp,090{n:08d},{rng.randrange(18, 90)},"
                    f"{rng.choice(['東京都', '大阪府', '北海道', '福岡県'])},{rng.choice('MF')},{rng.randrange(100, 9000)}")  # fmt: skip
    (tmp_path / "members.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person(f"A{n:04d}") for n in range(300)])
        record_events(s, [event("A0001", purpose="service", action="object", when="2023-01-01T00:00")])
    spec = {
        "id": "anon-1", "mode": "anonymized", "purpose": "service", "recipient": "mailer",
        "at": "2024-06-01T00:00:00+09:00",
        "members": {"path": "members.csv", "columns": {c: c for c in ["member_id", "email", "phone", "age", "prefecture", "sex", "spend"]}},
        "output": {"dir": "out"},
        "anonymization": {"quasi_identifiers": {"age": "interval:5,10,20,40", "prefecture": "mask", "sex": "mask"},
                          "keep": ["spend"], "k": 5, "suppression": 0.05},
    }  # fmt: skip
    path = tmp_path / "anon.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = run_now(store, load_spec(path))
    table = pq.read_table(result.directory / "anonymized.parquet")
    assert "member_id" not in table.column_names and "email_token" not in table.column_names
    assert result.counts["allowed"] == 299  # A0001 objected (法35条)
    classes: dict[tuple[object, ...], int] = {}
    for r in table.select(["age", "prefecture", "sex"]).to_pylist():
        key = tuple(r.values())
        classes[key] = classes.get(key, 0) + 1
    assert min(classes.values()) >= 5
    blob = (result.directory / "anonymized.parquet").read_bytes()
    assert b"A0002" not in blob and b"user2@example.jp" not in blob
    manifest = json.loads((result.directory / "manifest.json").read_text("utf-8"))
    assert manifest["anonymization"]["k_achieved"] >= 5
    assert [c["measure"] for c in manifest["anonymization"]["checklist"]] == [1, 2, 3, 4, 5]
    assert "匿名加工情報" in manifest["announcement"]
    with write_scope(store) as s:
        assert ledger.verify_ledger(s).ok and provisions_for(s, "A0002") == []


def test_statistics_judge_the_use_not_a_provision(world: tuple[Engine, Path]) -> None:
    """Statistics are not personal data: no 法27条 consent is needed to give them to a third party."""
    store, tmp = world
    spec = _spec(tmp, id="agg-2", mode="aggregate", purpose="service", recipient="adco", partner=None,
                 aggregate={"dimensions": ["prefecture"], "min_cell_size": 1})  # fmt: skip
    assert run_now(store, load_spec(spec)).counts["allowed"] == 5
    personal = _spec(tmp, id="rel-2", purpose="service", recipient="adco")
    with pytest.raises(HogoError):  # personal data to a recipient the purpose does not name
        run_now(store, load_spec(personal))


def test_release_from_a_consent_snapshot_matches_the_store_and_refuses_a_stale_one(
    world: tuple[Engine, Path],
) -> None:
    store, tmp = world
    write_snapshot(store, tmp / "snap")
    from_store = run_now(store, load_spec(_spec(tmp, id="from-store")))
    from_snapshot = run_now(store, load_spec(_spec(tmp, id="from-snap", consent_snapshot="snap")))
    assert pq.read_table(from_snapshot.directory / "release.parquet").equals(
        pq.read_table(from_store.directory / "release.parquet")
    )
    assert from_snapshot.manifest["consent_snapshot"]["ledger_seq"] > 0
    with write_scope(store) as s:  # M1 withdraws after the snapshot was taken
        record_events(s, [event("M1", action="withdraw", when="2024-01-01T10:00")])
    with pytest.raises(InputError) as info:
        run_now(store, load_spec(_spec(tmp, id="stale", consent_snapshot="snap")))
    assert info.value.field == "ledger_seq"
    assert not (tmp / "out" / "stale").exists()


def test_a_repeated_member_row_cannot_lift_a_small_cell_over_the_threshold(
    world: tuple[Engine, Path], engine_name: str
) -> None:
    """Issue 10 finding 15: four persons in 東京都 with min_cell_size 5 stay hidden, even when one of
    them is on two rows; the release is refused naming the rows (never the id)."""
    store, tmp = world
    rows = MEMBERS.splitlines()
    rows[3] = rows[3].replace("大阪府", "東京都")  # M3: Tokyo has M1, M2, M3, M5 = 4 persons
    (tmp / "members.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    aggregate = {"dimensions": ["prefecture"], "min_cell_size": 5}
    spec = _spec(tmp, id="agg-4", mode="aggregate", purpose="service", recipient="adco", partner=None,
                 aggregate=aggregate)  # fmt: skip
    result = run_now(store, load_spec(spec))
    cells = pq.read_table(result.directory / "aggregate.parquet").to_pylist()
    tokyo = next(c for c in cells if c["prefecture"] == "東京都" and not c["total_prefecture"])
    assert tokyo["count"] is None and tokyo["suppression"] == "primary"
    (tmp / "members.csv").write_text("\n".join([*rows, rows[1], rows[2]]) + "\n", encoding="utf-8")
    spec = _spec(tmp, id="agg-dup", mode="aggregate", purpose="service", recipient="adco", partner=None,
                 aggregate=aggregate)  # fmt: skip
    with pytest.raises(InputError) as info:
        run_now(store, load_spec(spec))
    assert info.value.field == "members.member_id" and info.value.row == 7
    assert "2 = 7" in info.value.en and "3 = 8" in info.value.en and "M1" not in str(info.value)
    assert not (tmp / "out" / "agg-dup").exists()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_release_files_are_owner_only_whatever_the_umask(world: tuple[Engine, Path], fmt: str) -> None:
    """Issue 10 finding 9: release folders 0700, their files (data, manifest, CSV) 0600."""
    store, tmp = world
    old = os.umask(0)
    try:
        out = {"dir": "new/out", "format": fmt, "items": {"purchase_total": "contact"}}
        result = run_now(store, load_spec(_spec(tmp, id=f"modes-{fmt}", output=out)))
    finally:
        os.umask(old)
    assert stat.S_IMODE(result.directory.stat().st_mode) == 0o700
    for folder in (tmp / "new", tmp / "new" / "out"):  # folders hogo created for the output
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(result.directory.iterdir())
    assert [p.name for p in files] == ["manifest.json", f"release.{fmt}"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_cli_output_into_a_served_folder_is_refused(world: tuple[Engine, Path]) -> None:
    """The operator's CLI keeps local paths, but nothing hogo writes lands where the server serves."""
    store, tmp = world
    out = {"dir": str(SERVED_FOLDERS[0]), "items": {"purchase_total": "contact"}}
    with pytest.raises(InputError) as info:
        run_now(store, load_spec(_spec(tmp, id="served", output=out)))
    assert info.value.field == "output.dir"
    assert not (SERVED_FOLDERS[0] / "served").exists() and not (SERVED_FOLDERS[0] / ".served.part").exists()


def test_token_key_file_is_read_from_the_spec_folder(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 finding 19: `match.token_key_file` is relative to the spec, not the working directory."""
    store, tmp = world
    monkeypatch.delenv("HOGO_TOKEN_KEY")
    (tmp / "keys").mkdir()
    (tmp / "keys" / "token.key").write_text("ab" * 32, encoding="utf-8")
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = load_spec(_spec(tmp, id="keyfile", match={"token_key_file": "keys/token.key"}))
    assert spec.match.token_key_file == tmp / "keys" / "token.key"
    assert run_now(store, spec).counts["allowed"] == 2


def test_a_deleted_withdrawal_turns_verify_red_and_blocks_the_provision(world: tuple[Engine, Path]) -> None:
    """Issue 11: deleting M2's withdrawal behind hogo's back (ledger untouched) would let M2 be
    provided to the ad partner; verify names the table and the release refuses to run."""
    store, tmp = world
    with store.begin() as c:
        c.execute(text("DELETE FROM consent_events WHERE subject_id = 'M2' AND action = 'withdraw'"))
    with read_scope(store) as s:
        verdict = ledger.verify_ledger(s)
    assert not verdict.ok and verdict.problem is not None and "consent_events" in verdict.problem
    with pytest.raises(StoreNotReconciled):
        run_now(store, load_spec(_spec(tmp)))
    assert not (tmp / "out" / "rel-001").exists()


def test_a_partner_tokenised_on_its_side_matches_as_its_raw_file_does(
    world: tuple[Engine, Path], engine_name: str
) -> None:
    """Tokens are 32 bytes in the engine and hex in a partner's file (`hogo tokenize`): the file's
    tokens meet ours, and values that are not tokens (upper case, empty, repeated) are counted as
    comparing the texts counts them, never matching anyone."""
    store, tmp = world
    key, fields = load_key(), {"email": KeyKind.email, "phone": KeyKind.phone}
    raw = pacsv.read_csv(tmp / "partner.csv", read_options=pacsv.ReadOptions(encoding="cp932"))
    partner, _ = tokenize_table(
        raw.rename_columns(["customer_no", "email", "phone"]), key, fields, row_offset=2
    )
    ours, _ = tokenize_table(
        pacsv.read_csv(tmp / "members.csv"), key, fields, keep=["member_id"], with_row_numbers=False
    )
    upper = partner.column("email_token")[0].as_py().upper()
    odd = pa.table(
        {"row": [7, 8, 9, 10], "email_token": [upper, "", "", "zz"], "phone_token": [None, "", "x", None]}
    )
    partner = pa.concat_tables([partner, odd.cast(partner.schema)])
    pacsv.write_csv(partner, tmp / "tokens.csv")
    spec = _spec(
        tmp,
        id="pre-tokenised",
        partner={"path": "tokens.csv", "columns": {c: c for c in partner.column_names}},
    )
    result = run_now(store, load_spec(spec))
    assert pq.read_table(result.directory / "release.parquet").to_pylist() == [
        {"partner_row": "2", "purchase_total": "1200"},  # the file's row column, read as text
        {"partner_row": "6", "purchase_total": "4500"},
    ]
    manifest = json.loads((result.directory / "manifest.json").read_text("utf-8"))
    with get_engine() as text_engine:  # the report as comparing hex texts gives it
        text_engine.register_arrow("m", ours)
        text_engine.register_arrow("p", partner)
        expected = match_report(text_engine, "m", "p", ["email_token", "phone_token"])
    assert manifest["match"] == expected.model_dump()
    assert expected.keys[0].partner_duplicate_tokens == 1 and expected.keys[1].partner_duplicate_tokens == 0


def test_each_stage_says_the_rows_it_has_done(world: tuple[Engine, Path]) -> None:
    """The steps a release says carry the rows done per stage, which `hogo release run` shows as
    rows per second (issue 13 scope 5)."""
    store, tmp = world
    said: list[tuple[str, int | None]] = []
    result = run_now(
        store, load_spec(_spec(tmp, id="rows")), lambda text, rows=None: said.append((text, rows))
    )
    rows = {text.split(" / ")[1]: n for text, n in said if n is not None}
    assert rows == {
        "normalising and tokenising": 5,
        "matching the partner's table": 5,
        "deciding who may be included": result.counts["candidates"],
        "writing": result.counts["allowed"],
    }
    assert said[-1] == ("記録中 / recording", None)
