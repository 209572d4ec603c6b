"""Benchmarks for 匿名加工情報: one command prints every figure and its ratio to a named baseline.

    .venv/bin/python benchmarks/anonymization.py [--rows 10000000] [--skip-scale]

1. Adult, k=5, ARX hierarchies on all nine attributes, 4% suppression, loss: the chosen levels,
   and the time split as the goal names it: the lattice search over the built evaluator, without
   reading the file (goal ≤ 100 ms; ARX's Flash needs 28 ms in Java), apart from building the
   evaluator (the engine's GROUP BY into the frequency table); CPU and wall, median of 7.
   The manifest's ``search_seconds`` is the two together (wall).
2. Adult side by side with anonypy (Mondrian, k=5) on the same eight quasi-identifiers and the
   same sensitive attribute: time and information loss measured by one formula for both (share
   of each attribute's observed domain that a released cell covers; removed records cost 1).
3. Synthetic members (seeded numpy): k-anonymity verification of N rows (goal ≤ 3 s) and an
   anonymised release with k=10 on six quasi-identifiers (goal ≤ 3 min, peak RSS ≤ 8 GB), each
   against a plain DuckDB scan of the same Parquet file (the issue's ≤ 10× goal applies to the
   whole release pipeline, measured by benchmarks/release.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hogo.anonymization.evaluation import QuasiIdentifier
from hogo.anonymization.hierarchy import Hierarchy, read_arx_csv
from hogo.anonymization.lattice import SearchResult
from hogo.anonymization.metrics import Metric
from hogo.anonymization.release import anonymize, build_hierarchy, make_evaluator, search_lattice
from hogo.anonymization.spec import AnonymizationSpec, QISpec
from hogo.anonymization.unusual import UnusualMode
from hogo.anonymization.verify import verify_release
from hogo.engines import get_engine

ADULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "adult"
ALL = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def split_search(
    engine: Any, table: str, spec: AnonymizationSpec, repeat: int = 7
) -> tuple[Any, SearchResult]:
    """Median CPU and wall seconds of building the evaluator and of the search alone, and the result.

    CPU time (``process_time``) is what the machine's load does not inflate; it counts the engine's
    own threads too, so building may show more CPU than wall.
    """
    qis = [QuasiIdentifier(q.name, build_hierarchy(engine, table, q)) for q in spec.quasi_identifiers]
    model = spec.privacy_model()
    rows = engine.count(table)
    times: dict[str, list[float]] = {"build_cpu": [], "build_wall": [], "search_cpu": [], "search_wall": []}
    result: SearchResult | None = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        evaluator = make_evaluator(engine, table, qis, model, spec.metric, None, rows=rows)
        built_wall, built_cpu = time.perf_counter(), time.process_time()
        result = search_lattice(evaluator, qis, spec)
        times["search_wall"].append(time.perf_counter() - built_wall)
        times["search_cpu"].append(time.process_time() - built_cpu)
        times["build_wall"].append(built_wall - wall)
        times["build_cpu"].append(built_cpu - cpu)
        evaluator.close()
    assert result is not None
    return {name: statistics.median(values) for name, values in times.items()}, result


def adult_spec(qis: list[str], **extra: Any) -> AnonymizationSpec:
    return AnonymizationSpec(
        quasi_identifiers=[QISpec(name=n, path=ADULT / f"adult_hierarchy_{n}.csv") for n in qis],
        unusual=UnusualMode.none,
        shuffle=False,
        **extra,
    )


def bench_adult() -> None:
    print("== 1. Adult k=5, ARX hierarchies (9 attributes), suppression 4%, metric loss ==")
    engine = get_engine()
    engine.register_file("adult", ADULT / "adult.csv", delimiter=";")
    spec = adult_spec([*ALL, "salary-class"], k=5, suppression=0.04)
    searches: list[float] = []

    def run() -> Any:
        result = anonymize(engine, "adult", spec)
        searches.append(result.manifest.search_seconds)
        return result

    total, result = timed(run, repeat=5)
    m = result.manifest
    split, searched = split_search(engine, "adult", spec)
    assert searched.node == tuple(m.levels.values()) and searched.stats is not None
    assert searched.stats.suppressed == m.suppressed
    print(f"levels   {m.levels}")
    print(f"loss     {m.metric_value!r}   k {m.k_achieved}   suppressed {m.suppressed}")
    print(
        f"search   {split['search_cpu'] * 1000:.0f} ms CPU, {split['search_wall'] * 1000:.0f} ms wall "
        "(median of 7; the lattice search without reading the file; goal ≤ 100 ms, ARX Flash 28 ms)"
    )
    print(
        f"build    {split['build_cpu'] * 1000:.0f} ms CPU, {split['build_wall'] * 1000:.0f} ms wall "
        "(median of 7; the engine's GROUP BY into the frequency table, evaluator set up)"
    )
    print(
        f"manifest search_seconds (build + search, wall) {statistics.median(searches):.2f} s median, "
        f"{max(searches):.2f} s slowest of 5   whole release {total:.2f} s (median of 5)"
    )
    print(f"lattice  {m.nodes_evaluated} of {m.lattice_size} nodes evaluated")
    for metric in (Metric.precision, Metric.entropy):
        other = anonymize(engine, "adult", spec.model_copy(update={"metric": metric})).manifest
        print(
            f"  {metric:<15} levels {list(other.levels.values())}  value {other.metric_value:.6g}  "
            f"search {other.search_seconds:.2f} s  nodes {other.nodes_evaluated}"
        )
    engine.close()


def _domain_loss_hogo(
    table: pa.Table,
    hierarchies: dict[str, Hierarchy],
    observed: dict[str, set[str]],
    levels: dict[str, int],
    removed: int,
) -> float:
    cover: dict[str, dict[str, int]] = {}
    for name, h in hierarchies.items():
        counts: dict[str, int] = {}
        for row in h.rows:
            if row[0] in observed[name]:
                counts[row[levels[name]]] = counts.get(row[levels[name]], 0) + 1
        cover[name] = counts
    cells = 0.0
    for name in hierarchies:
        d = len(observed[name])
        for value in table.column(name).to_pylist():
            cells += (cover[name][value] - 1) / (d - 1)
    n = int(table.num_rows) + removed
    return float((cells + removed * len(hierarchies)) / (n * len(hierarchies)))


def _domain_loss_mondrian(
    rows: list[dict[str, Any]], observed: dict[str, set[str]], numeric: set[str]
) -> float:
    cells, n = 0.0, 0
    for row in rows:
        count = int(row["count"])
        n += count
        for name in observed:
            d = len(observed[name])
            cell = row[name]
            text = str(cell[0] if isinstance(cell, list) else cell)
            if name in numeric:
                lo, _, hi = text.partition("-")
                low, high = float(lo), float(hi or lo)
                covered = sum(1 for v in observed[name] if low <= float(v) <= high)
            else:
                covered = len(text.split(","))
            cells += count * (covered - 1) / (d - 1)
    return cells / (n * len(observed))


def bench_mondrian() -> None:
    print("\n== 2. Adult k=5 side by side: hogo (optimal full-domain) vs anonypy (Mondrian) ==")
    import importlib
    import importlib.util

    import pandas as pd  # type: ignore[import-untyped]

    if importlib.util.find_spec("anonypy") is None:
        print("anonypy is not installed: comparison skipped")
        return
    anonypy = importlib.import_module("anonypy.anonypy")

    frame = pd.read_csv(ADULT / "adult.csv", sep=";")
    observed = {c: {str(v) for v in frame[c].unique()} for c in ALL}
    engine = get_engine()
    engine.register_file("adult", ADULT / "adult.csv", delimiter=";")
    spec = adult_spec(ALL, sensitive=["salary-class"], k=5, suppression=0.04)
    t_hogo, result = timed(lambda: anonymize(engine, "adult", spec, out=None))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.parquet"
        anonymize(engine, "adult", spec, out=out)
        table = pq.read_table(out)
    hierarchies = {c: read_arx_csv(ADULT / f"adult_hierarchy_{c}.csv", c) for c in ALL}
    loss_hogo = _domain_loss_hogo(
        table, hierarchies, observed, result.manifest.levels, result.manifest.suppressed
    )

    def mondrian() -> list[dict[str, Any]]:
        df = frame.copy()
        for c in ALL:
            if c != "age":
                df[c] = df[c].astype("category")
        return list(anonypy.Preserver(df, ALL, "salary-class").anonymize_k_anonymity(k=5))

    t_mondrian, rows = timed(mondrian, repeat=1)
    loss_mondrian = _domain_loss_mondrian(rows, observed, {"age"})
    print(f"{'':<10}{'time s':>10}{'loss':>10}")
    print(f"{'hogo':<10}{t_hogo:>10.2f}{loss_hogo:>10.4f}   (suppressed {result.manifest.suppressed})")
    print(f"{'anonypy':<10}{t_mondrian:>10.2f}{loss_mondrian:>10.4f}")
    print(f"ratio hogo/anonypy: time {t_hogo / t_mondrian:.2f}×, loss {loss_hogo / loss_mondrian:.2f}×")
    engine.close()


REGIONS = [
    (1, 1, "北海道"),
    (2, 7, "東北"),
    (8, 14, "関東"),
    (15, 23, "中部"),
    (24, 30, "近畿"),
    (31, 35, "中国"),
    (36, 39, "四国"),
    (40, 47, "九州・沖縄"),
]


def make_members(rows: int, folder: Path) -> tuple[Path, Path, Path]:
    """Seeded synthetic members with skewed, realistic-looking distributions."""
    import numpy as np

    rng = np.random.default_rng(20241127)
    age = np.clip(rng.normal(45, 15, rows).round(), 18, 95).astype(np.int32)
    pref_weights = rng.zipf(1.6, 47).astype(float)
    prefecture = rng.choice(np.arange(1, 48), rows, p=pref_weights / pref_weights.sum())
    occ_weights = 1.0 / np.arange(1, 21)
    occupation = rng.choice(np.arange(20), rows, p=occ_weights / occ_weights.sum())
    income = (np.clip(rng.lognormal(15.2, 0.5, rows), 0, 3e7) // 500_000 * 500_000).astype(np.int64)
    day = rng.integers(0, 365, rows)
    table = pa.table(
        {
            "member_id": pa.array(np.char.add("M", np.arange(rows).astype("U9"))),
            "email": pa.array(np.char.add(np.arange(rows).astype("U9"), "@example.jp")),
            "age": age,
            "sex": rng.choice(np.array(["F", "M"]), rows),
            "prefecture": pa.array([f"{p:02d}" for p in range(48)]).take(pa.array(prefecture)),
            "occupation": pa.array([f"occ{o:02d}" for o in range(20)]).take(pa.array(occupation)),
            "income": income,
            "visit_date": pa.array(np.datetime64("2025-01-01") + day.astype("timedelta64[D]")).cast(
                pa.string()
            ),
            "spend": rng.integers(0, 200_000, rows),
        }
    )
    data = folder / "members.parquet"
    pq.write_table(table, data, row_group_size=1_000_000)
    pref = folder / "prefecture.csv"
    pref.write_text(
        "".join(f"{p:02d};{name};*\n" for lo, hi, name in REGIONS for p in range(lo, hi + 1)),
        encoding="utf-8",
    )
    occ = folder / "occupation.csv"
    occ.write_text("".join(f"occ{o:02d};group{o // 5};*\n" for o in range(20)), encoding="utf-8")
    return data, pref, occ


def _release_child(data: str, pref: str, occ: str, out: str, queue: Any) -> None:
    engine = get_engine(memory_limit="6GB", threads=2)
    engine.register_file("members", Path(data))
    spec = AnonymizationSpec(
        quasi_identifiers=[
            QISpec.parse_option("age=interval:5,10,20,40,80"),
            QISpec.parse_option("sex=mask"),
            QISpec(name="prefecture", path=Path(pref)),
            QISpec(name="occupation", path=Path(occ)),
            QISpec.parse_option("income=interval:1000000,5000000,10000000,40000000"),
            QISpec.parse_option("visit_date=date"),
        ],
        keep=["spend"],
        drop=["email"],
        id_column="member_id",
        k=10,
        suppression=0.01,
        unusual=UnusualMode.topcode,
    )
    start = time.perf_counter()
    m = anonymize(engine, "members", spec, out=Path(out)).manifest
    seconds = time.perf_counter() - start
    engine.register_file("released", Path(out))
    qi = [q.name for q in spec.quasi_identifiers]
    verify_seconds, check = timed(lambda: verify_release(engine, "released", qi))
    assert check.k == m.k_achieved >= 10
    queue.put((verify_seconds, check.rows))
    queue.put(
        (seconds, m.levels, m.k_achieved, m.suppressed, m.nodes_evaluated, m.lattice_size, m.search_seconds)
    )


def bench_scale(rows: int) -> None:
    print(f"\n== 3. Synthetic members, {rows:,} rows (seeded), 2 threads ==")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t_gen = time.perf_counter()
        data, pref, occ = make_members(rows, folder)
        print(f"generated in {time.perf_counter() - t_gen:.1f} s")
        engine = get_engine(threads=2)
        engine.register_file("members", data)
        qi = ["age", "sex", "prefecture", "occupation", "income", "visit_date"]
        # hash() forces every value of the columns to be read and decoded (MIN/COUNT alone are
        # answered from Parquet statistics without a scan).
        qi_cols = ", ".join(engine.ident(c) for c in qi)
        all_cols = ", ".join(engine.ident(c) for c in engine.columns("members"))
        t_scan, _ = timed(lambda: engine.query(f"SELECT MAX(hash({qi_cols})) FROM {engine.ident('members')}"))
        t_scan_all, _ = timed(
            lambda: engine.query(f"SELECT MAX(hash({all_cols})) FROM {engine.ident('members')}")
        )
        t_verify, check = timed(lambda: verify_release(engine, "members", qi))
        print(f"plain DuckDB scan of the 6 QI columns    {t_scan:.2f} s (baseline)")
        print(f"plain DuckDB scan of all 9 columns       {t_scan_all:.2f} s (baseline)")
        print(
            f"k-anonymity verification (group by 6)    {t_verify:.2f} s (goal ≤ 3 s)  "
            f"{t_verify / t_scan:.1f}× scan   k={check.k} classes={check.classes:,}"
        )
        engine.close()
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        child = ctx.Process(
            target=_release_child, args=(str(data), str(pref), str(occ), str(folder / "out.parquet"), queue)
        )
        child.start()
        verify_seconds, released_rows = queue.get()
        seconds, levels, k, suppressed, evaluated, size, search = queue.get()
        child.join()
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
        print(
            f"anonymised release k=10, 6 QIs          {seconds:.1f} s (goal ≤ 180 s)  "
            f"{seconds / t_scan_all:.0f}× scan of all columns (the ≤ 10× goal is the whole pipeline's: release.py)"
        )
        print(
            f"k-anonymity verification of the release ({released_rows:,} rows) {verify_seconds:.2f} s "
            f"(goal ≤ 3 s)  {verify_seconds / t_scan:.1f}× scan"
        )
        print(
            f"  peak RSS {peak_gb:.2f} GB (goal ≤ 8 GB)  levels {levels}  k={k}  suppressed {suppressed:,}  "
            f"search {search:.1f} s, {evaluated} of {size} nodes"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-adult", action="store_true")
    args = parser.parse_args()
    if not (ADULT / "adult.csv").is_file():
        print(f"Adult data not found at {ADULT}", file=sys.stderr)
    elif not args.skip_adult:
        bench_adult()
        bench_mondrian()
    if not args.skip_scale:
        bench_scale(args.rows)


if __name__ == "__main__":
    main()
