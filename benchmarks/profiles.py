"""Profile jobs at scale: consent decision → purchases staged → features → model score.

Run: `python benchmarks/profiles.py [--members 10000000] [--purchases-per-member 10] [--from SYNTH_DIR]
[--engine duckdb|spark [--same-as-duckdb]] [--memory-limit 2GB]`.
Synthetic members, purchases and consent histories come from `hogo synth` (in a child process,
so its memory does not count). The timed part is the profile pipeline (`prepare_profile`: who may
be profiled, staging the purchases, seven features, an ONNX score) with the consent data read
from a snapshot as benchmarks/release.py does; recording the run is one ledger entry and is left
out. The baseline is a plain DuckDB aggregation of the same purchases file into the same
feature columns for every member, consent ignored, written to Parquet, in the same run.
Goal (issue 16): 10M members / 100M purchases within 3x the plain aggregation.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
from onnx import TensorProto, helper, numpy_helper

from figures import row
from hogo.domain.clock import JST
from hogo.engines import get_engine
from hogo.files.policy_yaml import parse_policy
from hogo.profiling.plan import plan_profile
from hogo.profiling.run import prepare_profile
from hogo.profiling.spec import parse_profile_spec
from hogo.release.spec import SpecPaths
from release import consent_snapshot

# The synthetic consent histories are about `targeted_ads`: here it is declared as the profiling
# purpose (analysis and use of results), so the synthetic grants, refusals and withdrawals decide
# who is profiled.
POLICY = """\
organization: {name: ベンチマーク株式会社, address: 東京都, representative: 代表者}
data_categories:
  - {id: purchase, appi_class: personal_data, title: 購買履歴}
purposes:
  - {id: marketing_email, title: メールでのご案内, kind: internal_use, requires_consent: true, data_categories: [purchase]}
  - id: targeted_ads
    title: 購買履歴の分析と広告
    kind: profiling
    requires_consent: true
    data_categories: [purchase]
    profiling: {analysis: 購買履歴から趣味・嗜好を分析します。, use_of_results: 趣味・嗜好に応じた広告に利用します。}
terms:
  - {version: "2020-04", effective_from: 2020-04-01, purposes: [marketing_email]}
  - {version: "2021-07", effective_from: 2021-07-01, purposes: [marketing_email, targeted_ads]}
