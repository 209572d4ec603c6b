"""Synthetic data benchmark: the vectorised generator against a per-row Python generator.

Run: `python benchmarks/synth.py [--members 1000000] [--out DIR]`.
Prints the member rate of the vectorised generator against a per-row generator written the usual
way (Python `random`, one dict per member, same vocabulary, fewer columns, so it is flattered),
their ratio, then wall and CPU time for the whole data set (members, partner customers,
purchases, consent events, Parquet written) extrapolated to ten million members.
Goal (issue): 10M members in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from hogo.synth.generate import SynthSpec, generate
from hogo.synth.people import members_chunk
from hogo.synth.vocab import FEMALE_GIVEN, MAIL_DOMAINS, MALE_GIVEN, SURNAMES, postal_table

BASELINE_MEMBERS = 50_000


def per_row_members(n: int, seed: int) -> list[dict[str, object]]:
    """The baseline: one member at a time, as a Faker-style generator would do it."""
    rnd = random.Random(seed)
    postal = postal_table()
    codes, prefs, cities = postal.code.to_pylist(), postal.prefecture.to_pylist(), postal.city.to_pylist()
    domains = [d for d, _ in MAIL_DOMAINS]
    weights = [w for _, w in MAIL_DOMAINS]
    out: list[dict[str, object]] = []
    for i in range(n):
        family = rnd.choice(SURNAMES)
        female = rnd.random() < 0.51
        given = rnd.choice(FEMALE_GIVEN if female else MALE_GIVEN)
        where = rnd.randrange(len(codes))
        out.append(
            {
                "member_id": f"M{i + 1:010d}",
                "name": f"{family[0]}\u3000{given[0]}",
                "name_kana": f"{family[1]}\u3000{given[1]}",
                "email": f"{given[2]}.{family[2]}{rnd.randrange(10**5):05d}@{rnd.choices(domains, weights)[0]}",
                "phone": f"090-{rnd.randrange(1000, 10000)}-{rnd.randrange(10000):04d}",
                "postal_code": f"{codes[where][:3]}-{codes[where][3:]}",
                "prefecture": prefs[where],
                "city": cities[where],
                "birth_date": date(2026, 4, 1) - timedelta(days=rnd.randrange(10 * 365, 95 * 365)),
                "sex": "F" if female else "M",
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="keep the files here (default: a temporary folder)")
    args = parser.parse_args()
    postal_table()  # load Japan Post data once, outside both timings

    start = time.perf_counter()
    per_row_members(BASELINE_MEMBERS, seed=1)
    base_rate = BASELINE_MEMBERS / (time.perf_counter() - start)
    print(
        f"{'per-row Python generator (members only)':<44} {BASELINE_MEMBERS:>11,} members {base_rate:>12,.0f} members/s"
    )

    rng = np.random.default_rng(1)
    start = time.perf_counter()
    members_chunk(rng, 1, args.members, SynthSpec().as_of)
    rate = args.members / (time.perf_counter() - start)
    print(f"{'vectorised members_chunk (members only)':<44} {args.members:>11,} members {rate:>12,.0f} members/s"
          f"   x{rate / base_rate:.1f} vs per-row generator")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        wall, cpu = time.perf_counter(), time.process_time()
        summary = generate(SynthSpec(members=args.members, seed=1), out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rate = args.members / wall
    print(
        f"{'generate(): all five files, Parquet written':<44} {args.members:>11,} members {rate:>12,.0f} members/s"
    )
    print(f"    wall {wall:.1f} s, CPU {cpu:.1f} s (load from other processes makes wall > CPU/cores)")
    print("    rows: " + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))
    print(f"    10M members extrapolated: {wall * 10_000_000 / args.members / 60:.1f} min wall, "
          f"{cpu * 10_000_000 / args.members / 60:.1f} min CPU")  # fmt: skip


if __name__ == "__main__":
    main()
