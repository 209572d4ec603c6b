"""Ledger v2/v3 benchmarks (issue 11): append with rows bound and personal values sealed under
per-person keys, the bulk import with keys, full verify with reconciliation, the cheap check
before a release, and erasing one person (rows and keys).

Run: `python benchmarks/ledger_v2.py [--persons 100000 --events 500000 --since 1000 --verify-runs 1]`
(SQLite; the verify figures are the best of ``--verify-runs``).
Each figure is printed next to a named baseline measured in the same run, with the ratio.
Goals: append >= 50,000 entries/s, full verify with reconciliation >= 200,000 entries/s, the
check before a release on a 30M-event store <= 2 s, erasure of one person among 1M persons
<= 100 ms. The check reads the whole store in one place only, `count(*)` per bound table; the rest
reads the entries and rows since the last check. So it is measured in parts: with nothing new,
with `--since` new events, and `count(*)` alone over `--count-rows` synthetic rows; the 30M figure
is the first two plus count(*)'s time per row times 30M.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from figures import row, timed
from hogo.demo import demo_policy
from hogo.domain.consent import ConsentAction, ConsentEvent, Subject
from hogo.domain.ledger import EntryKind, verify_chain
from hogo.services import binding, ledger, person_keys
from hogo.services.consent import record_events
from hogo.services.consent_import import EventImport
from hogo.services.erasure import erase
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import make_db, read_scope, upgrade, write_scope

_BATCH = 10_000
_COUNTS = text(
    "SELECT (SELECT count(*) FROM subjects), (SELECT count(*) FROM consent_events), "
    "(SELECT count(*) FROM legal_exceptions), (SELECT count(*) FROM provision_subjects)"
)
_T0 = datetime(2024, 1, 1, 1, 0, tzinfo=UTC)


def _events(start: int, n: int, persons: int) -> list[ConsentEvent]:
    return [
        ConsentEvent(
            event_id=f"E{i:09d}",
            subject_id=f"M{i % persons:08d}",
            purpose_id="ad_partners",
            action=ConsentAction.grant,
            terms_version="2021-07",
            collected_at=_T0 + timedelta(seconds=i),
        )
        for i in range(start, start + n)
    ]


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the verify's second process)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stage_all(job: EventImport, events: list[ConsentEvent]) -> None:
    """Stage in the import's batches of 20,000 (file rows numbered from 2, after the header)."""
    for i in range(0, len(events), 20_000):
        batch = events[i : i + 20_000]
        job.stage(batch, list(range(i + 2, i + 2 + len(batch))))


