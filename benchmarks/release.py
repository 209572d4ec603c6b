"""The whole release pipeline at scale: tokens → match → consent filter → 匿名加工情報 → record.

Run: `python benchmarks/release.py [--members 10000000] [--k 10] [--from SYNTH_DIR]`.
Synthetic members, a partner table and consent histories are generated first (`hogo synth`, in a
child process so its memory does not count); the release itself is timed with the consent data
read from Parquet (the store's export is measured by benchmarks/foundation.py). The baseline is
a plain DuckDB scan of the same input files in the same run.
Goal (issue 4): 10M members + 30M consent events + 10M partner rows, k=10 on ~6
quasi-identifiers, in <= 3 min with peak RSS <= 8 GB, and <= 10x the plain scan.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from hogo.files.digest import sha256_file
from hogo.files.policy_yaml import parse_policy
from hogo.release.spec import load_spec
from hogo.services.policy import apply_policy
from hogo.services.releases import run_now
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
    members = pq.read_table(
        folder / "members.parquet", columns=["member_id", "birth_date", "identity_verified"]
    )
    subjects = pa.table(list(members.columns), schema=SUBJECTS_SCHEMA)
    pq.write_table(subjects, snap / FILES[0])
    rows = {FILES[0]: subjects.num_rows, FILES[1]: 0, FILES[2]: 0}
    del members, subjects
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--from", dest="source", type=Path, help="reuse a `hogo synth` folder (skips --members)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        folder = args.source or work / "synth"
        if args.source is None:
            hogo = str(Path(sys.executable).with_name("hogo"))
            subprocess.run([hogo, "synth", str(folder), "--members", str(args.members), "--json"], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        synth_s = time.perf_counter() - t0
        store = make_db(f"sqlite:///{work / 'store.db'}")
        upgrade(store)
        with write_scope(store) as s:
            apply_policy(s, parse_policy(POLICY))
        spec = load_spec(spec_file(folder, work, args.k))

        consent = consent_snapshot(folder, work)
        stages: list[tuple[str, float]] = []
        start = time.perf_counter()
        result = run_now(
            store, spec, lambda what: stages.append((what, time.perf_counter())), consent=consent
        )
        release_s = time.perf_counter() - start
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024

        con = duckdb.connect()
        scan_s = time.perf_counter()
        for name in ("members", "partner_customers", "consent_events"):
            con.read_parquet(str(folder / f"{name}.parquet")).to_arrow_table()
        scan_s = time.perf_counter() - scan_s
        events = consent.info.rows[FILES[1]]
        anon = result.manifest["anonymization"]
        print(f"hogo release benchmark — {result.counts['members']:,} members, {events:,} consent events, "
              f"{result.counts.get('partner_rows', 0):,} partner rows (synth took {synth_s:.0f} s)")  # fmt: skip
        print(f"{'anonymized release, k=' + str(args.k):<34} {release_s:>10.1f} s   | plain DuckDB scan of the inputs "
              f"{scan_s:>8.1f} s | ratio {release_s / scan_s:6.1f}   goal <= 180 s, ratio <= 10")  # fmt: skip
        print(f"{'peak RSS':<34} {peak_gb:>10.2f} GB  | goal <= 8 GB")
        ends = [t for _, t in stages[1:]] + [start + release_s]
        for (what, began), end in zip(stages, ends, strict=True):
            print(f"  {what:<44} {end - began:7.1f} s")
        print(f"  matched partner rows {result.counts.get('matched_partner_rows', 0):,}; allowed {result.counts['allowed']:,}; "
              f"k achieved {anon['k_achieved']}; suppressed {anon['suppressed']:,}; levels {anon['levels']}")  # fmt: skip


if __name__ == "__main__":
    main()
