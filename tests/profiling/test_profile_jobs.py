"""Profile jobs: only persons the profiling purpose covers at run time get a row, the features
are what a plain reading of the purchases gives, the job is sealed in the ledger, and a job that
reads or infers outside its purpose — or runs under no profiling purpose — is refused before it runs."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.domain.clock import JST
from hogo.domain.policy import Policy
from hogo.errors import Conflict, InputError
from hogo.profiling.spec import parse_profile_spec
from hogo.release.spec import SpecPaths
from hogo.services import ledger
from hogo.services.consent import record_events
from hogo.services.policy import apply_policy
from hogo.services.profiles import run_profile
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from tests.factories import POLICY, event, person

AT = datetime(2024, 6, 1, tzinfo=JST)
DECLARATION = {
    "analysis": "購買履歴から、よく買う商品の分類や買物の時間帯などの傾向を分析します。",
    "use_of_results": "分析結果に応じて、会員向けのおすすめ商品をご案内します。",
}


def profiling_policy(**purpose: Any) -> Policy:
    doc = copy.deepcopy(POLICY)
    doc["data_categories"] += [
        {"id": "purchase", "appi_class": "personal_data", "title": "購買履歴"},
        {"id": "health_guess", "appi_class": "sensitive", "title": "推定される健康状態"},
    ]
    doc["purposes"].append(
        {"id": "purchase_profiling", "title": "購買履歴の分析", "kind": "profiling", "requires_consent": True,
         "data_categories": ["purchase", "health_guess"], "profiling": DECLARATION, **purpose}
    )  # fmt: skip
    doc["terms"][1]["purposes"].append("purchase_profiling")
    ad_partners = next(p for p in doc["purposes"] if p["id"] == "ad_partners")
    ad_partners["data_categories"] = [*ad_partners["data_categories"], "purchase"]  # scores may be provided
    return Policy.model_validate(doc)


def purchases() -> list[dict[str, Any]]:
    """Purchases of five persons and one the store does not know, in Japan time."""
    rows = []

    def buy(who: str, days_before: float, yen: int, category: str, hour: int) -> None:
        when = (AT - timedelta(days=days_before)).replace(hour=hour, minute=15)
        rows.append({"member_id": who, "purchased_at": when, "amount_yen": yen, "category": category})

    buy("S1", 3, 1200, "食品", 19)
    buy("S1", 40, 800, "衣料品", 9)
    buy("S1", 400, 5000, "食品", 20)  # outside a 365-day window
    buy("S1", -2, 999, "食品", 12)  # after the run time: never counts
    buy("S2", 10, 3000, "食品", 21)
    buy("S3", 5, 700, "家電", 13)
    buy("S4", 100, 2500, "家電", 23)
    buy("S4", 200, 500, "食品", 8)
    buy("X9", 1, 100, "食品", 10)
    return rows


def build_profile_world(store: Engine, folder: Path) -> None:
    """The profiling policy, five persons and their consent history, and the purchases file."""
    with write_scope(store) as s:
        apply_policy(s, profiling_policy())
        upsert_subjects(s, [person(f"S{i}") for i in range(1, 6)])
        record_events(
            s,
            [
                event("S1", "purchase_profiling", when="2022-01-01T10:00"),
                event("S2", "purchase_profiling", when="2022-01-01T10:00"),
                event("S2", "purchase_profiling", action="withdraw", when="2023-01-01T10:00"),
                event("S4", "purchase_profiling", when="2022-02-01T10:00"),
                event("S5", "purchase_profiling", action="deny", when="2022-02-01T10:00"),
            ],
        )
    table = pa.Table.from_pylist(purchases())
    pq.write_table(
        table.set_column(
            1,
            "purchased_at",
            pa.array([r["purchased_at"] for r in purchases()], pa.timestamp("us", tz="Asia/Tokyo")),
        ),
        folder / "purchases.parquet",
    )


@pytest.fixture()
def world(store: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    build_profile_world(store, tmp_path)
    return store, tmp_path


FEATURES = [
    {"name": "recency_days", "kind": "recency"},
    {"name": "orders_365", "kind": "frequency", "window_days": 365},
    {"name": "orders_all", "kind": "frequency"},
    {"name": "spend_365", "kind": "monetary", "window_days": 365},
    {"name": "food_share", "kind": "spend_share", "category": "食品", "window_days": 365},
    {"name": "food_affinity", "kind": "affinity", "category": "食品", "window_days": 365},
    {"name": "evening_share", "kind": "time_of_day", "hours": [18, 24]},
]


def job(folder: Path, job_id: str = "dna-1", **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": job_id, "purpose": "purchase_profiling", "at": AT.isoformat(),
        "purchases": {"path": "purchases.parquet", "columns": {c: c for c in ["member_id", "purchased_at", "amount_yen", "category"]}},
        "purchases_category": "purchase", "features": FEATURES, "output": {"dir": "profiles"},
    }  # fmt: skip
    spec.update(changes)
    return spec


def _run(store: Engine, folder: Path, **changes: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    result = run_profile(store, parse_profile_spec(job(folder, **changes), SpecPaths.local(folder)))
    rows = pq.read_table(result.directory / "profiles.parquet").to_pylist()
    return {r["subject_id"]: r for r in rows}, result.manifest


def test_only_persons_the_purpose_covers_get_a_row_with_the_plain_reading_of_their_purchases(
    world: tuple[Engine, Path],
) -> None:
    store, folder = world
    rows, manifest = _run(store, folder)
    assert sorted(rows) == ["S1", "S4"]  # S2 withdrew, S3 never agreed, S5 refused, X9 is unknown
    s1, s4 = rows["S1"], rows["S4"]
    # Recency counts whole days elapsed: 3 days before midnight, at 19:15, is 2 days and 4¾ hours.
    assert (s1["recency_days"], s1["orders_365"], s1["orders_all"], s1["spend_365"]) == (2, 2, 3, 2000)
    assert (s4["recency_days"], s4["orders_365"], s4["orders_all"], s4["spend_365"]) == (99, 2, 2, 3000)
    assert s1["food_share"] == pytest.approx(1200 / 2000) and s4["food_share"] == pytest.approx(500 / 3000)
    everyone = (1200 + 500) / (2000 + 3000)  # the share over everyone profiled, in the window
    assert s1["food_affinity"] == pytest.approx(0.6 / everyone, abs=1e-8)
    assert s4["food_affinity"] == pytest.approx((500 / 3000) / everyone, abs=1e-8)
    assert s1["evening_share"] == pytest.approx(2 / 3) and s4["evening_share"] == pytest.approx(1 / 2)
    counts = manifest["counts"]
    assert (counts["subjects"], counts["profiled"], counts["excluded"]) == (5, 2, 3)
    assert counts["purchases"] == 9 and counts["purchases_of_profiled"] == 6
    assert manifest["bases"] == {"consent": 2} and sum(manifest["excluded_by_reason"].values()) == 3
    with read_scope(store) as session:
        entry = ledger.entry(session, manifest["ledger_seq"])
        assert entry is not None and entry.ref == "profile:dna-1"
        sealed = entry.payload()
        assert sealed["features_sha256"] == manifest["features_sha256"]
        assert sealed["files"]["profiles.parquet"] == manifest["files"]["profiles.parquet"]
        assert "S1" not in json.dumps(sealed)  # counts and digests, never a person
        assert ledger.verify_ledger(session).ok
    saved = json.loads((folder / "profiles" / "dna-1" / "manifest.json").read_text("utf-8"))
    assert saved["ledger_seq"] == manifest["ledger_seq"]
    assert oct((folder / "profiles" / "dna-1" / "profiles.parquet").stat().st_mode & 0o777) == "0o600"


def test_a_person_whose_purchases_all_come_after_the_run_time_reads_as_one_without_purchases(
    world: tuple[Engine, Path],
) -> None:
    """Purchases after the run time never count: S4's, moved past it, leave S4 a row with no
    orders and empty recency and shares, and only S1 in the shares over everyone."""
    store, folder = world
    later = [
        {**r, "purchased_at": AT + timedelta(days=n + 1)} if r["member_id"] == "S4" else r
        for n, r in enumerate(purchases())
    ]
    pq.write_table(pa.Table.from_pylist(later), folder / "later.parquet")
    source = {"path": "later.parquet", "columns": job(folder)["purchases"]["columns"]}
    rows, manifest = _run(store, folder, id="later", purchases=source)
    s1, s4 = rows["S1"], rows["S4"]
    assert (s4["orders_365"], s4["orders_all"], s4["spend_365"]) == (0, 0, 0)
    empty = ("recency_days", "food_share", "food_affinity", "evening_share")
    assert [s4[k] for k in empty] == [None] * 4
    assert s1["food_affinity"] == pytest.approx(0.6 / (1200 / 2000), abs=1e-8)
    assert manifest["counts"]["purchases_of_profiled"] == 6  # counted, at any time


def test_a_withdrawal_removes_the_person_from_the_next_run(world: tuple[Engine, Path]) -> None:
    store, folder = world
    first, _ = _run(store, folder, id="before")
    with write_scope(store) as s:
        record_events(s, [event("S1", "purchase_profiling", action="withdraw", when="2024-05-01T10:00")])
    second, manifest = _run(store, folder, id="after")
    assert "S1" in first and sorted(second) == ["S4"]
    assert manifest["features_sha256"] == _run(store, folder, id="again")[1]["features_sha256"]
    with pytest.raises(Conflict):
        _run(store, folder, id="after")  # the id is taken


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": "service"}, "purpose"),  # not a profiling purpose
        ({"purpose": "nope"}, "purpose"),
        ({"purchases_category": "contact"}, "purchases_category"),  # not a category of the purpose
        ({"features": [{"name": "x", "kind": "frequency", "infers": "medical"}]}, "features.0.infers"),
    ],
)
def test_a_job_outside_its_purpose_is_refused_before_it_runs(
    world: tuple[Engine, Path], changes: dict[str, Any], field: str
) -> None:
    store, folder = world
    with read_scope(store) as session:
        before = ledger.head(session).seq
    with pytest.raises(InputError) as refused:
        run_profile(store, parse_profile_spec(job(folder, **changes), SpecPaths.local(folder)))
    assert refused.value.field == field
    with read_scope(store) as session:
        assert ledger.head(session).seq == before
    assert not (folder / "profiles" / "dna-1").exists()


def test_a_declared_inference_the_purpose_covers_runs() -> None:
    features = [
        {"name": "health_hint", "kind": "spend_share", "category": "健康食品", "infers": "health_guess"}
    ]
    spec = parse_profile_spec(job(Path("/tmp"), features=features), SpecPaths.local(Path("/tmp")))
    assert spec.features[0].infers == "health_guess"


def test_the_policy_refuses_profiling_it_does_not_declare() -> None:
    with pytest.raises(
        ValueError, match=r"purposes\.\d+\.profiling: a profiling purpose says what is analysed"
    ):
        profiling_policy(profiling=None)
    with pytest.raises(
        ValueError, match=r"purposes\.\d+\.requires_consent: profiling that reads or infers 要配慮個人情報"
    ):
        profiling_policy(requires_consent=False)
    assert profiling_policy(data_categories=["purchase"], requires_consent=False).purpose(
        "purchase_profiling"
    )


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        ({"name": "x", "kind": "spend_share"}, "needs category"),
        ({"name": "x", "kind": "frequency", "category": "食品"}, "takes no category"),
        ({"name": "x", "kind": "time_of_day", "hours": [25, 3]}, "hours are"),
        ({"name": "Bad-Name", "kind": "frequency"}, "features.0.name"),
        ({"name": "x", "kind": "channel_share", "channel": "online"}, "must map channel"),
    ],
)
def test_spec_errors_name_the_key(feature: dict[str, Any], message: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=message):
        parse_profile_spec(job(tmp_path, features=[feature]), SpecPaths.local(tmp_path))


def test_a_bad_amount_in_a_csv_is_refused_by_row_and_column_and_nothing_is_recorded(
    world: tuple[Engine, Path],
) -> None:
    store, folder = world
    (folder / "purchases.csv").write_text(
        "member_id,purchased_at,amount_yen\nS1,2024-05-01 10:00,1200\nS4,2024-05-02T10:00+09:00,千円\n",
        encoding="utf-8",
    )
    columns = {c: c for c in ["member_id", "purchased_at", "amount_yen"]}
    changes = {"purchases": {"path": "purchases.csv", "columns": columns}, "features": FEATURES[:4]}
    with read_scope(store) as session:
        before = ledger.head(session).seq
    with pytest.raises(InputError) as refused:
        _run(store, folder, **changes)
    assert (refused.value.row, refused.value.field) == (3, "amount_yen") and "千円" not in str(refused.value)
    with read_scope(store) as session:
        assert ledger.head(session).seq == before
    assert list((folder / "profiles").iterdir()) == []
    (folder / "purchases.csv").write_text(
        "member_id,purchased_at,amount_yen\nS1,2024-05-01 10:00,1200\nS4,2024-05-02T10:00+09:00,300\n",
        encoding="cp932",
    )
    rows, _ = _run(store, folder, **changes)
    assert rows["S1"]["spend_365"] == 1200 and rows["S4"]["recency_days"] == 29


def test_the_cli_runs_a_job_file(world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    store, folder = world
    if store.dialect.name != "sqlite":
        pytest.skip("the CLI path is the same on both backends; run once")
    monkeypatch.setenv("HOGO_DATABASE_URL", str(store.url))
    (folder / "job.yaml").write_text(yaml.safe_dump(job(folder, "cli-1"), allow_unicode=True), "utf-8")
    run = CliRunner().invoke(app, ["profile", "run", str(folder / "job.yaml"), "--json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["counts"]["profiled"] == 2


def test_every_engine_writes_the_same_profiles(world: tuple[Engine, Path], engine_name: str) -> None:
    store, folder = world
    if store.dialect.name != "sqlite":
        pytest.skip("the engines read the same consent source from either store; run once")
    reference, _ = _run(store, folder, id="on-duckdb", engine="duckdb")
    rows, manifest = _run(store, folder, id=f"with-{engine_name}", engine=engine_name)
    assert rows == reference
    assert manifest["counts"]["profiled"] == 2


def test_a_typed_parquet_file_read_by_the_engine_gives_what_the_row_reader_gives(
    world: tuple[Engine, Path],
) -> None:
    """Parquet with instants, numbers and text is read by the engine itself; the same purchases
    as CSV (and as Parquet with local times) go through the checked row reader: same profiles."""
    store, folder = world
    typed, _ = _run(store, folder, id="typed")
    lines = ["member_id,purchased_at,amount_yen,category"]
    lines += [
        f"{r['member_id']},{r['purchased_at'].isoformat()},{r['amount_yen']},{r['category']}"
        for r in purchases()
    ]
    (folder / "purchases.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    local = pa.Table.from_pylist(
        [{**r, "purchased_at": r["purchased_at"].replace(tzinfo=None)} for r in purchases()]
    )
    pq.write_table(local, folder / "local.parquet")
    for path in ("purchases.csv", "local.parquet"):
        source = {"path": path, "columns": job(folder)["purchases"]["columns"]}
        rows, _ = _run(store, folder, id=f"from-{path}", purchases=source)
        assert rows == typed
