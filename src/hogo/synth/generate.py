"""Generate a whole synthetic data set, chunk by chunk, into Parquet files written atomically.

Why chunks: ten million members with their events do not fit comfortably in memory as Python
objects, and a chunked writer keeps peak memory to one chunk (~1M members) whatever the size.
Why seeded per chunk: every chunk draws from its own child of one ``SeedSequence``, so the same
seed and chunk size always give the same files.

Files (in ``out_dir``): ``members.parquet``, ``partner_customers.parquet`` (what a partner would
send: Japanese column names, messy values), ``partner_truth.parquet`` (customer → member, for
measuring match quality only), ``purchases.parquet``, ``consent_events.parquet``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field, model_validator

from hogo.domain.model import Frozen
from hogo.files.atomic import atomic_path
from hogo.synth.history import DEFAULT_PURPOSES, consent_chunk, purchases_chunk
from hogo.synth.people import SUBSCRIBERS, member_id_width, members_chunk, partner_chunk, stranger_base

#: Fixed so that a seed gives the same data whenever it is run.
DEFAULT_AS_OF = date(2026, 4, 1)
FILES = ("members", "partner_customers", "partner_truth", "purchases", "consent_events")


class SynthSpec(Frozen):
    #: Up to 90 million (the seed's platform has 70.25 million): members and strangers take line
    #: numbers from separate ranges, and phone numbers stay distinct (`people.stranger_base`).
    members: int = Field(default=10_000, ge=1, le=90_000_000)
    #: Partner rows; by default as many as members.
    partner_rows: int | None = Field(default=None, ge=0)
    #: Share of partner rows who are members.
    overlap: float = Field(default=0.5, ge=0.0, le=1.0)
    purchases_per_member: float = Field(default=2.0, ge=0.0)
    purposes: tuple[str, ...] = DEFAULT_PURPOSES
    seed: int = 0
    chunk_size: int = Field(default=500_000, ge=1)
    as_of: date = DEFAULT_AS_OF

    @model_validator(mode="after")
    def _distinct_phones(self) -> SynthSpec:
        """Strangers' line numbers must stay within the two kinds of number `people` hands out."""
        partner = self.members if self.partner_rows is None else self.partner_rows
        if stranger_base(self.members) + partner >= 2 * SUBSCRIBERS:
            raise ValueError("members + partner_rows: too many people for distinct phone numbers")
        return self


class SynthSummary(Frozen):
    rows: dict[str, int]
    files: dict[str, str]
    seconds: float


Progress = Callable[[int], None]


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class _ParquetFiles:
    """One Parquet writer per file, opened with the first table's schema."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = paths
        self._writers: dict[str, pq.ParquetWriter] = {}

    def write(self, batch: dict[str, pa.Table]) -> None:
        for name, table in batch.items():
            if name not in self._writers:
                self._writers[name] = pq.ParquetWriter(self._paths[name], table.schema, compression="zstd")
            self._writers[name].write_table(table, row_group_size=1 << 20)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


def generate(spec: SynthSpec, out_dir: Path, progress: Progress | None = None) -> SynthSummary:
    """Write all files for ``spec`` into ``out_dir``; ``progress`` gets members done per chunk."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks = _split(spec.members, -(-spec.members // spec.chunk_size))
    partner_total = spec.members if spec.partner_rows is None else spec.partner_rows
    overlap_total = min(round(partner_total * spec.overlap), spec.members)
    overlaps = _split(overlap_total, len(chunks))
    strangers = _split(partner_total - overlap_total, len(chunks))
    seeds = np.random.SeedSequence(spec.seed).spawn(len(chunks))
    phone_offset = int(np.random.default_rng(spec.seed).integers(0, 90_000_000))
    rows = dict.fromkeys(FILES, 0)
    targets = {name: out_dir / f"{name}.parquet" for name in FILES}
    with ExitStack() as stack:
        temps = {name: stack.enter_context(atomic_path(path)) for name, path in targets.items()}
        files = _ParquetFiles(temps)
        # Parquet encoding releases the GIL: one writer thread compresses chunk i while the main
        # thread generates chunk i+1 (at most two chunks in memory).
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        pending: Future[None] | None = None

        try:
            start = 1
            for size, n_overlap, n_new, seed in zip(chunks, overlaps, strangers, seeds, strict=True):
                rng = np.random.default_rng(seed)
                members = members_chunk(
                    rng, start, size, spec.as_of, phone_offset, member_id_width(spec.members)
                )
                partner, truth = partner_chunk(
                    rng, members, n_overlap, n_new, rows["partner_customers"] + 1, spec.as_of, phone_offset,
                    stranger_base(spec.members),
                )  # fmt: skip
                purchases = purchases_chunk(
                    rng, members, rows["purchases"] + 1, spec.purchases_per_member, spec.as_of
                )
                events = consent_chunk(rng, members, rows["consent_events"] + 1, spec.as_of, spec.purposes)
                batch = {
                    "members": members,
                    "partner_customers": partner,
                    "partner_truth": truth,
                    "purchases": purchases,
                    "consent_events": events,
                }
                for name, table in batch.items():
                    rows[name] += table.num_rows
                if pending is not None:
                    pending.result()
                pending = pool.submit(files.write, batch)
                start += size
                if progress is not None:
                    progress(size)
            if pending is not None:
                pending.result()
        finally:
            if pending is not None:
                pending.exception()  # wait for the writer before closing its files
            files.close()
    return SynthSummary(
        rows=rows,
        files={name: str(path) for name, path in targets.items()},
        seconds=round(time.perf_counter() - started, 2),
    )


def read(out_dir: Path, name: str) -> pa.Table:
    """Read one generated file back (tests and benchmarks)."""
    return pq.read_table(out_dir / f"{name}.parquet")
