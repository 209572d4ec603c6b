"""Foundation benchmarks: ledger append and verify, single decisions, bulk eligibility.

Run: `python benchmarks/foundation.py [--subjects 1000000 --events 5000000 --ledger 100000]`.
Each figure is printed next to a named baseline measured in the same run, with the ratio.
Goals (issue 2): append >= 10,000 events/s on SQLite, verify >= 200,000 entries/s,
bulk eligibility on 1M subjects / 5M events <= 5 s.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from figures import row, timed
from hogo.demo import demo_policy
from hogo.domain.clock import JST
from hogo.domain.consent import ConsentEvent, Subject, SubjectHistory
from hogo.domain.decision import assess_purpose, decide, decide_assessed
from hogo.domain.ledger import EntryKind, canonical
from hogo.eligibility import eligible_subjects
from hogo.engines import get_engine
from hogo.services import ledger
from hogo.store.database import make_db, upgrade, write_scope
from hogo.store.export import EVENTS_SCHEMA, EXCEPTIONS_SCHEMA, SUBJECTS_SCHEMA, ConsentTables
from hogo.store.snapshot import write_snapshot


def bench_ledger(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_db(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        payloads = [
            (EntryKind.processing, f"subject:M{i:08d}",  # binds no row: the chain alone
             {"event_id": f"E{i:09d}", "subject_id": f"M{i:08d}", "purpose_id": "ad_partners", "action": "grant",
              "collected_at": "2024-01-01T10:00:00+09:00", "terms_version": "2021-07", "method": "web_form"})
            for i in range(n)
        ]  # fmt: skip

        def append() -> None:
            with write_scope(engine) as s:
                for i in range(0, n, 10_000):
                    ledger.append_many(s, payloads[i : i + 10_000])

        append_s = timed(append)

        raw_path = Path(tmp) / "raw.db"

        def plain_insert() -> None:
            con = sqlite3.connect(raw_path)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, kind TEXT, ref TEXT, payload TEXT)")
            con.executemany(
                "INSERT INTO t VALUES (?, ?, ?, ?)",
                ((i, k.value, r, canonical(p).decode()) for i, (k, r, p) in enumerate(payloads)),
            )
            con.commit()
            con.close()

        plain_s = timed(plain_insert)
        row("ledger append (SQLite)", n / append_s, "entries/s", "plain sqlite3 executemany", n / plain_s,
            "goal >= 10,000/s")  # fmt: skip

        with write_scope(engine) as s:
            verify_s = timed(lambda: ledger.verify_ledger(s))
            assert ledger.verify_ledger(s).ok

        def raw_read() -> None:
            con = sqlite3.connect(Path(tmp) / "bench.db")
            for _ in con.execute("SELECT * FROM ledger_entries ORDER BY seq"):
                pass
            con.close()

        read_s = timed(raw_read)
        row("ledger verify", n / verify_s, "entries/s", "raw sqlite3 read of the same rows", n / read_s,
            "goal >= 200,000/s")  # fmt: skip
        engine.dispose()


def synthetic(subjects: int, events: int, seed: int = 7) -> ConsentTables:
    rng = np.random.default_rng(seed)
    ids = np.char.add("M", np.arange(subjects).astype(str))
    birth_days = rng.integers(-20_000, 15_000, subjects)
    subj = pa.table(
        {
            "subject_id": pa.array(ids),
            "birth_date": pa.array(birth_days.astype("datetime64[D]")),
            "identity_verified": pa.array(rng.random(subjects) < 0.95),
        },
        schema=SUBJECTS_SCHEMA,
    )
    who = rng.integers(0, subjects, events)
    purposes = np.array(["ad_partners", "*", "marketing_mail", "mailing_list"])
    actions = np.array(["grant", "grant", "grant", "deny", "withdraw", "object"])
    terms = np.array(["2020-04", "2021-07", "2023-04"])
    start = np.datetime64("2020-04-01T00:00:00", "us")
    seconds = rng.integers(0, 5 * 365 * 86_400, events).astype("timedelta64[s]")
    ev = pa.table(
        {
            "event_id": pa.array(np.char.add("E", np.arange(events).astype(str))),
            "subject_id": pa.array(ids[who]),
            "purpose_id": pa.array(purposes[rng.integers(0, len(purposes), events)]),
            "action": pa.array(actions[rng.integers(0, len(actions), events)]),
            "terms_version": pa.array(terms[rng.integers(0, len(terms), events)]),
            "collected_at": pa.array(start + seconds.astype("timedelta64[us]")),
            "guardian_name": pa.nulls(events, pa.string()),
            "foreign_transfer_info_given": pa.array(rng.random(events) < 0.5),
        },
        schema=EVENTS_SCHEMA,
    )
    return ConsentTables(subj, ev, EXCEPTIONS_SCHEMA.empty_table())


def bench_decide() -> None:
    policy = demo_policy()
    hist = SubjectHistory(
        subject=Subject(subject_id="M1", birth_date=datetime(1990, 1, 1).date(), identity_verified=True),
        events=tuple(
            ConsentEvent(event_id=f"e{i}", subject_id="M1", purpose_id="ad_partners", action="grant",
                         collected_at=datetime(2022, 1, 1 + i, tzinfo=JST), terms_version="2021-07")
            for i in range(5)
        ),
    )  # fmt: skip
    now = datetime.now(JST)
    samples = []
    for _ in range(2_000):
        t0 = time.perf_counter()
        decide(policy, hist, "ad_partners", now)
        samples.append(time.perf_counter() - t0)
    a = assess_purpose(policy, "ad_partners", now)
    pre = []
    for _ in range(2_000):
        t0 = time.perf_counter()
        decide_assessed(a, hist)
        pre.append(time.perf_counter() - t0)
    p50 = statistics.median(samples) * 1e6
    p99 = sorted(samples)[int(len(samples) * 0.99)] * 1e6
    row(
        "decide p50 (5 events)",
        p50,
        "µs",
        "decide_assessed p50 (policy pre-assessed)",
        statistics.median(pre) * 1e6,
    )
    print(f"{'decide p99':<34} {p99:>14,.1f} µs")


def bench_bulk(subjects: int, events: int) -> None:
    policy = demo_policy()
    t0 = time.perf_counter()
    tables = synthetic(subjects, events)
    gen_s = time.perf_counter() - t0
    now = datetime(2025, 6, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "eligible.parquet"
        engine = get_engine("duckdb")
        result = None

        def run() -> None:
            nonlocal result
            result = eligible_subjects(policy, tables, "ad_partners", now, out=out, engine=engine)

        bulk_s = timed(run)
        engine.register_arrow("ev", tables.events)
        scan_s = timed(
            lambda: engine.query("SELECT subject_id, max(collected_at) FROM ev GROUP BY subject_id")
        )
        engine.close()
    assert result is not None
    row(f"bulk eligibility {subjects:,}/{events:,}", bulk_s, "s", "DuckDB group-by scan of the events", scan_s,
        "goal <= 5 s")  # fmt: skip
    print(f"  (allowed {result.allowed:,} of {result.subjects:,}; synthetic data built in {gen_s:.1f} s)")


def bench_snapshot(subjects: int, events: int) -> None:
    """A consent snapshot written from a SQLite store, against a raw sqlite3 read of the same rows."""
    tables = synthetic(subjects, events)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        store = make_db(f"sqlite:///{path}")
        upgrade(store)
        con = sqlite3.connect(path)
        now = "2025-01-01 00:00:00.000000"
        con.executemany(
            "INSERT INTO subjects (subject_id, birth_date, identity_verified, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ((r["subject_id"], str(r["birth_date"]), r["identity_verified"], now, now)
             for r in tables.subjects.to_pylist()),
        )  # fmt: skip
        for batch in tables.events.to_batches(500_000):
            con.executemany(
                "INSERT INTO consent_events (event_id, subject_id, purpose_id, action, terms_version, method, "
                "collected_at, foreign_transfer_info_given, recorded_at, ledger_seq) "
                "VALUES (?, ?, ?, ?, ?, 'web_form', ?, ?, ?, 0)",
                ((r["event_id"], r["subject_id"], r["purpose_id"], r["action"], r["terms_version"],
                  r["collected_at"].isoformat(sep=" "), r["foreign_transfer_info_given"], now)
                 for r in batch.to_pylist()),
            )  # fmt: skip
        con.commit()
        write_s = timed(lambda: write_snapshot(store, Path(tmp) / "snapshot"))
        read_s = timed(lambda: [None for _ in con.execute("SELECT * FROM consent_events")])
        con.close()
        store.dispose()
    row(f"consent snapshot {subjects:,}/{events:,}", events / write_s, "events/s",
        "raw sqlite3 read of the events", events / read_s)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--ledger", type=int, default=100_000)
    args = parser.parse_args()
    print(f"hogo foundation benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    bench_ledger(args.ledger)
    bench_decide()
    bench_bulk(args.subjects, args.events)
    bench_snapshot(args.subjects, args.events)


if __name__ == "__main__":
    main()
