"""The profile pipeline: decide who may be profiled, compute their features, write the file.

1. decide set-wise who the profiling purpose covers at the run time (`hogo.eligibility`, the
   decision engine's semantics; no recipient: profiling is a use, not a provision);
2. stage the purchases, typed (`hogo.profiling.inputs`);
3. compute the features for the persons allowed only (`hogo.profiling.features`: their purchases
   are joined to them before anything is aggregated) and write them, keyed by subject id; everyone
   else gets no row, whatever their purchases;
4. with `scores`, run each model over those rows a batch at a time (`hogo.profiling.scoring`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hogo.eligibility import ConsentSource, decisions_into
from hogo.engines import SqlEngine
from hogo.profiling.features import PURCHASES, features_sql
from hogo.profiling.inputs import stage_purchases
from hogo.profiling.plan import ProfilePlan
from hogo.profiling.scoring import score_file
from hogo.release.run import write_output

Step = Callable[[str], None]
_DECISIONS, _PROFILED, _PURCHASES = "prof_decisions", "prof_profiled", "prof_purchases"
_PER_PERSON = "prof_per_person"  # the features' parts, per person profiled with purchases
_FEATURES = ".features.parquet"  # the features before scoring, removed once scored
OUTPUT = {"parquet": "profiles.parquet", "csv": "profiles.csv"}


@dataclass(frozen=True)
class PreparedProfile:
    counts: dict[str, int]
    #: The data part of the manifest: features, bases, exclusions (counts only, no person).
    manifest: dict[str, Any]


def prepare_profile(
    plan: ProfilePlan, consent: ConsentSource, engine: SqlEngine, work: Path, step: Step | None = None
) -> PreparedProfile:
    say = step or (lambda _: None)
    spec, i = plan.spec, engine.ident
    say("同意・法的根拠を判定中 / deciding who may be profiled")
    decisions_into(engine, _DECISIONS, plan.policy, consent, spec.purpose, plan.at, with_reason=True)
    engine.create_table_as(_PROFILED, f"SELECT subject_id, basis FROM {i(_DECISIONS)} WHERE allowed")
    counts = {"subjects": engine.count(_DECISIONS), "profiled": engine.count(_PROFILED)}
    counts["excluded"] = counts["subjects"] - counts["profiled"]
    bases = engine.query(f"SELECT basis, COUNT(*) AS n FROM {i(_PROFILED)} GROUP BY basis ORDER BY basis")
    excluded = engine.query(
        f"SELECT reason, COUNT(*) AS n FROM {i(_DECISIONS)} WHERE NOT allowed "
        "GROUP BY reason ORDER BY n DESC, reason"
    )
    say("購買履歴を読み込み中 / reading purchases")
    counts["purchases"] = stage_purchases(engine, spec.purchases, _PURCHASES)
    say("特徴量を計算中 / computing features")
    at = int(plan.at.timestamp())
    sql, params = features_sql(engine, spec.features, _PURCHASES, _PROFILED, at, _PER_PERSON)
    of_profiled = engine.scalar(f"SELECT SUM({i(PURCHASES)}) FROM {i(_PER_PERSON)}")
    counts["purchases_of_profiled"] = int(of_profiled or 0)
    out = work / OUTPUT[spec.output.format]
    if plan.models:
        features = engine.write_parquet(sql, work / _FEATURES, params)
        say("モデルでスコアを計算中 / scoring with the models")
        score_file(features, out, spec.output.format, plan.models)
        features.unlink()
    else:
        write_output(engine, sql, out, spec.output.format, params)
    manifest: dict[str, Any] = {
        "features": [f.model_dump(mode="json", exclude_none=True) for f in spec.features],
        "features_sha256": plan.features_sha256,
        "purchases_category": spec.purchases_category,
        "scores": [m.describe() for m in plan.models],
        "bases": {str(r["basis"]): int(r["n"]) for r in bases.to_pylist()},
        "excluded_by_reason": {str(r["reason"]): int(r["n"]) for r in excluded.to_pylist()},
    }
    return PreparedProfile(counts, manifest)
