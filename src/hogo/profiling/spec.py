"""Profile job specs: which purchase features, from which data category, under which purpose.

A spec is YAML, validated as a whole; errors name the key. Paths go through the release specs'
one rule (`hogo.release.spec.SpecPaths`): relative to the spec's folder from the CLI, confined to
the data and output folders when submitted.
"""

from __future__ import annotations

import copy
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import Field, model_validator

from hogo.domain.ids import Identifier
from hogo.domain.model import Frozen
from hogo.engines import EngineName
from hogo.errors import InputError
from hogo.matching.inputs import InputSpec
from hogo.release.spec import SpecPaths, read_spec_file, validated

#: The purchase columns a job reads (`purchases.columns` maps them to the source's names).
REQUIRED_COLUMNS = ("member_id", "purchased_at", "amount_yen")
FEATURE_NAME = r"^[a-z][a-z0-9_]{0,62}$"


class FeatureKind(StrEnum):
    recency = "recency"  # days from the last purchase to the run time
    frequency = "frequency"  # purchases in the window
    monetary = "monetary"  # spend in the window (yen)
    spend_share = "spend_share"  # the category's share of the person's spend in the window
    affinity = "affinity"  # that share divided by the same share over everyone profiled
    time_of_day = "time_of_day"  # share of the person's purchases between two hours (JST)
    channel_share = "channel_share"  # share of the person's purchases through one channel


#: Which optional fields each kind takes (the others must be absent).
_NEEDS: dict[FeatureKind, frozenset[str]] = {
    FeatureKind.recency: frozenset(),
    FeatureKind.frequency: frozenset(),
    FeatureKind.monetary: frozenset(),
    FeatureKind.spend_share: frozenset({"category"}),
    FeatureKind.affinity: frozenset({"category"}),
    FeatureKind.time_of_day: frozenset({"hours"}),
    FeatureKind.channel_share: frozenset({"channel"}),
}


#: The optional purchase column a kind reads.
_COLUMN_OF = {
    FeatureKind.spend_share: "category",
    FeatureKind.affinity: "category",
    FeatureKind.channel_share: "channel",
}


class FeatureSpec(Frozen):
    name: str = Field(pattern=FEATURE_NAME)
    kind: FeatureKind
    #: Only purchases in the last `window_days` before the run time count (all of them if omitted).
    window_days: int | None = Field(default=None, ge=1, le=3650)
    #: The product category (a value of the purchases' `category` column).
    category: str | None = Field(default=None, min_length=1, max_length=200)
    #: [from, to) hours of the day in JST, e.g. [18, 24]; from > to wraps past midnight.
    hours: tuple[int, int] | None = None
    channel: str | None = Field(default=None, min_length=1, max_length=200)
    #: A data category of the policy this feature is declared to infer (e.g. a health condition
    #: from purchases): the purpose must cover it, and one that is 要配慮 needs consent.
    infers: Identifier | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Self:
        given = {k for k in ("category", "hours", "channel") if getattr(self, k) is not None}
        needed = _NEEDS[self.kind]
        if missing := needed - given:
            raise ValueError(f"a {self.kind.value} feature needs {', '.join(sorted(missing))}")
        if extra := given - needed:
            raise ValueError(f"a {self.kind.value} feature takes no {', '.join(sorted(extra))}")
        if self.hours is not None and not (0 <= self.hours[0] <= 23 and 1 <= self.hours[1] <= 24):
            raise ValueError("hours are [from 0–23, to 1–24]")
        return self


class ScoreSpec(Frozen):
    """A score from a trained model (ONNX, `hogo.profiling.scoring`) over some of the job's features.

    ONNX is a declarative graph: loading one runs no code of its author, unlike a pickle."""

    name: str = Field(pattern=FEATURE_NAME)
    #: The model file (`.onnx`); read from the spec's folder (CLI) or HOGO_INPUT_DIR (API).
    model: Path
    #: Pin the model: the job is refused if the file's SHA-256 differs.
    sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    #: Feature names, in the order of the model input's columns.
    inputs: tuple[str, ...] = Field(min_length=1, max_length=400)
    #: The model output to read (its first when omitted).
    output: str | None = Field(default=None, min_length=1, max_length=200)
    #: Which column of a 2-D output, e.g. 1 for the probability of class 1.
    column: int | None = Field(default=None, ge=0, le=10_000)
    #: The value given for an empty input (a person without purchases has no recency); when
    #: omitted such a person gets an empty score rather than a made-up one.
    missing: float | None = None
    #: A data category the model is declared to infer (as for features).
    infers: Identifier | None = None


class ProfileOutput(Frozen):
    #: Where the job's folder (named by the job id) is created.
    dir: Path
    format: str = Field(default="parquet", pattern="^(parquet|csv)$")


class ProfileSpec(Frozen):
    id: Identifier
    #: The profiling purpose the job runs under (its declaration says what is analysed and why).
    purpose: Identifier
    at: datetime | None = None
    purchases: InputSpec
    #: The policy data category the purchase rows belong to; the purpose must cover it.
    purchases_category: Identifier
    #: A consent snapshot (`hogo consent snapshot`) to read instead of the store; refused if stale.
    consent_snapshot: Path | None = None
    features: tuple[FeatureSpec, ...] = Field(min_length=1, max_length=400)
    scores: tuple[ScoreSpec, ...] = Field(default=(), max_length=400)
    output: ProfileOutput
    engine: EngineName | None = None

    @model_validator(mode="after")
    def _columns_and_names(self) -> Self:
        if missing := [c for c in REQUIRED_COLUMNS if c not in self.purchases.columns]:
            raise ValueError(f"purchases.columns must map {', '.join(missing)}")
        for f in self.features:
            column = _COLUMN_OF.get(f.kind)
            if column is not None and column not in self.purchases.columns:
                raise ValueError(f"feature {f.name}: purchases.columns must map {column}")
        names = [f.name for f in self.features]
        for n, score in enumerate(self.scores):
            if unknown := [x for x in score.inputs if x not in names]:
                raise ValueError(f"scores.{n}.inputs names no feature: {', '.join(unknown)}")
        names += [s.name for s in self.scores]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"feature and score names must be unique: {', '.join(dupes)}")
        if "subject_id" in names:
            raise ValueError("subject_id is the output's key, not a feature name")
        return self


def load_profile_spec(path: Path) -> ProfileSpec:
    """Read and validate a job file (CLI); relative paths are taken from its folder."""
    return parse_profile_spec(read_spec_file(path), SpecPaths.local(path.parent), str(path))


def parse_profile_spec(data: Any, paths: SpecPaths, where: str = "spec") -> ProfileSpec:
    """Validate a job given as a mapping; every path key is read by ``paths``."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: キーと値の対応で書いてください。", f"{where}: expected a mapping.")
    data = copy.deepcopy(data)
    paths.read_inputs(data, "purchases.path", "consent_snapshot")
    scores = data.get("scores")
    if isinstance(scores, list):
        for n, score in enumerate(scores):
            if isinstance(score, dict) and score.get("model") is not None:
                score["model"] = paths.input(score["model"], f"scores.{n}.model")
    paths.read_output_section(data)
    return validated(ProfileSpec, data, where)
