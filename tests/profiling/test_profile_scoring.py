"""Scores from trained models (issue 16, scope 2): an ONNX model runs over the features of the
persons profiled, a batch at a time; its score is what the model's own arithmetic gives; a
person with an empty input gets no score unless the job says what to fill in; the manifest names
the model by digest; a model that is not ONNX (a pickle), does not fit its inputs, differs from its
pin or reaches for files beside it is refused before anything runs; scores are release items."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from onnx import TensorProto, helper, numpy_helper
from sqlalchemy import Engine

from hogo.errors import InputError
from hogo.profiling import scoring
from hogo.profiling.spec import parse_profile_spec
from hogo.release.spec import SpecPaths, parse_spec
from hogo.services import ledger, releases
from hogo.services.consent import record_events
from hogo.services.profiles import run_profile
from hogo.store.database import read_scope, write_scope
from tests.factories import event
from tests.profiling.test_profile_items import release_spec, write_release_inputs
from tests.profiling.test_profile_jobs import job, world
from tests.release.world import TOKEN_KEY

__all__ = ["world"]

WEIGHTS = np.array([-0.02, 0.5, 0.0004], np.float32)  # recency_days, orders_365, spend_365
BIAS = np.float32(-1.25)
INPUTS = ["recency_days", "orders_365", "spend_365"]


def linear_model(path: Path, weights: np.ndarray[Any, Any] = WEIGHTS, *, two_class: bool = False) -> Path:
    """A logistic model as an ONNX graph: sigmoid(X·w + b), or [1 − p, p] with ``two_class``."""
    width = len(weights)
    nodes = [
        helper.make_node("MatMul", ["X", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "B"], ["z"]),
        helper.make_node("Sigmoid", ["z"], ["p"]),
    ]
    out_width = 2 if two_class else 1
    if two_class:
        nodes += [
            helper.make_node("Sub", ["one", "p"], ["q"]),
            helper.make_node("Concat", ["q", "p"], ["Y"], axis=1),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["p"], ["Y"]))
    graph = helper.make_graph(
        nodes,
        "churn",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, out_width])],
        [
            numpy_helper.from_array(weights.reshape(width, 1), "W"),
            numpy_helper.from_array(np.array([BIAS], np.float32), "B"),
            numpy_helper.from_array(np.array([1.0], np.float32), "one"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def expected(row: dict[str, Any], fill: float | None = None) -> float | None:
    """The model's arithmetic done by hand, in float32 as the model does it."""
    values = [row[name] for name in INPUTS]
    if any(v is None for v in values) and fill is None:
        return None
    x = np.array([fill if v is None else v for v in values], np.float32)
    return float(1 / (1 + np.exp(-(np.float32(x @ WEIGHTS) + BIAS))))


def _run(
    store: Engine, folder: Path, job_id: str = "scored", engine: str = "duckdb", **score: Any
) -> tuple[dict[str, Any], Any]:
    spec = job(folder, job_id, engine=engine,
               scores=[{"name": "churn", "model": "churn.onnx", "inputs": INPUTS, **score}])  # fmt: skip
    result = run_profile(store, parse_profile_spec(spec, SpecPaths.local(folder)))
    return result.manifest, result.directory


