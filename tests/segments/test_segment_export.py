"""個人関連情報 segment exports (法31条, issue 16): only identifiers whose recipient-side consent is
confirmed leave; a foreign recipient needs the 法28条2項 information confirmed per identifier; the
confirmation records are kept with their retention end; the ledger holds digests and counts, never
an identifier; a malformed or repeated confirmation refuses the whole export, leaving nothing."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, update

from hogo.domain.clock import JST
from hogo.engines import SqlEngine
from hogo.errors import Conflict, InputError
from hogo.matching.tokens import TokenKey
from hogo.segments.confirmations import read_confirmations
from hogo.segments.export import plan_segments, prepare_segments
from hogo.segments.spec import parse_segment_spec
from hogo.services import ledger, runs
from hogo.services import segments as service
from hogo.services.segments import confirmation_records, export_now, get_export, records_intact
from hogo.store.database import read_scope, write_scope
from hogo.store.segments import RelatedInfoConfirmationRow
from tests.factories import policy
from tests.segments.world import CONFIRMATIONS, SEGMENTS, TOKEN_KEY, segment_spec, segment_world


@pytest.fixture()
def world(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    segment_world(store, tmp_path)
    return store, tmp_path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_only_confirmed_identifiers_are_exported_and_records_kept(world: tuple[Engine, Path]) -> None:
    store, folder = world
    done = export_now(store, parse_segment_spec(segment_spec(), folder))
    rows = _rows(done.directory / "segments.csv")
    assert [r["cookie_id"] for r in rows] == ["c1", "c2", "c3"]
    assert rows[1]["segment"] == '\'=HYPERLINK("x")'  # formula-safe
    assert oct(done.directory.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in done.directory.iterdir()} == {"0o600"}
    assert not list(done.directory.parent.glob(".seg-1*"))  # published: no scratch folders left
    assert done.counts == {"segment_rows": 5, "confirmations": 5, "exported": 3, "excluded": 2}
    assert done.manifest["excluded_by_reason"] == {
        "RELATED_INFO_CONSENT_AFTER_PROVISION": 1, "RELATED_INFO_NOT_CONFIRMED": 1,
    }  # fmt: skip
    assert done.manifest["case"]["article"] == "法31条1項"
    key = TokenKey(bytes.fromhex(TOKEN_KEY))
    with read_scope(store) as s:
        records = confirmation_records(s, recipient="adco")
        info = get_export(s, "seg-1")
        assert ledger.verdict(*ledger.verify_all(s)).ok
        entry = ledger.entry(s, info.ledger_seq or 0)
    by_token = {r.identifier_token: r for r in records}
    assert set(by_token) == {key.token("cookie", c) for c in ("c1", "c2", "c3", "c4")}
    assert by_token[key.token("cookie", "c4")].result == "RELATED_INFO_CONSENT_AFTER_PROVISION"
    first = by_token[key.token("cookie", "c1")]
    assert first.result == "RELATED_INFO_CONFIRMED" and first.recipient_name == "広告株式会社"
    assert first.items == ["segment", "score"] and first.retention_until == date(2027, 6, 10)
    assert info.status == "done" and entry is not None
    assert not {"c1", "c2", "c3", "c4", "c5"} & set(entry.payload_json.split('"'))
    assert entry.payload()["confirmation_records"]["rows"] == 4
    with pytest.raises(Conflict):
        export_now(store, parse_segment_spec(segment_spec(), folder))
    with read_scope(store) as s:
        assert records_intact(s, "seg-1")
    with write_scope(store) as s:  # a record edited behind hogo's back no longer matches its seal
        s.execute(
            update(RelatedInfoConfirmationRow)
            .where(RelatedInfoConfirmationRow.identifier_token == key.token("cookie", "c4"))
            .values(result="RELATED_INFO_CONFIRMED")
        )
    with read_scope(store) as s:
        assert not records_intact(s, "seg-1")


def test_a_foreign_recipient_needs_the_article_28_information_per_identifier(
    world: tuple[Engine, Path],
) -> None:
    store, folder = world
    done = export_now(
        store,
        parse_segment_spec(
            segment_spec("seg-us", "us_co", output={"dir": "out", "format": "parquet"}), folder
        ),
    )
    assert pq.read_table(done.directory / "segments.parquet").column("cookie_id").to_pylist() == ["c1"]
    assert done.manifest["excluded_by_reason"]["RELATED_INFO_FOREIGN_INFO_MISSING"] == 2  # c2 empty, c3 false
    assert done.manifest["foreign_recipient"] is True
    with read_scope(store) as s:
        records = confirmation_records(s, export_id="seg-us", recipient="us_co")
    assert sorted(r.result for r in records).count("RELATED_INFO_FOREIGN_INFO_MISSING") == 2
    # an EU recipient is no foreign third party in 法28条1項's sense (designated country)
    done = export_now(store, parse_segment_spec(segment_spec("seg-de", "de_co"), folder))
    assert done.counts["exported"] == 3


@pytest.mark.parametrize(
    ("confirmations", "where"),
    [
        (
            "identifier,consent_obtained_at,method\nc1,2024-05-01,web\nc1,2024-05-02,web\n",
            "row 3 field identifier",
        ),
        ("identifier,consent_obtained_at,method\nc1,yesterday,web\n", "row 2 field consent_obtained_at"),
        ("identifier,consent_obtained_at,method\nc1,2024-05-01,\n", "row 2 field method"),
        (
            "identifier,consent_obtained_at,method,foreign_info_given\nc1,2024-05-01,web,maybe\n",
            "row 2 field foreign_info_given",
        ),
    ],
)
def test_a_malformed_confirmation_file_exports_and_records_nothing(
    world: tuple[Engine, Path], confirmations: str, where: str
) -> None:
    store, folder = world
    (folder / "confirmations.csv").write_text(confirmations, "utf-8")
    with pytest.raises(InputError, match=where) as refused:
        export_now(store, parse_segment_spec(segment_spec(), folder))
    assert "法31条1項1号" in refused.value.ja and "c1" not in str(refused.value)
    assert not (folder / "out" / "seg-1").exists()
    assert not list((folder / "out").glob(".seg-1*")) if (folder / "out").exists() else True
    with read_scope(store) as s:
        assert confirmation_records(s) == []
        assert get_export(s, "seg-1").status == "failed"
        assert ledger.entries_for(s, "segment:seg-1") == []


def test_a_segment_file_naming_an_identifier_twice_is_refused_by_row(world: tuple[Engine, Path]) -> None:
    store, folder = world
    (folder / "segments.csv").write_text("cookie,segment,score\nc1,a,1\nc2,b,2\nc1,c,3\n", "utf-8")
    with pytest.raises(InputError, match=r"2 = 4") as refused:
        export_now(store, parse_segment_spec(segment_spec(), folder))
    assert refused.value.field == "segments.identifier"


def test_items_must_be_personal_related_information(world: tuple[Engine, Path]) -> None:
    store, folder = world
    spec = segment_spec(items={"segment": "contact", "score": "cookie"})
    with pytest.raises(InputError, match=r"法27条1項") as refused:
        export_now(store, parse_segment_spec(spec, folder))
    assert refused.value.field == "items.segment"


@pytest.mark.parametrize("form", ["parquet", "cp932-bom"])
def test_segment_files_in_parquet_or_spreadsheet_csv(world: tuple[Engine, Path], form: str) -> None:
    store, folder = world
    if form == "parquet":
        table = pa.table(
            {"cookie": ["c1", "c3", "c5"], "segment": ["スポーツ", "旅行", "車"], "score": [0.9, 0.1, 0.3]}
        )
        pq.write_table(table, folder / "segments.parquet")
        source = {
            "path": "segments.parquet",
            "columns": {"identifier": "cookie", "segment": "segment", "score": "score"},
        }
    else:
        text = "cookie,segment,score\r\nc1,スポーツ,0.9\r\nc3,旅行,0.1\r\nc5,車,0.3\r\n"
        (folder / "segments.csv").write_bytes(text.encode("cp932"))
        source = {
            "path": "segments.csv",
            "columns": {"identifier": "cookie", "segment": "segment", "score": "score"},
        }
    done = export_now(store, parse_segment_spec(segment_spec(f"seg-{form}", segments=source), folder))
    rows = _rows(done.directory / "segments.csv")
    assert [(r["cookie_id"], r["segment"]) for r in rows] == [("c1", "スポーツ"), ("c3", "旅行")]
    assert done.manifest["excluded_by_reason"] == {"RELATED_INFO_NOT_CONFIRMED": 1}


def test_an_export_whose_process_stopped_is_settled_and_its_id_runs_again(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder = world
    spec = parse_segment_spec(segment_spec("seg-stop"), folder)
    with write_scope(store) as s:
        service._accept(s, spec, None)
    (folder / "out" / ".seg-stop.part").mkdir(parents=True)
    monkeypatch.setattr(runs, "alive", lambda runner: False)  # as if the process had stopped
    assert service.recover_interrupted(store) == ["seg-stop"]
    assert not (folder / "out" / ".seg-stop.part").exists()
    monkeypatch.undo()
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    assert export_now(store, spec).counts["exported"] == 3


def test_the_pipeline_gives_the_same_export_on_either_engine(engine: SqlEngine, tmp_path: Path) -> None:
    """DuckDB and Spark: the same rows, results and records from the same files."""
    (tmp_path / "segments.csv").write_text(SEGMENTS, "utf-8")
    (tmp_path / "confirmations.csv").write_bytes(CONFIRMATIONS.encode("cp932"))
    spec = parse_segment_spec(segment_spec(output={"dir": "out", "format": "parquet"}), tmp_path)
    plan = plan_segments(spec, policy(), datetime(2024, 6, 10, tzinfo=JST))
    (tmp_path / "work").mkdir()
    key = TokenKey(bytes.fromhex(TOKEN_KEY))
    prepared = prepare_segments(
        plan, read_confirmations(spec.confirmations.path), key, engine, tmp_path / "work"
    )
    rows = pq.read_table(tmp_path / "work" / "segments.parquet").to_pylist()
    assert [(r["cookie_id"], r["score"]) for r in rows] == [
        ("c1", "0.9"),
        ("c2", "0.5"),
        ("c3", "0.1"),
    ]  # CSV cells stay text
    assert prepared.counts == {"segment_rows": 5, "confirmations": 5, "exported": 3, "excluded": 2}
    assert sorted((c.confirmation.row, c.result) for c in prepared.checked) == [
        (2, "RELATED_INFO_CONFIRMED"), (3, "RELATED_INFO_CONFIRMED"), (4, "RELATED_INFO_CONFIRMED"),
        (5, "RELATED_INFO_CONSENT_AFTER_PROVISION"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        (
            {
                "items": {"cookie_id": "cookie"},
                "segments": {
                    "path": "segments.csv",
                    "columns": {"identifier": "cookie", "cookie_id": "segment"},
                },
            },
            "cannot be items: cookie_id",
        ),
        ({"segments": {"path": "segments.csv", "columns": {"segment": "segment"}}}, "must map identifier"),
        ({"identifier_kind": "email"}, "identifier_kind"),
        ({"record_form": "each"}, "batch or contract"),
        ({"recipients": "adco"}, "recipients"),
    ],
)
def test_a_spec_is_checked_whole_naming_the_key(
    world: tuple[Engine, Path], changes: dict[str, object], named: str
) -> None:
    _, folder = world
    with pytest.raises(InputError, match=named):
        parse_segment_spec(segment_spec(**changes), folder)
