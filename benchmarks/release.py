"""The whole release pipeline at scale: tokens → match → consent filter → 匿名加工情報 → record.

Run: `python benchmarks/release.py [--members 10000000] [--k 10] [--from SYNTH_DIR]
[--engine duckdb|spark [--same-as-duckdb]]`.
Synthetic members, a partner table and consent histories are generated first (`hogo synth`, in a
child process so its memory does not count); the release itself is timed with the consent data
read from Parquet (the store's export is measured by benchmarks/foundation.py). The baseline is
a plain DuckDB scan of the same input files (every column read into Arrow, batch by batch) in the
same run.

Printed per stage: wall time, CPU time of the process (user + system, all threads: on a shared
machine the wall clock depends on the others' load, the CPU time much less), peak RSS of the
process during the stage (the kernel's high-water mark, reset at each stage through
/proc/self/clear_refs, so a short peak is not missed between samples) and the most disk the
engine's spill folder held during it.
With `--same-as-duckdb` the same spec is run again on DuckDB, on a second store prepared alike,
and the two manifests (byte for byte) and data files (sorted row hashes) are compared; on Spark
the JVM's peak RSS is printed too (in local mode the driver JVM runs the executors).
Goals (issue 13): 10M members + ~30M consent events + 10M partner rows, k=10 on 6
quasi-identifiers, in <= 120 s, <= 8x the plain scan, peak RSS <= 6 GB; peak RSS at 4M members
<= 1.5x that at 1M.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from figures import row
from hogo.engines import default_memory_limit
from hogo.files.digest import sha256_file
from hogo.files.policy_yaml import parse_policy
from hogo.release.publish import scratch_dirs, spill_dir
from hogo.release.spec import ReleaseSpec, load_spec
from hogo.services.policy import apply_policy
from hogo.services.releases import RecordedRelease, run_now
from hogo.store.database import make_db, upgrade, write_scope
from hogo.store.export import EVENTS_SCHEMA, EXCEPTIONS_SCHEMA, SUBJECTS_SCHEMA
from hogo.store.snapshot import FILES, ConsentFiles, SnapshotInfo

POLICY = """\
organization: {name: ベンチマーク株式会社, address: 東京都, representative: 代表者}
data_categories:
  - {id: profile, appi_class: personal_data}
recipients:
  - {id: partner, name: 提携先株式会社, relationship: third_party, country: JP}
purposes:
  - {id: marketing_email, title: メールでのご案内, kind: internal_use, requires_consent: true, data_categories: [profile]}
  - {id: partner_provision, title: 提携先への提供, kind: third_party_provision, requires_consent: true,
     recipients: [partner], data_categories: [profile]}
  - {id: targeted_ads, title: 行動ターゲティング広告, kind: targeted_advertising, requires_consent: true,
     data_categories: [profile]}
  - {id: insights, title: 匿名加工情報の作成と提供, kind: internal_use, requires_consent: false,
     recipients: [partner], data_categories: [profile]}
terms:
  - {version: "2020-04", effective_from: 2020-04-01, purposes: [marketing_email, insights]}
  - {version: "2021-07", effective_from: 2021-07-01,
     purposes: [marketing_email, partner_provision, targeted_ads, insights]}