def _count_per_row(tmp: Path, n: int) -> float:
    """Seconds per row of the check's only whole-table step, `count(*)` of consent_events, timed
    on a schema-only store filled with ``n`` synthetic rows by SQL (no ledger: only the count is
    timed); best of three, after one warm-up. The check's other steps read only what changed."""
    path = tmp / "count.db"
    engine = make_db(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    with closing(sqlite3.connect(path)) as conn:  # no foreign keys: the rows name no person
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO consent_events (event_id, subject_id, purpose_id, action, method, collected_at, "
            "foreign_transfer_info_given, recorded_at, ledger_seq) SELECT printf('E%09d', i), "
            "printf('M%08d', i % 100000), 'ad_partners', 'grant', 'web_form', '2024-01-01 01:00:00.000000', "
            "0, '2024-01-01 01:00:00.000000', i FROM n",
            (n,),
        )
        conn.commit()
        conn.execute("SELECT count(*) FROM consent_events").fetchone()
        best = min(
            timed(lambda: conn.execute("SELECT count(*) FROM consent_events").fetchone()) for _ in range(3)
        )
    return best / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--since", type=int, default=1_000, help="events recorded since the last check")
    parser.add_argument("--count-rows", type=int, default=2_000_000, help="rows for timing count(*) alone")
    parser.add_argument("--verify-runs", type=int, default=1, help="verify this many times, report the best")
    args = parser.parse_args()
    print(f"hogo ledger v2 benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        store = make_db(f"sqlite:///{Path(tmp) / 'v2.db'}")
        upgrade(store)
        with write_scope(store) as s:
            apply_policy(s, demo_policy())
        people = [Subject(subject_id=f"M{i:08d}") for i in range(args.persons)]
        persons_s = 0.0
        for i in range(0, args.persons, _BATCH):
            with write_scope(store) as s:
                persons_s += timed(lambda s=s, i=i: upsert_subjects(s, people[i : i + _BATCH]))
        events = _events(0, args.events, args.persons)
        append_s = 0.0
        cpu = {"append": 0.0, "verify": 0.0, "check": 0.0}  # CPU seconds: steadier on a shared machine
        for i in range(0, args.events, _BATCH):
            with write_scope(store) as s:
                c0 = time.process_time()
                append_s += timed(lambda s=s, i=i: record_events(s, events[i : i + _BATCH]))
                cpu["append"] += time.process_time() - c0
        # baseline: the same number of entries appended alone (v1: no rows, no tallies)
        bare = Path(tmp) / "bare.db"
        other = make_db(f"sqlite:///{bare}")
        upgrade(other)
        payloads = [
            (EntryKind.processing, f"subject:{e.subject_id}", e.model_dump(mode="json")) for e in events
        ]
        bare_s = 0.0
        for i in range(0, args.events, _BATCH):
            with write_scope(other) as s:
                bare_s += timed(lambda s=s, i=i: ledger.append_many(s, payloads[i : i + _BATCH]))
        other.dispose()
        row("append event + bound row + tally + sealed", args.events / append_s, "entries/s",
            "ledger.append_many alone (no rows)", args.events / bare_s, "goal >= 50,000/s")  # fmt: skip
        print(f"  (persons added with bound rows and new keys: {args.persons / persons_s:,.0f}/s)")
        imported = _events(10 * args.events, args.events, args.persons)
        with EventImport(store) as job:
            import_s = timed(lambda: _stage_all(job, imported))
            import_s += timed(job.commit)
        row("bulk import with keys (stage + commit)", args.events / import_s, "events/s",
            "append event + bound row (above)", args.events / append_s, "")  # fmt: skip

        with read_scope(store) as s:
            entries = ledger.head(s).seq
            c0, k0 = time.process_time(), _children_cpu()
            runs = max(args.verify_runs, 1)
            verify_s = min(
                timed(lambda: ledger.verify_all(s, processes=2)) for _ in range(runs)
            )  # as `hogo ledger verify`
            cpu["verify"] = (time.process_time() - c0 + _children_cpu() - k0) / runs
            c0 = time.process_time()
            one_s = min(timed(lambda: ledger.verify_all(s)) for _ in range(runs))
            cpu["verify1"] = (time.process_time() - c0) / runs
            chain, rows = ledger.verify_all(s, processes=2)
            assert chain.ok and rows.ok, rows.finding
            chain_s = timed(lambda: verify_chain(ledger.iter_rows(s)))
        row("full verify with reconciliation, 2 processes", entries / verify_s, "entries/s",
            "chain-only verify (v1)", entries / chain_s, "goal >= 200,000/s")  # fmt: skip
        print(f"  the same in one process: {entries / one_s:,.0f} entries/s")

        with write_scope(store) as s:
            first_s = timed(lambda: binding.check_store(s))
        with write_scope(store) as s:
            idle_s = timed(lambda: binding.require_reconciled(s))  # nothing changed since
        more = _events(args.events, args.since, args.persons)
        with write_scope(store) as s:
            record_events(s, more)
        with write_scope(store) as s:
            c0 = time.process_time()
            check_s = timed(lambda: binding.require_reconciled(s))
            cpu["check"] = time.process_time() - c0
        total = args.events + args.since
        with read_scope(store) as s:
            count_s = timed(lambda: s.execute(_COUNTS).all())
        row(f"check before release ({total:,} events)", check_s * 1000, "ms",
            "count(*) of the bound tables", count_s * 1000, f"(first check, all rows: {first_s:.2f} s)")  # fmt: skip
        per_entry = max(check_s - idle_s, 0.0) / args.since
        print(f"  nothing new since the last check: {idle_s * 1000:.1f} ms; "
              f"per entry since: {per_entry * 1e6:.1f} µs")  # fmt: skip
        count_per_row = _count_per_row(Path(tmp), args.count_rows)
        at_30m = idle_s + per_entry * args.since + count_per_row * 30_000_000
        print(f"  count(*) over {args.count_rows:,} consent_events rows: {count_per_row * 1e9:.1f} ns/row "
              f"(warm cache)")  # fmt: skip
        print(f"  30M events, {args.since:,} since the last check: about {at_30m:.2f} s "
              "(fixed part + per-entry part x since + count(*) ns/row x 30M)")  # fmt: skip

        print(f"  CPU time: append {args.events / cpu['append']:,.0f} entries/CPU-s, verify "
              f"{entries / cpu['verify']:,.0f} entries/CPU-s (both processes; one process: "
              f"{entries / cpu['verify1']:,.0f}), check with {args.since:,} since "
              f"{cpu['check'] * 1000:.1f} ms")  # fmt: skip
        erase_s = []
        for i in range(5):
            with write_scope(store) as s:
                erase_s.append(timed(lambda s=s, i=i: erase(s, f"M{i:08d}")))
        with read_scope(store) as s:
            lookup_s = timed(lambda: ledger.entries_for(s, *person_keys.ref_of(s, "M00000010")))
        row(f"erase one person ({args.persons:,} persons)", sorted(erase_s)[2] * 1000, "ms",
            "ledger entries_for one person", lookup_s * 1000, "goal <= 100 ms (median of 5)")  # fmt: skip
        store.dispose()


if __name__ == "__main__":
    main()
