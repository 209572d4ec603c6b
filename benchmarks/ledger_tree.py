"""Verifiable-log benchmarks: append with the Merkle tree maintained, proofs among 10M entries.

Run: `python benchmarks/ledger_tree.py [--append 200000 --leaves 10000000 --proofs 1000]`.
Each figure is printed next to a named baseline measured in the same run, with the ratio.
Goals (issue 11): append >= 50,000 entries/s with the tree maintained; an inclusion proof for
one entry among 10M <= 1 ms.

The 10M-leaf tree is built directly: entry hashes are synthetic (SHA-256 of the leaf number), the
node table holds the real RFC 9162 nodes over them (bulk-inserted, not through `extend`), and
`ledger_entries` holds only the 16-entry blocks the sampled proofs read (a proof reads at most
the block of its leaf and the tree's last partial block). Every proof timed is also verified.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert

import figures
from figures import timed
from hogo.domain import merkle, transparency
from hogo.domain.ledger import EntryKind, canonical
from hogo.services import ledger, ledger_tree
from hogo.store.database import make_db, read_scope, upgrade, write_scope
from hogo.store.ledger_tree import LedgerTreeNodeRow
from hogo.store.tables import LedgerEntryRow

BLOCK = ledger_tree.BLOCK
row = partial(figures.row, digits=3)  # proofs take fractions of a millisecond


def _store(tmp: Path, name: str) -> Engine:
    engine = make_db(f"sqlite:///{tmp / name}")
    upgrade(engine)
    return engine


def bench_append(n: int) -> None:
    """The bulk path (`ledger.append_prepared`, what imports use: payloads already canonical JSON),
    then the tree extended from its last stored leaf (`catch_up`, its own short transactions)."""
    prepared = [
        (f"subject:M{i:08d}", canonical(
            {"event_id": f"E{i:09d}", "subject_id": f"M{i:08d}", "purpose_id": "ad_partners", "action": "grant",
             "collected_at": "2024-01-01T10:00:00+09:00", "terms_version": "2021-07", "method": "web_form"}).decode())
        for i in range(n)
    ]  # fmt: skip
    batch = 20_000
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)

        def append(engine: Engine, maintain: bool) -> None:
            for i in range(0, n, batch):  # one transaction per import-sized batch
                with engine.begin() as conn:
                    ledger.append_prepared(conn, EntryKind.consent_event, [prepared[i : i + batch]])
                if maintain:  # the next writer/reader extends the tree after the append committed
                    ledger_tree.catch_up(engine)

        plain, treed = _store(tmp, "plain.db"), _store(tmp, "tree.db")
        plain_s = timed(lambda: append(plain, False))
        tree_s = timed(lambda: append(treed, True))
        row("append + tree extension (SQLite)", n / tree_s, "entries/s", "append without the tree", n / plain_s,
            "goal >= 50,000/s")  # fmt: skip
        catch_s = timed(lambda: ledger_tree.catch_up(plain))  # the whole tree at once, from nothing
        row("tree catch-up from scratch", n / catch_s, "leaves/s", "append without the tree", n / plain_s)
        key = Ed25519PrivateKey.generate()
        sign_s = timed(lambda: ledger_tree.issue_head(treed, key))
        print(f"{'sign a head (tree already extended)':<40} {sign_s * 1000:>12,.3f} ms")
        with read_scope(treed) as s:
            assert ledger_tree.verify_tree(s).ok
        plain.dispose()
        treed.dispose()


def _leaf(i: int) -> bytes:
    return merkle.leaf_of_entry(hashlib.sha256(i.to_bytes(8, "big")).hexdigest())


def _build_nodes(engine: Engine, size: int) -> bytes:
    """Bulk-insert every stored node of a tree over `size` synthetic leaves; returns its root."""
    frontier: list[tuple[int, int, bytes]] = []
    batch: list[dict[str, object]] = []
    node = merkle.node_hash
    with write_scope(engine) as s:
        for b in range(size // BLOCK):
            level = [_leaf(i) for i in range(b * BLOCK, (b + 1) * BLOCK)]
            while len(level) > 1:
                level = [node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
            lvl, idx, h = ledger_tree.BLOCK_LEVEL, b, level[0]
            batch.append({"level": lvl, "idx": idx, "hash": h})
            while frontier and frontier[-1][0] == lvl:
                lvl, idx, h = lvl + 1, idx >> 1, node(frontier.pop()[2], h)
                batch.append({"level": lvl, "idx": idx, "hash": h})
            frontier.append((lvl, idx, h))
            if len(batch) >= 100_000:
                s.execute(insert(LedgerTreeNodeRow), batch)
                batch = []
        s.execute(insert(LedgerTreeNodeRow), batch)
    tail = [_leaf(i) for i in range(size // BLOCK * BLOCK, size)]
    return merkle.fold([f[2] for f in frontier] + ([merkle.tree_root(tail)] if tail else []))


def _add_blocks(engine: Engine, blocks: set[int], size: int) -> None:
    rows = [
        {"seq": i + 1, "kind": "consent_event", "ref": "r", "recorded_at": "t", "payload": "{}", "prev_hash": "",
         "hash": hashlib.sha256(i.to_bytes(8, "big")).hexdigest()}
        for b in sorted(blocks) for i in range(b * BLOCK, min((b + 1) * BLOCK, size))
    ]  # fmt: skip
    with write_scope(engine) as s:
        s.execute(insert(LedgerEntryRow), rows)


def _ms(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.99) - 1] * 1000


def bench_proofs(size: int, count: int) -> None:
    rng = random.Random(7)
    seqs = [rng.randrange(1, size + 1) for _ in range(count)]
    pairs = sorted((min(a, b), max(a, b)) for a, b in ((rng.randrange(1, size), rng.randrange(1, size + 1)) for _ in range(count)))  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        engine = _store(Path(folder), "big.db")
        t0 = time.perf_counter()
        root = _build_nodes(engine, size)
        build_s = time.perf_counter() - t0
        blocks = (
            {(s - 1) // BLOCK for s in seqs}
            | {(x - 1) // BLOCK for pair in pairs for x in pair}
            | {(size - 1) // BLOCK}
        )
        _add_blocks(engine, blocks, size)
        print(f"  (built {size:,}-leaf node table in {build_s:.1f} s; {len(blocks):,} entry blocks stored)")
        sth = transparency.sign_head(Ed25519PrivateKey.generate(), size, root, datetime.now(UTC).isoformat())
        inclusion: list[float] = []
        consistency: list[float] = []
        inclusion_cpu: list[float] = []
        consistency_cpu: list[float] = []
        with read_scope(engine) as s:
            fetch = lambda n: ledger_tree.node_hashes(s, n)  # noqa: E731
            ledger_tree.inclusion(s, seqs[0], sth)  # warm the statement cache
            for seq in seqs:
                t0, c0 = time.perf_counter(), time.process_time()
                proof = ledger_tree.inclusion(s, seq, sth)
                inclusion.append(time.perf_counter() - t0)
                inclusion_cpu.append(time.process_time() - c0)
                path = [bytes.fromhex(p) for p in proof["inclusion_path"]]
                assert merkle.verify_inclusion(seq - 1, size, _leaf(seq - 1), path, root)
            for old, new in pairs:
                t0, c0 = time.perf_counter(), time.process_time()
                cpath = merkle.consistency_proof(old, new, fetch)
                consistency.append(time.perf_counter() - t0)
                consistency_cpu.append(time.process_time() - c0)
            old, new = pairs[0]
            old_root = merkle.root_from(old, fetch(merkle.root_nodes(old)))
            new_root = merkle.root_from(new, fetch(merkle.root_nodes(new)))
            assert merkle.verify_consistency(
                old, new, old_root, new_root, merkle.consistency_proof(old, new, fetch)
            )
            del cpath
            t0 = time.perf_counter()
            for seq in seqs[:100]:
                s.expunge_all()
                ledger.entry(s, seq)
            lookup = (time.perf_counter() - t0) / 100
        med, p99 = _ms(inclusion)
        row(f"inclusion proof among {size:,} (median)", med, "ms", "one entry read by seq (ORM get)", lookup * 1000,
            "goal <= 1 ms")  # fmt: skip
        print(f"{'  p99; median CPU time':<40} {p99:>12,.3f} ms; {_ms(inclusion_cpu)[0]:,.3f} ms CPU")
        med, p99 = _ms(consistency)
        row("consistency proof (median)", med, "ms", "one entry read by seq (ORM get)", lookup * 1000)
        print(f"{'  p99; median CPU time':<40} {p99:>12,.3f} ms; {_ms(consistency_cpu)[0]:,.3f} ms CPU")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--append", type=int, default=200_000)
    parser.add_argument("--leaves", type=int, default=10_000_003)
    parser.add_argument("--proofs", type=int, default=1_000)
    args = parser.parse_args()
    print(f"hogo verifiable-log benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    if args.append:
        bench_append(args.append)
    bench_proofs(args.leaves, args.proofs)


if __name__ == "__main__":
    main()