"""


def consent_snapshot(folder: Path, work: Path) -> ConsentFiles:
    """The synthetic consent data as a consent snapshot (what `hogo consent snapshot` writes).

    Made before the clock starts, like a snapshot taken ahead of a release; writing one from a
    store is measured by benchmarks/foundation.py.
    """
    snap = work / "consent_snapshot"
    snap.mkdir()
    rows = {FILES[0]: 0, FILES[1]: 0, FILES[2]: 0}
    with pq.ParquetWriter(snap / FILES[0], SUBJECTS_SCHEMA) as writer:
        source = pq.ParquetFile(folder / "members.parquet")
        for batch in source.iter_batches(1 << 20, columns=["member_id", "birth_date", "identity_verified"]):
            writer.write_table(
                pa.Table.from_batches([batch]).rename_columns(SUBJECTS_SCHEMA.names).cast(SUBJECTS_SCHEMA)
            )
            rows[FILES[0]] += batch.num_rows
    with pq.ParquetWriter(snap / FILES[1], EVENTS_SCHEMA) as writer:
        for batch in pq.ParquetFile(folder / "consent_events.parquet").iter_batches(1 << 20):
            table = pa.Table.from_batches([batch])
            at = pc.cast(table["collected_at"], pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
            table = table.set_column(table.schema.get_field_index("collected_at"), "collected_at", at)
            writer.write_table(table.select(EVENTS_SCHEMA.names).cast(EVENTS_SCHEMA))
            rows[FILES[1]] += table.num_rows
    pq.write_table(EXCEPTIONS_SCHEMA.empty_table(), snap / FILES[2])
    info = SnapshotInfo(created_at="", ledger_seq=0, ledger_hash="", rows=rows,
                        sha256={f: sha256_file(snap / f) for f in FILES})  # fmt: skip
    return ConsentFiles(snap, info)


def spec_file(folder: Path, work: Path, k: int) -> Path:
    spec = {
        "id": "bench",
        "mode": "anonymized",
        "purpose": "insights",
        "recipient": "partner",
        "at": "2026-04-01T00:00:00+09:00",
        "members": {"path": str(folder / "members.parquet"),
                    "columns": {c: c for c in ["member_id", "email", "phone", "birth_date", "sex", "prefecture",
                                               "postal_code", "city", "joined_on"]}},
        "partner": {"path": str(folder / "partner_customers.parquet"),
                    "columns": {"email": "メールアドレス", "phone": "電話番号"}},
        "match": {"token_key_file": str(work / "token.key")},
        "output": {"dir": str(work / "out")},
        "anonymization": {
            "quasi_identifiers": {"birth_date": "date", "sex": "mask", "prefecture": "mask",
                                  "postal_code": "postal", "city": "mask", "joined_on": "date"},
            "k": k, "suppression": 0.04, "shuffle": False,
        },
    }  # fmt: skip
    path = work / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    (work / "token.key").write_text("ab" * 32 + "\n", encoding="utf-8")
    return path


class Monitor:
    """Per stage of a release: wall time, peak RSS and the most disk its spill folder held.

    Why the high-water mark and not samples: a sort or a hash table can peak between two samples;
    the kernel's VmHWM, reset at each stage start (`clear_refs` 5), cannot miss it. The spill
    folder, which the engine empties and refills, is sampled every 50 ms.
    """

    def __init__(self, spill: Path) -> None:
        self.spill = spill
        self.stages: list[list[Any]] = []  # [name, began, seconds, peak bytes, spill bytes, cpu began, cpu s]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._close_stage()
        self._stop.set()
        self._thread.join()

    def step(self, what: str, /, rows: int | None = None) -> None:
        if self.stages and self.stages[-1][0] == what:  # rows done in the stage: the same stage
            return
        self._close_stage()
        _reset_peak()
        self.stages.append([what, time.perf_counter(), 0.0, 0, 0, _cpu(), 0.0])

    def _close_stage(self) -> None:
        if self.stages and not self.stages[-1][2]:
            stage = self.stages[-1]
            stage[2] = time.perf_counter() - stage[1]
            stage[3] = max(stage[3], _status("VmHWM"))
            stage[6] = _cpu() - stage[5]

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            if self.stages:
                stage = self.stages[-1]  # the stage the measurement started in
                stage[4] = max(stage[4], _disk(self.spill))


def _status(field: str) -> int:
    """A VmRSS/VmHWM figure of this process, in bytes."""
    found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(found[1]) * 1024 if found else 0


def _cpu() -> float:
    """CPU seconds this process has used so far (user + system, all threads)."""
    times = os.times()
    return times.user + times.system


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _disk(folder: Path) -> int:
    """Bytes the files under ``folder`` occupy on disk (0 if it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, name)).st_blocks * 512
    return total


