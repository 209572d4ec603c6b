"""Scores from trained models, computed over a job's features a batch of rows at a time.

Models come as ONNX files run by onnxruntime: an ONNX file is a declarative graph of known
operators, so loading one executes nothing its author wrote — unlike a pickled model, which hogo
never loads. A model is loaded from its bytes (so the SHA-256 recorded is that of what ran, and the
graph cannot pull in "external data" files from beside it) with one thread, so a re-run gives the
same scores. Scoring reads the features file in row groups and writes the output next to it, so
memory stays one batch whatever the number of persons, and both data engines give the same file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hogo.errors import InputError
from hogo.profiling.spec import ScoreSpec

BATCH_ROWS = 65_536
_FLOATS: dict[str, type[np.floating[Any]]] = {"tensor(float)": np.float32, "tensor(double)": np.float64}


@dataclass(frozen=True)
class ScoreModel:
    spec: ScoreSpec
    #: The spec key the score came from (`scores.N`), for errors.
    field: str
    session: ort.InferenceSession
    sha256: str
    input_name: str
    dtype: type[np.floating[Any]]
    output_name: str

    def describe(self) -> dict[str, Any]:
        """The score as the manifest records it: the model by file name and digest, never a path."""
        s = self.spec
        return {
            "name": s.name, "model": s.model.name, "model_sha256": self.sha256, "inputs": list(s.inputs),
            "output": self.output_name, "column": s.column, "missing": s.missing, "infers": s.infers,
        }  # fmt: skip

    def score(self, matrix: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        (result,) = self.session.run([self.output_name], {self.input_name: matrix.astype(self.dtype)})
        values = np.asarray(result)
        if values.ndim == 2:
            values = values[:, self.spec.column or 0]
        if values.shape != (len(matrix),):
            raise InputError(
                "モデルの出力が1人1つの値になっていません。",
                "the model's output does not give one value per person.",
                field=f"{self.field}.output",
            )
        return values.astype(np.float64)


def load_model(spec: ScoreSpec, field: str) -> ScoreModel:
    """Read and check one model before anything runs; every problem names ``field``."""

    def refuse(ja: str, en: str, where: str = "model") -> InputError:
        return InputError(ja, en, field=f"{field}.{where}")

    try:
        data = spec.model.read_bytes()
    except OSError:
        raise refuse("モデルのファイルを読めません。", "the model file cannot be read.") from None
    sha256 = hashlib.sha256(data).hexdigest()
    if spec.sha256 is not None and spec.sha256 != sha256:
        raise refuse(
            "モデルのSHA-256が指定と一致しません。", "the model's SHA-256 differs from the pin.", "sha256"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3  # onnxruntime's own warnings name nothing of ours
    try:
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception:  # onnxruntime raises its own types for every malformed or unsupported model
        raise refuse(
            "ONNX形式のモデルとして読み込めません(pickle等は受け付けません)。",
            "not a model onnxruntime can load as ONNX (pickles and the like are refused).",
        ) from None
    inputs = session.get_inputs()
    if len(inputs) != 1 or inputs[0].type not in _FLOATS or len(inputs[0].shape) != 2:
        raise refuse(
            "モデルの入力は、浮動小数点の2次元の表(人×特徴量)1つにしてください。",
            "the model must take one 2-D floating-point input (persons × features).",
        )
    width = inputs[0].shape[1]
    if isinstance(width, int) and width != len(spec.inputs):
        raise refuse(
            f"モデルの入力は{width}列ですが、inputs は{len(spec.inputs)}個です。",
            f"the model takes {width} columns but inputs names {len(spec.inputs)}.",
            "inputs",
        )
    outputs = {o.name: o for o in session.get_outputs()}
    name = spec.output or next(iter(outputs))
    chosen = outputs.get(name)
    if chosen is None:
        raise refuse("モデルにその出力はありません。", "the model has no such output.", "output")
    if chosen.type not in _FLOATS or len(chosen.shape) not in (1, 2):
        raise refuse(
            "その出力は数値の列ではありません(scikit-learn の変換では zipmap=False を指定してください)。",
            "that output is not a column of numbers (convert scikit-learn models with zipmap=False).",
            "output",
        )
    columns = chosen.shape[1] if len(chosen.shape) == 2 else None
    if isinstance(columns, int) and columns > 1 and (spec.column is None or spec.column >= columns):
        raise refuse(
            f"出力は{columns}列です。column で0〜{columns - 1}のどれかを選んでください。",
            f"the output has {columns} columns; choose one with column (0–{columns - 1}).",
            "column",
        )
    dtype = _FLOATS[inputs[0].type]
    return ScoreModel(spec, field, session, sha256, inputs[0].name, dtype, name)


def score_file(features: Path, out: Path, fmt: str, models: Sequence[ScoreModel]) -> None:
    """Write ``out`` (Parquet or CSV): the rows of the Parquet file ``features`` with one column
    per model appended, a row group at a time."""
    source = pq.ParquetFile(features)
    fields = [pa.field(m.spec.name, pa.float64()) for m in models]
    schema = pa.schema([*source.schema_arrow, *fields])
    with _writer(out, fmt, schema) as write:
        for batch in source.iter_batches(batch_size=BATCH_ROWS):
            columns = [_scores(batch, m) for m in models]
            write(pa.RecordBatch.from_arrays([*batch.columns, *columns], schema=schema))


def _scores(batch: pa.RecordBatch, model: ScoreModel) -> pa.Array:
    names = batch.schema.names
    matrix = np.column_stack(
        [
            pc.cast(batch.column(names.index(name)), pa.float64()).to_numpy(zero_copy_only=False)
            for name in model.spec.inputs
        ]
    ).reshape(batch.num_rows, len(model.spec.inputs))
    empty = np.isnan(matrix)
    fill = 0.0 if model.spec.missing is None else model.spec.missing
    values = model.score(np.where(empty, fill, matrix)) if batch.num_rows else np.empty(0)
    unscored = empty.any(axis=1) if model.spec.missing is None else np.zeros(batch.num_rows, bool)
    return pa.array(values, pa.float64(), mask=unscored)


@contextmanager
def _writer(path: Path, fmt: str, schema: pa.Schema) -> Iterator[Callable[[pa.RecordBatch], None]]:
    """A Parquet or CSV writer of ``schema``; the file is private (0600) from its creation."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as sink:
        out = pq.ParquetWriter(sink, schema) if fmt == "parquet" else pacsv.CSVWriter(sink, schema)
        try:
            yield out.write_batch
        finally:
            out.close()
