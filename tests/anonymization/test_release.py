"""Releases checked independently: pycanon on samples, a separate group-by on full outputs."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hogo.anonymization import release
from hogo.anonymization.evaluation import NodeEvaluator
from hogo.anonymization.metrics import Metric
from hogo.anonymization.release import anonymize
from hogo.anonymization.spec import AnonymizationSpec, QISpec
from hogo.anonymization.unusual import UnusualMode
from hogo.engines import SqlEngine, get_engine
from hogo.errors import HogoError, InputError
from tests.anonymization.conftest import ADULT_QIS, adult_qis


def _min_class(table: pa.Table, qis: list[str]) -> int:
    """k by a plain Python count over the released rows: independent of the engine."""
    counts: dict[tuple[object, ...], int] = {}
    cols = [table.column(q).to_pylist() for q in qis]
    for key in zip(*cols, strict=True):
        counts[key] = counts.get(key, 0) + 1
    return min(counts.values())


def test_adult_k5_full_output_checked_by_group_by(
    engine: SqlEngine, adult: str, adult_dir: Path, tmp_path: Path
) -> None:
    spec = AnonymizationSpec(
        quasi_identifiers=adult_qis(adult_dir, ADULT_QIS),
        sensitive=["salary-class"],
        k=5,
        l=2,
        suppression=0.04,
        unusual=UnusualMode.none,
        shuffle=False,
    )
    out = tmp_path / "adult.parquet"
    result = anonymize(engine, adult, spec, out=out, source_label="adult.csv")
    table = pq.read_table(out)
    assert table.num_rows == result.manifest.rows_out == 30162 - result.manifest.suppressed
    assert result.manifest.suppressed <= 0.04 * 30162
    assert _min_class(table, ADULT_QIS) == result.manifest.k_achieved
    assert result.manifest.k_achieved >= 5
    distinct: dict[tuple[object, ...], set[object]] = {}
    for row in table.to_pylist():
        distinct.setdefault(tuple(row[q] for q in ADULT_QIS), set()).add(row["salary-class"])
    assert min(len(v) for v in distinct.values()) >= 2
    manifest = json.loads((tmp_path / "adult.parquet.manifest.json").read_text(encoding="utf-8"))
    assert [c["measure"] for c in manifest["checklist"]] == [1, 2, 3, 4, 5]
    assert all(c["met"] for c in manifest["checklist"])
    assert manifest["risk_after"]["prosecutor_highest"] <= 0.2 < manifest["risk_before"]["prosecutor_highest"]
    notice = (tmp_path / "adult.parquet.公表事項.txt").read_text(encoding="utf-8")
    assert "匿名加工情報に含まれる個人に関する情報の項目" in notice and "提供の方法" in notice


@pytest.mark.parametrize("seed", [1, 2])
def test_pycanon_agrees_on_samples(
    engine: SqlEngine, adult: str, adult_dir: Path, tmp_path: Path, seed: int
) -> None:
    pycanon = pytest.importorskip("pycanon.anonymity", reason="pycanon がありません / pycanon not installed")
    sample = engine.create_table_as(
        "adult_sample", f"SELECT * FROM {engine.ident(adult)} USING SAMPLE 2000 ROWS (reservoir, {seed})"
    )
    qis = ["age", "sex", "education", "race"]
    spec = AnonymizationSpec(
        quasi_identifiers=adult_qis(adult_dir, qis), sensitive=["salary-class"], k=4, l=2, suppression=0.05
    )
    out = tmp_path / "s.parquet"
    result = anonymize(engine, sample, spec, out=out)
    frame = pq.read_table(out).to_pandas()
    assert pycanon.k_anonymity(frame, qis) == result.manifest.k_achieved
    assert result.manifest.k_achieved >= 4
    assert pycanon.l_diversity(frame, qis, ["salary-class"]) == result.manifest.l_achieved
    assert (result.manifest.l_achieved or 0) >= 2


def _members(rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    return pa.table(
        {
            "member_id": [f"M{100000 + i}" for i in range(rows)],
            "email": [f"user{i}@example.jp" for i in range(rows)],
            "phone": [f"090{rng.randint(10_000_000, 99_999_999)}" for _ in range(rows)],
            "age": [rng.randint(18, 90) for _ in range(rows)],
            "prefecture_code": [rng.choice(["13", "14", "27", "01"]) for _ in range(rows)],
            "spend": [rng.randint(0, 100_000) for _ in range(rows)],
        }
    )


def _member_spec(k: int) -> AnonymizationSpec:
    return AnonymizationSpec(
        quasi_identifiers=[
            QISpec.parse_option("age=interval:5,10,20,40"),
            QISpec.parse_option("prefecture_code=mask:1"),
        ],
        keep=["spend"],
        drop=["email", "phone"],
        id_column="member_id",
        k=k,
        suppression=0.1,
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(1, 15), seed=st.integers(0, 1000))
def test_any_k_output_is_k_anonymous_and_free_of_identifiers(k: int, seed: int, tmp_path: Path) -> None:
    source = _members(300, seed)
    out = tmp_path / f"m{k}_{seed}.parquet"
    with get_engine() as engine:
        engine.register_arrow("members", source)
        result = anonymize(engine, "members", _member_spec(k), out=out)
    table = pq.read_table(out)
    assert table.column_names == ["release_id", "age", "prefecture_code", "spend"]
    assert _min_class(table, ["age", "prefecture_code"]) >= k
    secrets = {*source.column("member_id").to_pylist(), *source.column("email").to_pylist()}
    secrets |= set(source.column("phone").to_pylist())
    released = {str(v) for col in table.columns for v in col.to_pylist()}
    assert not secrets & released
    assert len(set(table.column("release_id").to_pylist())) == table.num_rows
    assert result.manifest.dropped == ["member_id", "email", "phone"]


def test_bad_inputs_give_clear_errors_and_no_output(engine: SqlEngine, tmp_path: Path) -> None:
    engine.register_arrow("members", _members(50, 1))
    out = tmp_path / "o.parquet"
    bad = _member_spec(2).model_copy(update={"keep": ["no_such_column"]})
    with pytest.raises(InputError) as info:
        anonymize(engine, "members", bad, out=out)
    assert info.value.field == "no_such_column"
    leaky = _member_spec(2).model_copy(update={"keep": ["spend", "email"], "drop": ["phone"]})
    with pytest.raises(InputError) as info:
        anonymize(engine, "members", leaky, out=out)
    assert info.value.field == "email"
    impossible = _member_spec(100).model_copy(update={"suppression": 0.0})
    with pytest.raises(HogoError):
        anonymize(engine, "members", impossible, out=out)
    assert list(tmp_path.iterdir()) == []


def test_value_missing_from_hierarchy_is_named_by_column(engine: SqlEngine, tmp_path: Path) -> None:
    hier = tmp_path / "pref.csv"
    hier.write_text("13;関東;*\n14;関東;*\n", encoding="utf-8")
    engine.register_arrow("members", _members(40, 3))
    spec = _member_spec(2).model_copy(
        update={"quasi_identifiers": [QISpec(name="prefecture_code", path=hier)]}
    )
    with pytest.raises(InputError) as info:
        anonymize(engine, "members", spec, out=tmp_path / "o.parquet")
    assert info.value.field == "prefecture_code"
    assert "27" not in str(info.value)
    assert not (tmp_path / "o.parquet").exists()


def test_unusual_values_are_top_coded(engine: SqlEngine) -> None:
    rows = [20 + (i % 40) for i in range(400)] + [116]
    engine.register_arrow("p", pa.table({"age": rows, "region": ["a"] * len(rows)}))
    spec = AnonymizationSpec(
        quasi_identifiers=[
            QISpec.parse_option("age=interval:5,10,20,40,80,160"),
            QISpec.parse_option("region=mask"),
        ],
        k=2,
        unusual=UnusualMode.topcode,
        unusual_quantiles=(0.0, 0.99),
    )
    result = anonymize(engine, "p", spec)
    age = next(f for f in result.manifest.unusual.findings if f.column == "age")
    assert age.coded_high >= 1 and age.rare_values >= 1
    assert result.manifest.rows_out == len(rows)


@pytest.mark.parametrize(
    "extra",
    [
        {"k": 5, "l": 2, "suppression": 0.04},
        {"k": 3, "t": 0.3, "suppression": 0.05, "metric": Metric.entropy},
    ],
    ids=["l-diversity", "t-closeness"],
)
def test_sql_evaluator_gives_the_same_release(
    engine: SqlEngine,
    adult: str,
    adult_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: dict[str, Any],
) -> None:
    """Frequency tables too large for memory are evaluated in SQL: same optimum, same release."""
    sample = engine.create_table_as(
        "adult_every_10th",
        f"SELECT * FROM (SELECT *, row_number() OVER () AS rn FROM {engine.ident(adult)}) WHERE rn % 10 = 0",
    )
    spec = AnonymizationSpec(
        quasi_identifiers=adult_qis(adult_dir, ["age", "sex", "race", "education", "marital-status"]),
        sensitive=["salary-class"],
        unusual=UnusualMode.none,
        shuffle=False,
        **extra,
    )
    in_memory = anonymize(engine, sample, spec, out=tmp_path / "numpy.parquet").manifest
    monkeypatch.setattr(release, "FREQUENCY_LIMIT", 10)
    used: list[str] = []

    class Spy(NodeEvaluator):
        def close(self) -> None:
            used.append("sql")
            super().close()

    monkeypatch.setattr(release, "NodeEvaluator", Spy)
    in_sql = anonymize(engine, sample, spec, out=tmp_path / "sql.parquet").manifest
    assert used == ["sql"]
    for key in ("levels", "suppressed", "rows_out", "k_achieved", "l_achieved", "risk_before", "risk_after"):
        assert getattr(in_memory, key) == getattr(in_sql, key), key
    assert in_memory.metric_value == pytest.approx(in_sql.metric_value, rel=1e-9)
    rows = sorted(map(str, pq.read_table(tmp_path / "numpy.parquet").to_pylist()))
    assert rows == sorted(map(str, pq.read_table(tmp_path / "sql.parquet").to_pylist()))