def plain_scan(folder: Path) -> tuple[float, float, int]:
    """The baseline: DuckDB reads every column of each input file into Arrow, batch by batch (the
    same work as reading them whole, in bounded memory at 70M members); seconds, CPU seconds and
    peak RSS."""
    _reset_peak()
    con = duckdb.connect()
    start, cpu = time.perf_counter(), _cpu()
    for name in ("members", "partner_customers", "consent_events"):
        reader = con.read_parquet(str(folder / f"{name}.parquet")).to_arrow_reader(1 << 20)
        for _batch in reader:
            pass
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    con.close()
    return seconds, cpu, _status("VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--from", dest="source", type=Path, help="reuse a `hogo synth` folder (skips --members)"
    )
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    parser.add_argument(
        "--same-as-duckdb",
        action="store_true",
        help="run the spec on DuckDB too and compare the two releases",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        folder = args.source or work / "synth"
        if args.source is None:
            hogo = str(Path(sys.executable).with_name("hogo"))
            # No purchases: the release does not read them (at 70M they would be 140M rows to write).
            subprocess.run([hogo, "synth", str(folder), "--members", str(args.members), "--purchases-per-member", "0",
                            "--json"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        synth_s = time.perf_counter() - t0
        store = make_db(f"sqlite:///{work / 'store.db'}")
        upgrade(store)
        with write_scope(store) as s:
            apply_policy(s, parse_policy(POLICY))
        spec = load_spec(spec_file(folder, work, args.k)).model_copy(update={"engine": args.engine})

        consent = consent_snapshot(folder, work)
        gc.collect()
        pa.default_memory_pool().release_unused()  # what writing the snapshot left in Arrow's pool
        baseline_rss = _status("VmRSS")
        final = spec.output.dir / "bench"
        with Monitor(spill_dir(scratch_dirs(final)[0])) as monitor:
            start, cpu = time.perf_counter(), _cpu()
            result = run_now(store, spec, monitor.step, consent=consent)
            release_s, release_cpu = time.perf_counter() - start, _cpu() - cpu
        jvm_peak = _children_peak()
        scan_s, scan_cpu, scan_peak = plain_scan(folder)
        times = Times(synth_s, release_s, release_cpu, scan_s, scan_cpu)
        print_figures(args, result, consent, times, scan_peak, baseline_rss, monitor)
        if args.engine == "spark":
            print(f"{'peak RSS of the Spark JVM (driver)':<40} {jvm_peak / (1 << 30):>14.2f} GB")
        if args.same_as_duckdb:
            same_as_duckdb(spec, consent, work, result)


@dataclass(frozen=True)
class Times:
    """Seconds measured in one run: wall and CPU of the release and of the plain scan."""

    synth: float
    release: float
    release_cpu: float
    scan: float
    scan_cpu: float


def _children_peak() -> int:
    """The largest VmHWM among this process's descendants (Spark's JVM), in bytes."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            found = re.search(r"^PPid:\s+(\d+)", status.read_text(), re.MULTILINE)
            parents[int(status.parent.name)] = int(found[1]) if found else 0
    ours = {os.getpid()}
    while grown := {pid for pid, parent in parents.items() if parent in ours} - ours:
        ours |= grown
    peak = 0
    for pid in ours - {os.getpid()}:
        with contextlib.suppress(OSError):
            found = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
            peak = max(peak, int(found[1]) * 1024 if found else 0)
    return peak


def same_as_duckdb(spec: ReleaseSpec, consent: ConsentFiles, work: Path, result: RecordedRelease) -> None:
    """The spec run again on DuckDB on a second store prepared alike (so the release id and ledger
    sequence agree), then each file of the two folders compared: JSON byte for byte (else the
    keys that differ), data by sorted row hashes (else the columns whose values differ). Columns
    of fresh random ids (role `release_id`, new in every run by design) are left out of the rows.
    """
    store = make_db(f"sqlite:///{work / 'reference.db'}")
    upgrade(store)
    with write_scope(store) as s:
        apply_policy(s, parse_policy(POLICY))
    output = spec.output.model_copy(update={"dir": work / "reference"})
    reference = run_now(
        store, spec.model_copy(update={"engine": "duckdb", "output": output}), consent=consent
    )
    columns = reference.manifest.get("anonymization", {}).get("columns", [])
    random_ids = {c["name"] for c in columns if c.get("role") == "release_id"}
    for theirs in sorted(reference.directory.iterdir()):
        ours = result.directory / theirs.name
        same = ours.read_bytes() == theirs.read_bytes()
        if theirs.suffix == ".json":
            keys = _differing(json.loads(ours.read_bytes()), json.loads(theirs.read_bytes()))
            print(f"  {theirs.name}: {'byte-identical' if same else 'differs at ' + ', '.join(keys)}")
        elif theirs.suffix in (".parquet", ".csv"):
            print(
                f"  {theirs.name}: bytes {'identical' if same else 'differ'}; {_same_rows(ours, theirs, random_ids)}"
            )
        else:
            a, b = (f.read_text().splitlines() for f in (ours, theirs))
            lines = [i + 1 for i in range(max(len(a), len(b))) if a[i : i + 1] != b[i : i + 1]]
            print(f"  {theirs.name}: {'byte-identical' if same else f'differs at lines {lines}'}")


def _same_rows(ours: Path, theirs: Path, leave_out: set[str]) -> str:
    a, b = _read(ours), _read(theirs)
    if a.column_names != b.column_names:
        return f"columns {a.column_names} vs DuckDB's {b.column_names}"
    fields = [f"{x} vs {y}" for x, y in zip(a.schema, b.schema, strict=True) if x != y]
    schema = f" (fields differ: {'; '.join(fields)})" if fields else ""
    a, b = (t.cast(b.schema).drop_columns(sorted(leave_out & set(b.column_names))) for t in (a, b))
    rows = _row_hashes(a) == _row_hashes(b)
    other = [c for c in b.column_names if not _sorted(a[c]).equals(_sorted(b[c]))]
    return (f"sorted row hashes {'identical' if rows else 'DIFFER'} ({a.num_rows:,} vs {b.num_rows:,} rows, "
            f"random ids {sorted(leave_out) or 'none'} left out){schema}; columns with other values: "
            f"{', '.join(other) or 'none'}")  # fmt: skip


def _differing(a: object, b: object, at: str = "") -> list[str]:
    """The paths (dotted keys) where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            p
            for k in sorted(a.keys() | b.keys())
            for p in _differing(a.get(k), b.get(k), f"{at}.{k}".lstrip("."))
        ]
    return [] if a == b else [at or "(whole)"]


def _read(path: Path) -> pa.Table:
    return pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)


def _sorted(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.take(pc.sort_indices(column))


def _row_hashes(table: pa.Table) -> list[str]:
    """One SHA-256 per row (its values as JSON text), sorted."""
    con = duckdb.connect()
    con.register("t", table)
    found = con.execute("SELECT sha256(to_json(t)) AS h FROM t ORDER BY h").fetchall()
    con.close()
    return [h for (h,) in found]


def print_figures(
    args: argparse.Namespace,
    result: RecordedRelease,
    consent: ConsentFiles,
    times: Times,
    scan_peak: int,
    baseline_rss: int,
    monitor: Monitor,
) -> None:
    gb = 1 << 30
    events = consent.info.rows[FILES[1]]
    anon = result.manifest["anonymization"]
    peak = max((s[3] for s in monitor.stages), default=0)
    spilled = max((s[4] for s in monitor.stages), default=0)
    print(f"hogo release benchmark — {result.counts['members']:,} members, {events:,} consent events, "
          f"{result.counts.get('partner_rows', 0):,} partner rows (synth took {times.synth:.0f} s; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)")  # fmt: skip
    print(f"engine memory limit {default_memory_limit()} (HOGO_ENGINE_MEMORY_LIMIT unset: hogo's default)"
          if not os.environ.get("HOGO_ENGINE_MEMORY_LIMIT")
          else f"engine memory limit {os.environ['HOGO_ENGINE_MEMORY_LIMIT']} (HOGO_ENGINE_MEMORY_LIMIT)")  # fmt: skip
    row(f"anonymized release, k={args.k}", times.release, "s", "plain DuckDB scan of the inputs", times.scan,
        "goal <= 120 s at 10M, ratio <= 8")  # fmt: skip
    row("CPU time of the release", times.release_cpu, "s", "CPU time of the plain scan", times.scan_cpu)
    row("peak RSS of the release", peak / gb, "GB", "peak RSS of the plain scan", scan_peak / gb,
        "goal <= 6 GB at 10M; 4M <= 1.5x 1M", digits=2)  # fmt: skip
    print(f"{'RSS before the release (policy, store)':<40} {baseline_rss / gb:>14.2f} GB")
    print(f"{'spill disk used (most at once)':<40} {spilled / gb:>14.2f} GB")
    print(f"  {'stage':<44} {'wall':>8} {'CPU':>8} {'peak RSS':>10} {'spill':>10}")
    for what, _began, seconds, stage_peak, stage_spill, _cpu_began, cpu in monitor.stages:
        print(f"  {what:<44} {seconds:7.1f}s {cpu:7.1f}s {stage_peak / gb:8.2f}GB {stage_spill / gb:8.2f}GB")
    print(f"  matched partner rows {result.counts.get('matched_partner_rows', 0):,}; allowed {result.counts['allowed']:,}; "
          f"k achieved {anon['k_achieved']}; suppressed {anon['suppressed']:,}; levels {anon['levels']}")  # fmt: skip


if __name__ == "__main__":
    main()
