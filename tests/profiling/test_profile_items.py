"""Profile columns as release items (scope 4): a personal release names `profile:<job>.<feature>`
with the data category its profiling purpose declares, joins the recorded run on member id, and
provides a row only to a person the release purpose covers AND whose profiling consent still holds
at the release time — a withdrawal after the run removes the person, whatever the output says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from hogo.errors import InputError
from hogo.profiling.spec import parse_profile_spec
from hogo.release.spec import SpecPaths, parse_spec
from hogo.services import releases
from hogo.services.consent import record_events
from hogo.services.erasure import erase
from hogo.services.profiles import run_profile
from hogo.store.database import write_scope
from tests.factories import event
from tests.profiling.test_profile_jobs import job, world
from tests.release.world import TOKEN_KEY

__all__ = ["world"]

SPEND = "profile:dna-r.spend_365"


@pytest.fixture()
def scored(world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    store, folder = world
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    with write_scope(store) as s:
        record_events(s, [event(w, "ad_partners", when="2022-03-01T10:00") for w in ("S1", "S2", "S4")])
    run_profile(store, parse_profile_spec(job(folder, "dna-r"), SpecPaths.local(folder)))
    write_release_inputs(folder)
    return store, folder


def write_release_inputs(folder: Path) -> None:
    """Five members, and a partner list that holds S1, S2 and S4."""
    members = "member_id,email\n" + "".join(f"S{n},s{n}@example.jp\n" for n in range(1, 6))
    (folder / "members.csv").write_text(members, "utf-8")
    (folder / "partner.csv").write_text("mail\ns1@example.jp\ns2@example.jp\ns4@example.jp\n", "utf-8")


def release_spec(release_id: str, at: str = "2024-06-10T00:00:00+09:00", **items: str) -> dict[str, Any]:
    return {
        "id": release_id, "mode": "personal", "purpose": "ad_partners", "recipient": "adco", "at": at,
        "members": {"path": "members.csv", "columns": {"member_id": "member_id", "email": "email"}},
        "partner": {"path": "partner.csv", "columns": {"email": "mail"}},
        "output": {"dir": "out", "items": items or {SPEND: "purchase"}},
    }  # fmt: skip


def _release(
    store: Engine, folder: Path, spec: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    done = releases.run_now(store, parse_spec(spec, folder))
    return pq.read_table(done.directory / "release.parquet").to_pylist(), done.manifest


def test_scores_are_provided_only_to_persons_both_purposes_cover_now(scored: tuple[Engine, Path]) -> None:
    store, folder = scored
    rows, manifest = _release(store, folder, release_spec("r-1"))
    # S2 withdrew from profiling in 2023 (no score), so no row, although ad_partners covers S2.
    assert sorted(r[SPEND] for r in rows) == [2000, 3000]
    assert manifest["counts"]["allowed"] == 2 and manifest["counts"]["excluded"] == 1
    assert manifest["profiles"]["dna-r"]["purpose"] == "purchase_profiling"
    assert manifest["provision_record"]["data_items"] == [SPEND]
    with write_scope(store) as s:  # after the run: S1 withdraws from profiling, S4 objects to provision
        record_events(s, [event("S1", "purchase_profiling", action="withdraw", when="2024-06-05T10:00")])
    rows, manifest = _release(store, folder, release_spec("r-2"))
    assert [r[SPEND] for r in rows] == [3000]  # the output still holds S1's score; the release does not
    assert manifest["counts"]["excluded"] == 2
    with write_scope(store) as s:
        record_events(s, [event("S4", "ad_partners", action="withdraw", when="2024-06-06T10:00")])
    rows, _ = _release(store, folder, release_spec("r-3"))
    assert rows == []


def test_an_erased_persons_score_is_gone_and_the_release_reads_the_rewritten_output(
    scored: tuple[Engine, Path],
) -> None:
    store, folder = scored
    with write_scope(store) as s:
        erase(s, "S4")
    rows, _ = _release(store, folder, release_spec("r-e"))
    assert [r[SPEND] for r in rows] == [2000]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"profile:nope.spend_365": "purchase"}, "no such recorded profile run"),
        ({"profile:dna-r.nope": "purchase"}, "no such feature"),
        ({SPEND: "contact"}, "its profiling purpose declares"),
        ({"profile:dna-r.spend_365": "health_guess"}, "not among purpose 'ad_partners'"),
    ],
)
def test_a_profile_item_outside_its_run_or_purposes_is_refused(
    scored: tuple[Engine, Path], items: dict[str, str], message: str
) -> None:
    store, folder = scored
    with pytest.raises(InputError, match=message) as refused:
        releases.run_now(store, parse_spec(release_spec("r-x", **items), folder))
    assert refused.value.field is not None and refused.value.field.startswith("output.items.")


def test_a_changed_output_is_refused(scored: tuple[Engine, Path]) -> None:
    store, folder = scored
    output = folder / "profiles" / "dna-r" / "profiles.parquet"
    table = pq.read_table(output)
    pq.write_table(table.slice(0, 1), output)
    with pytest.raises(InputError, match="differs from its record"):
        releases.run_now(store, parse_spec(release_spec("r-t"), folder))


def _statistics_spec(release_id: str, mode: str, **section: Any) -> dict[str, Any]:
    """A release of ``mode`` over all members (no partner) with a region column."""
    spec = release_spec(release_id) | {"mode": mode, **section}
    spec["members"] = {"path": "regions.csv", "columns": {"member_id": "member_id", "region": "region"}}
    del spec["partner"]
    return spec


def test_scores_feed_statistics_only_for_persons_both_purposes_cover(scored: tuple[Engine, Path]) -> None:
    """Statistics are not personal data, but making them is a use of the scores: only persons the
    release purpose and the profiling purpose cover now are counted (S2 withdrew from profiling)."""
    store, folder = scored
    (folder / "regions.csv").write_text(
        "member_id,region\nS1,関東\nS2,関東\nS3,関西\nS4,関東\nS5,関西\n", "utf-8"
    )
    aggregate = {"dimensions": ["region"], "measures": [SPEND], "min_cell_size": 1, "with_totals": False}
    done = releases.run_now(
        store, parse_spec(_statistics_spec("r-stat", "aggregate", aggregate=aggregate), folder)
    )
    (cell,) = pq.read_table(done.directory / "aggregate.parquet").to_pylist()
    assert (cell["region"], cell["count"], cell[f"sum_{SPEND}"]) == ("関東", 2, 5000)  # S1 2,000 + S4 3,000
    assert done.manifest["profiles"]["dna-r"]["purpose"] == "purchase_profiling"


def test_scores_are_generalised_as_quasi_identifiers_of_anonymised_information(
    scored: tuple[Engine, Path],
) -> None:
    store, folder = scored
    (folder / "regions.csv").write_text(
        "member_id,region\nS1,関東\nS2,関東\nS3,関西\nS4,関東\nS5,関西\n", "utf-8"
    )
    anonymization = {
        "quasi_identifiers": {"region": "mask", SPEND: "interval:1000,5000"},
        "k": 2,
        "shuffle": False,
    }
    done = releases.run_now(
        store, parse_spec(_statistics_spec("r-anon", "anonymized", anonymization=anonymization), folder)
    )
    rows = pq.read_table(done.directory / "anonymized.parquet").to_pylist()
    assert len(rows) == 2 and rows[0][SPEND] == rows[1][SPEND]  # 2,000 and 3,000 share one interval
    assert not {"S1", "S4"} & {str(v) for r in rows for v in r.values()}


def test_a_profile_item_a_statistics_release_does_not_use_is_refused(scored: tuple[Engine, Path]) -> None:
    _, folder = scored
    spec = _statistics_spec("r-a", "aggregate", aggregate={"dimensions": ["region"]})
    with pytest.raises(InputError, match="dimensions or measures"):
        parse_spec(spec, folder)