"""
AT = datetime(2026, 4, 1, tzinfo=JST)
DAY = 86_400


def score_model(path: Path) -> Path:
    """A logistic model over recency, orders and spend (what a churn model looks like)."""
    weights = np.array([[-0.01], [0.3], [0.0001]], np.float32)
    nodes = [("MatMul", ["X", "W"], ["xw"]), ("Add", ["xw", "B"], ["z"]), ("Sigmoid", ["z"], ["Y"])]
    graph = helper.make_graph(
        [helper.make_node(*node) for node in nodes],
        "churn",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(np.array([-1.0], np.float32), "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def job(folder: Path, work: Path) -> dict[str, object]:
    return {
        "id": "bench", "purpose": "targeted_ads", "at": AT.isoformat(), "purchases_category": "purchase",
        "purchases": {"path": str(folder / "purchases.parquet"),
                      "columns": {c: c for c in ("member_id", "purchased_at", "amount_yen", "category")}},
        "features": [
            {"name": "recency_days", "kind": "recency"},
            {"name": "orders_365", "kind": "frequency", "window_days": 365},
            {"name": "spend_365", "kind": "monetary", "window_days": 365},
            {"name": "food_share", "kind": "spend_share", "category": "食品", "window_days": 365},
            {"name": "food_affinity", "kind": "affinity", "category": "食品", "window_days": 365},
            {"name": "evening_share", "kind": "time_of_day", "hours": [18, 24]},
        ],
        "scores": [{"name": "churn", "model": str(score_model(work / "churn.onnx")),
                    "inputs": ["recency_days", "orders_365", "spend_365"], "missing": 0}],
        "output": {"dir": str(work / "out")},
    }  # fmt: skip


def plain_aggregation(folder: Path, out: Path) -> tuple[float, float]:
    """The same columns for every member with plain DuckDB SQL: no consent, no score."""
    at, purchases = int(AT.timestamp()), folder / "purchases.parquet"
    window = f"epoch(purchased_at) > {at} - 365 * {DAY}"
    con = duckdb.connect()
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(
        f"""COPY (
          WITH everyone AS (
            SELECT sum(amount_yen) FILTER (WHERE category = '食品' AND {window}) AS food,
                   sum(amount_yen) FILTER (WHERE {window}) AS spend
            FROM read_parquet('{purchases}') WHERE epoch(purchased_at) <= {at})
          SELECT member_id,
                 floor(({at} - max(epoch(purchased_at))) / {DAY}) AS recency_days,
                 count(*) FILTER (WHERE {window}) AS orders_365,
                 coalesce(sum(amount_yen) FILTER (WHERE {window}), 0) AS spend_365,
                 sum(amount_yen) FILTER (WHERE category = '食品' AND {window})
                   / sum(amount_yen) FILTER (WHERE {window}) AS food_share,
                 food_share / any_value(everyone.food / everyone.spend) AS food_affinity,
                 avg(CASE WHEN hour(purchased_at) >= 18 THEN 1 ELSE 0 END) AS evening_share
          FROM read_parquet('{purchases}'), everyone
          WHERE epoch(purchased_at) <= {at} GROUP BY member_id ORDER BY member_id
        ) TO '{out}' (FORMAT parquet)"""
    )
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000_000)
    parser.add_argument("--purchases-per-member", type=float, default=10.0)
    parser.add_argument("--from", dest="source", type=Path, help="reuse a `hogo synth` folder")
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    parser.add_argument(
        "--memory-limit", help="the engine's memory limit (HOGO_ENGINE_MEMORY_LIMIT's default when omitted)"
    )
    parser.add_argument(
        "--same-as-duckdb", action="store_true", help="run the job on DuckDB too and compare the two outputs"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = args.source or work / "synth"
        t0 = time.perf_counter()
        if args.source is None:
            hogo = str(Path(sys.executable).with_name("hogo"))
            subprocess.run([hogo, "synth", str(folder), "--members", str(args.members), "--purchases-per-member",
                            str(args.purchases_per_member), "--json"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        synth_s = time.perf_counter() - t0
        consent = consent_snapshot(folder, work)
        spec = parse_profile_spec(job(folder, work), SpecPaths.local(work))
        (work / "job").mkdir()
        stages: list[tuple[str, float, float]] = []
        start, cpu = time.perf_counter(), time.process_time()
        plan = plan_profile(spec, parse_policy(POLICY), AT)
        with get_engine(args.engine, memory_limit=args.memory_limit, temp_directory=work / "spill") as engine:
            prepared = prepare_profile(
                plan,
                consent,
                engine,
                work / "job",
                lambda what: stages.append((what, time.perf_counter(), time.process_time())),
            )
        profile_s, profile_cpu = time.perf_counter() - start, time.process_time() - cpu
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        plain_s, plain_cpu = plain_aggregation(folder, work / "plain.parquet")
        counts = prepared.counts
        print(f"hogo profile benchmark — {counts['subjects']:,} persons, {counts['purchases']:,} purchases "
              f"(synth took {synth_s:.0f} s)")  # fmt: skip
        row(f"profile job on {args.engine} (6 features + score)", profile_s, "s", "plain DuckDB aggregation, no consent",
            plain_s, "goal ratio <= 3 (DuckDB)" if args.engine == "duckdb" else "")  # fmt: skip
        row("  CPU time (all threads)", profile_cpu, "s", "  CPU time (all threads)", plain_cpu)
        print(f"{'peak RSS':<40} {peak_gb:>14.2f} GB")
        ends = [(t, c) for _, t, c in stages[1:]] + [(start + profile_s, cpu + profile_cpu)]
        for (what, began, began_cpu), (end, end_cpu) in zip(stages, ends, strict=True):
            print(f"  {what:<44} {end - began:7.1f} s  CPU {end_cpu - began_cpu:7.1f} s")
        print(f"  profiled {counts['profiled']:,}; excluded {counts['excluded']:,}; "
              f"purchases of persons profiled {counts['purchases_of_profiled']:,}")  # fmt: skip
        if args.same_as_duckdb:
            (work / "reference").mkdir()
            with get_engine(
                "duckdb", memory_limit=args.memory_limit, temp_directory=work / "spill"
            ) as engine:
                prepare_profile(plan, consent, engine, work / "reference")
            ours, reference = (pq.read_table(work / d / "profiles.parquet") for d in ("job", "reference"))
            same = ours.cast(reference.schema).sort_by("subject_id").equals(reference.sort_by("subject_id"))
            print(f"  output identical to DuckDB's: {'yes' if same else 'NO'} ({ours.num_rows:,} rows)")


if __name__ == "__main__":
    main()