def test_the_score_is_the_models_arithmetic_and_an_empty_input_gives_no_score(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder = world
    model = linear_model(folder / "churn.onnx")
    monkeypatch.setattr(scoring, "BATCH_ROWS", 1)  # one person a batch: rows stay in order across batches
    manifest, directory = _run(store, folder)
    rows = {r["subject_id"]: r for r in pq.read_table(directory / "profiles.parquet").to_pylist()}
    assert sorted(rows) == ["S1", "S4"]  # scores only for persons the purpose covers
    for row in rows.values():
        assert row["churn"] == pytest.approx(expected(row), abs=1e-6)
    assert rows["S1"]["orders_365"] == 2  # the features are still there beside the score
    described = manifest["scores"][0]
    assert described["model"] == "churn.onnx" and str(folder) not in str(manifest)  # no server path
    assert described["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert not (directory / ".features.parquet").exists()
    with read_scope(store) as session:
        assert ledger.entry(session, manifest["ledger_seq"]).payload()["scores"] == manifest["scores"]  # type: ignore[union-attr]


def test_a_person_without_purchases_is_scored_only_with_a_declared_fill(world: tuple[Engine, Path]) -> None:
    store, folder = world
    linear_model(folder / "churn.onnx")
    with write_scope(store) as s:  # S5 agrees to profiling after all but bought nothing: no recency
        record_events(s, [event("S5", "purchase_profiling", when="2024-01-01T10:00")])
    unfilled, directory = _run(store, folder, "plain")
    plain = {r["subject_id"]: r for r in pq.read_table(directory / "profiles.parquet").to_pylist()}
    assert plain["S5"]["recency_days"] is None and plain["S5"]["churn"] is None
    _, directory = _run(
        store, folder, "filled", missing=400.0, output="Y", sha256=unfilled["scores"][0]["model_sha256"]
    )
    filled = {r["subject_id"]: r for r in pq.read_table(directory / "profiles.parquet").to_pylist()}
    assert filled["S5"]["churn"] == pytest.approx(expected(filled["S5"], 400.0), abs=1e-6)
    assert filled["S1"]["churn"] == pytest.approx(plain["S1"]["churn"])


def test_a_two_class_output_takes_the_chosen_column_and_csv_output_holds_the_scores(
    world: tuple[Engine, Path],
) -> None:
    store, folder = world
    linear_model(folder / "churn.onnx", two_class=True)
    spec = job(folder, "csv", output={"dir": "profiles", "format": "csv"},
               scores=[{"name": "churn", "model": "churn.onnx", "inputs": INPUTS, "column": 1}])  # fmt: skip
    result = run_profile(store, parse_profile_spec(spec, SpecPaths.local(folder)))
    rows = pacsv.read_csv(result.directory / "profiles.csv").to_pylist()
    assert {r["subject_id"] for r in rows} == {"S1", "S4"}
    for row in rows:
        assert row["churn"] == pytest.approx(expected(row), abs=1e-6)
    assert oct((result.directory / "profiles.csv").stat().st_mode & 0o777) == "0o600"


def _external_data_model(path: Path) -> Path:
    """A model whose weights point to a file outside its folder ("external data")."""
    linear_model(path)
    model = onnx.load(str(path))
    weights = model.graph.initializer[0]
    weights.ClearField("raw_data")
    weights.data_location = TensorProto.EXTERNAL
    weights.external_data.add(key="location", value="../secret.bin")
    path.write_bytes(model.SerializeToString())
    return path


@pytest.mark.parametrize(
    ("prepare", "score", "field"),
    [
        (lambda p: p.write_bytes(pickle.dumps({"weights": [1, 2, 3]})), {}, "scores.0.model"),
        (_external_data_model, {}, "scores.0.model"),
        (linear_model, {"sha256": "0" * 64}, "scores.0.sha256"),
        (lambda p: linear_model(p, WEIGHTS[:2]), {}, "scores.0.inputs"),  # takes two columns, given three
        (lambda p: linear_model(p, two_class=True), {}, "scores.0.column"),  # two columns, none chosen
        (linear_model, {"output": "nope"}, "scores.0.output"),
        (linear_model, {"infers": "medical"}, "scores.0.infers"),  # not a category of the purpose
    ],
)
def test_a_model_that_is_not_onnx_does_not_fit_or_reaches_outside_is_refused_before_running(
    world: tuple[Engine, Path], prepare: Any, score: dict[str, Any], field: str
) -> None:
    store, folder = world
    (folder.parent / "secret.bin").write_bytes(b"\0" * 12)
    prepare(folder / "churn.onnx")
    with read_scope(store) as session:
        before = ledger.head(session).seq
    with pytest.raises(InputError) as refused:
        _run(store, folder, **score)
    assert refused.value.field == field
    with read_scope(store) as session:
        assert ledger.head(session).seq == before
    assert not (folder / "profiles" / "scored").exists()


def test_a_submitted_job_reads_its_model_only_inside_the_data_folder(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    linear_model(tmp_path / "outside.onnx")
    (inputs / "purchases.parquet").write_bytes(b"")
    spec = job(inputs, scores=[{"name": "churn", "model": "../outside.onnx", "inputs": INPUTS}])
    with pytest.raises(InputError) as refused:
        parse_profile_spec(spec, SpecPaths.submitted(inputs, tmp_path / "releases"))
    assert refused.value.field == "scores.0.model"


def test_scores_must_read_features_of_the_job(tmp_path: Path) -> None:
    spec = job(tmp_path, scores=[{"name": "churn", "model": "m.onnx", "inputs": ["recency_days", "nope"]}])
    with pytest.raises(InputError, match="nope"):
        parse_profile_spec(spec, SpecPaths.local(tmp_path))


def test_a_score_is_a_release_item_under_the_profiling_purposes_categories(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder = world
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    linear_model(folder / "churn.onnx")
    _, directory = _run(store, folder, "dna-r")
    scores = {r["subject_id"]: r["churn"] for r in pq.read_table(directory / "profiles.parquet").to_pylist()}
    with write_scope(store) as s:
        record_events(s, [event(w, "ad_partners", when="2022-03-01T10:00") for w in ("S1", "S2", "S4")])
    write_release_inputs(folder)
    item = "profile:dna-r.churn"
    done = releases.run_now(store, parse_spec(release_spec("r-score", **{item: "purchase"}), folder))
    provided = sorted(r[item] for r in pq.read_table(done.directory / "release.parquet").to_pylist())
    assert provided == pytest.approx(sorted([scores["S1"], scores["S4"]]))
    assert done.manifest["provision_record"]["data_items"] == [item]


def test_every_engine_writes_the_same_scores(world: tuple[Engine, Path], engine_name: str) -> None:
    store, folder = world
    if store.dialect.name != "sqlite":
        pytest.skip("the engines read the same consent source from either store; run once")
    linear_model(folder / "churn.onnx")
    _, reference = _run(store, folder, "on-duckdb", engine="duckdb")
    _, directory = _run(store, folder, f"with-{engine_name}", engine=engine_name)
    read = [pq.read_table(d / "profiles.parquet").to_pylist() for d in (reference, directory)]
    assert read[0] == read[1] and all(r["churn"] is not None for r in read[0])
