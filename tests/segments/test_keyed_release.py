"""Case A of issue 16's segment export: where hogo itself links the cookie id to a member, the
segment is 個人データ for hogo (提供元基準) and goes as a personal release keyed by that id
(`output.key`, 法27条): only persons the release purpose and recipient AND the profiling purpose
allow get rows, one per identifier; the 法29条 record names the identifier among the items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from hogo.errors import InputError
from hogo.profiling.spec import parse_profile_spec
from hogo.release.spec import SpecPaths, parse_spec
from hogo.services import ledger, releases
from hogo.services.consent import record_events
from hogo.services.profiles import run_profile
from hogo.services.provisions import provisions_for
from hogo.store.database import read_scope, write_scope
from tests.factories import event
from tests.profiling.test_profile_jobs import job, world
from tests.profiling.test_profile_scoring import INPUTS, linear_model

__all__ = ["world"]

SPEND = "profile:dna-k.spend_365"
#: Two cookies of S1; S2 withdrew from profiling; S3 never agreed to it; S5 refused it.
IDS = "member_id,cookie\nS1,c-1\nS2,c-2\nS3,c-3\nS4,c-4\nS5,c-5\nS1,c-1b\n"


@pytest.fixture()
def keyed(world: tuple[Engine, Path]) -> tuple[Engine, Path]:
    store, folder = world
    with write_scope(store) as s:
        record_events(s, [event(w, "ad_partners", when="2022-03-01T10:00") for w in ("S1", "S2", "S4")])
    members = "member_id,email,rank\n" + "".join(f"S{n},s{n}@example.jp,{n}\n" for n in range(1, 6))
    (folder / "members.csv").write_text(members, "utf-8")
    (folder / "ids.csv").write_text(IDS, "utf-8")
    return store, folder


def keyed_spec(release_id: str, items: dict[str, str], **key: Any) -> dict[str, Any]:
    return {
        "id": release_id, "mode": "personal", "purpose": "ad_partners", "recipient": "adco",
        "at": "2024-06-10T00:00:00+09:00",
        "members": {"path": "members.csv", "columns": {"member_id": "member_id", "email": "email", "rank": "rank"}},
        "output": {"dir": "out", "items": items,
                   "key": {"path": "ids.csv", "kind": "cookie",
                           "columns": {"member_id": "member_id", "identifier": "cookie"}, **key}},
    }  # fmt: skip


def test_rows_are_keyed_by_cookie_for_persons_both_purposes_allow(
    keyed: tuple[Engine, Path], engine_name: str
) -> None:
    """On either data engine (HOGO_ENGINE), the same rows."""
    store, folder = keyed
    run_profile(store, parse_profile_spec(job(folder, "dna-k"), SpecPaths.local(folder)))
    done = releases.run_now(store, parse_spec(keyed_spec("r-key", {SPEND: "purchase"}), folder))
    rows = pq.read_table(done.directory / "release.parquet").to_pylist()
    assert rows == [
        {"cookie_id": "c-1", SPEND: 2000}, {"cookie_id": "c-4", SPEND: 3000}, {"cookie_id": "c-1b", SPEND: 2000}
    ]  # fmt: skip
    assert done.manifest["case"]["article"] == "法27条1項"
    assert done.counts["candidates"] == 5 and done.counts["allowed"] == 2 and done.counts["key_rows"] == 6
    record = done.manifest["provision_record"]
    assert record["persons"] == 2 and record["data_items"] == [SPEND, "cookie_id"]
    with read_scope(store) as s:
        assert [r.provision_id for r in provisions_for(s, "S1")] == ["r-key"]
        assert provisions_for(s, "S2") == []
        assert ledger.verdict(*ledger.verify_all(s)).ok


def test_model_scores_go_keyed_by_cookie(keyed: tuple[Engine, Path]) -> None:
    store, folder = keyed
    linear_model(folder / "churn.onnx")
    spec = job(folder, "dna-k", scores=[{"name": "churn", "model": "churn.onnx", "inputs": INPUTS}])
    profiled = run_profile(store, parse_profile_spec(spec, SpecPaths.local(folder)))
    scores = {
        r["subject_id"]: r["churn"]
        for r in pq.read_table(profiled.directory / "profiles.parquet").to_pylist()
    }
    item = "profile:dna-k.churn"
    done = releases.run_now(store, parse_spec(keyed_spec("r-score", {item: "purchase"}), folder))
    rows = {r["cookie_id"]: r[item] for r in pq.read_table(done.directory / "release.parquet").to_pylist()}
    assert rows == pytest.approx({"c-1": scores["S1"], "c-1b": scores["S1"], "c-4": scores["S4"]})


def test_an_identifier_of_two_members_is_refused_by_row(keyed: tuple[Engine, Path]) -> None:
    store, folder = keyed
    (folder / "ids.csv").write_text("member_id,cookie\nS1,c-1\nS4,c-4\nS2,c-1\n", "utf-8")
    with pytest.raises(InputError, match="2 = 4") as refused:
        releases.run_now(store, parse_spec(keyed_spec("r-dup", {"rank": "contact"}), folder))
    assert refused.value.field == "output.key.identifier" and "c-1" not in str(refused.value)


def test_a_key_is_the_alternative_to_a_partner_in_personal_releases_only(keyed: tuple[Engine, Path]) -> None:
    _, folder = keyed
    both = keyed_spec("r-both", {"email": "contact"}) | {
        "partner": {"path": "members.csv", "columns": {"email": "email"}}
    }
    with pytest.raises(InputError, match="give one of them"):
        parse_spec(both, folder)
    spec = keyed_spec("r-agg", {}) | {"mode": "aggregate", "aggregate": {"dimensions": ["email"]}}
    with pytest.raises(InputError, match="mode must be personal"):
        parse_spec(spec, folder)
    with pytest.raises(InputError, match="must map member_id and identifier"):
        parse_spec(keyed_spec("r-map", {}, columns={"member_id": "member_id"}), folder)
