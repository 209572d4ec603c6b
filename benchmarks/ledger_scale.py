"""Ledger v2 at the issue's scale (issue 11): a store of 1M persons and 30M consent events built
through hogo's append path, then the check before a release, erasing one person and the full
verify measured on it — what `ledger_v2.py` extrapolates from a small store, measured.

Run: `python benchmarks/ledger_scale.py [--persons 1000000 --events 30000000 --dir DIR]`.
With ``--dir`` the store (and the master key of its person keys, in DIR/data) is kept, and a
later run with the same counts measures it again without building (building 30M events takes
about 10 minutes of one core and 30 GB of disk). Without it, a temporary folder is used and
removed. Each figure is printed next to a named baseline measured in the same run, with the
ratio. Goals: the check before a release on a 30M-event store <= 2 s, erasure of one person
among 1M persons <= 100 ms, full verify with reconciliation >= 200,000 entries/s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=30_000_000)
    parser.add_argument("--since", type=int, default=1_000, help="events recorded since the last check")
    parser.add_argument("--dir", type=Path, help="keep the store here (and reuse it if it has the counts)")
    return parser.parse_args()


ARGS = _arguments()
FOLDER = ARGS.dir or Path(tempfile.mkdtemp(prefix="hogo-ledger-scale-"))
# the person keys' master key lives beside the store, so that a kept store can still erase
os.environ["HOGO_DATA_DIR"] = str(FOLDER / "data")

from sqlalchemy import Engine, bindparam, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from figures import row, timed  # noqa: E402  (after HOGO_DATA_DIR: figures sets a default)
from hogo.demo import demo_policy  # noqa: E402
from hogo.domain.consent import Subject  # noqa: E402
from hogo.domain.ledger import verify_chain  # noqa: E402
from hogo.services import binding, ledger, person_keys  # noqa: E402
from hogo.services.consent import record_events  # noqa: E402
from hogo.services.erasure import erase  # noqa: E402
from hogo.services.policy import apply_policy  # noqa: E402
from hogo.services.subjects import upsert_subjects  # noqa: E402
from hogo.store.database import make_db, read_scope, upgrade, write_scope  # noqa: E402
from ledger_v2 import _COUNTS, _events  # noqa: E402

_BATCH = 10_000
_MILLION = 1_000_000


def _build(url: str) -> None:
    """Persons, then events in batches of 10,000, each batch one transaction as an import's is;
    the append rate of each million is printed, so a rate that falls as the store grows shows."""
    store = make_db(url)
    upgrade(store)
    with write_scope(store) as s:
        apply_policy(s, demo_policy())
    start = time.perf_counter()
    for i in range(0, ARGS.persons, _BATCH):
        people = [Subject(subject_id=f"M{j:08d}") for j in range(i, min(i + _BATCH, ARGS.persons))]
        with write_scope(store) as s:
            upsert_subjects(s, people)
    print(f"  {ARGS.persons:,} persons in {time.perf_counter() - start:.0f} s", flush=True)
    rates = []
    for m in range(0, ARGS.events, _MILLION):
        start = time.perf_counter()
        for i in range(m, min(m + _MILLION, ARGS.events), _BATCH):
            events = _events(i, min(_BATCH, ARGS.events - i), ARGS.persons)
            with write_scope(store) as s:
                record_events(s, events)
        rates.append(min(_MILLION, ARGS.events - m) / (time.perf_counter() - start))
        print(f"  events {min(m + _MILLION, ARGS.events):,}: {rates[-1]:,.0f}/s", file=sys.stderr, flush=True)
    print(f"  append: first million {rates[0]:,.0f} events/s, last {rates[-1]:,.0f} events/s")
    store.dispose()


def _built() -> str:
    """What a kept store was built with (later runs erase persons and add events to it)."""
    return f"{ARGS.persons} {ARGS.events}"


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{FOLDER / 'scale.db'}"
    print(f"hogo ledger at scale — {ARGS.persons:,} persons, {ARGS.events:,} events, SQLite")
    try:
        marker = FOLDER / "built"
        if (FOLDER / "scale.db").exists() and marker.exists() and marker.read_text() == _built():
            print("  (store kept from an earlier run: not rebuilt)")
        else:
            marker.unlink(missing_ok=True)
            (FOLDER / "scale.db").unlink(missing_ok=True)
            _build(url)
            marker.write_text(_built())
        _measure(make_db(url))
    finally:
        if ARGS.dir is None:
            shutil.rmtree(FOLDER, ignore_errors=True)


def _measure(store: Engine) -> None:
    with write_scope(store) as s:
        first_s = timed(lambda: binding.check_store(s))
    with write_scope(store) as s:
        idle_s = timed(lambda: binding.require_reconciled(s))
    with write_scope(store) as s:  # new events since the last check: fresh ids, persons never erased
        stamp = time.time_ns()
        more = [
            e.model_copy(
                update={"event_id": f"S{stamp}-{i}", "subject_id": f"M{ARGS.persons - 1 - i % 1000:08d}"}
            )
            for i, e in enumerate(_events(0, ARGS.since, ARGS.persons))
        ]
        record_events(s, more)
    with write_scope(store) as s:
        check_s = timed(lambda: binding.require_reconciled(s))
    with read_scope(store) as s:
        count_s = timed(lambda: s.execute(_COUNTS).all())
    row("check before release, "f"{ARGS.since:,} since", check_s * 1000, "ms",
        "count(*) of the bound tables", count_s * 1000, "goal <= 2,000 ms")  # fmt: skip
    print(
        f"  nothing new since the last check: {idle_s * 1000:.1f} ms; first check (all rows): {first_s:.1f} s"
    )

    erase_s = []
    candidates = [f"M{i:08d}" for i in range(0, ARGS.persons // 2, max(ARGS.persons // 100, 1))]
    with read_scope(store) as s:  # persons a kept store's earlier runs have not erased yet
        erasable = (
            s.execute(
                text("SELECT subject_id FROM subjects WHERE subject_id IN :ids ORDER BY 1").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": candidates},
            )
            .scalars()
            .all()[:5]
        )
    for subject in erasable:
        with write_scope(store) as s:
            erase_s.append(timed(lambda s=s, subject=subject: erase(s, subject)))
    with read_scope(store) as s:
        some = f"M{ARGS.persons - 1:08d}"
        lookup_s = timed(lambda: ledger.entries_for(s, *person_keys.ref_of(s, some)))
    row(f"erase one person ({ARGS.persons:,} persons)", sorted(erase_s)[len(erase_s) // 2] * 1000, "ms",
        "ledger entries_for one person", lookup_s * 1000, f"goal <= 100 ms (median of {len(erase_s)})")  # fmt: skip

    with read_scope(store) as s:
        entries = ledger.head(s).seq
        verify_s = timed(lambda: _verified(s, processes=2))
        chain_s = timed(lambda: verify_chain(ledger.iter_rows(s)))
    row("full verify with reconciliation, 2 processes", entries / verify_s, "entries/s",
        "chain-only verify (v1)", entries / chain_s, f"goal >= 200,000/s ({entries:,} entries)")  # fmt: skip
    store.dispose()


def _verified(session: Session, processes: int) -> None:
    chain, rows = ledger.verify_all(session, processes=processes)
    assert chain.ok and rows.ok, rows.finding


if __name__ == "__main__":
    main()
