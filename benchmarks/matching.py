"""Matching benchmarks: normalisation fast path, keyed tokens, and the match report.

Run: `python benchmarks/matching.py [--rows 1000000] [--from SYNTH_DIR]`.
Each figure is printed next to a named baseline measured in the same run, with the ratio:
  * phone normalisation (Arrow fast path + phonenumbers fallback) vs per-row phonenumbers;
  * keyed tokens (precomputed HMAC pads) vs per-row hmac.new, and vs plain unkeyed sha256;
  * the match report over members x partner rows (DuckDB engine).
Goal (issue): >= 1M tokens/s; normalisation of tens of millions of rows in minutes, not hours.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from hogo.engines import SqlEngine, get_engine
from hogo.matching.keys import KeyKind, token_column, tokenize_table
from hogo.matching.match import build_match_pairs, match_report, resolve_matches
from hogo.matching.normalize import EmailRules, normalize_email_array, normalize_phone, normalize_phone_array
from hogo.matching.tokens import TokenKey
from hogo.synth.generate import SynthSpec, generate, read

BASELINE_SAMPLE = 50_000


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def line(label: str, rows: int, seconds: float, baseline: tuple[str, float] | None = None) -> None:
    rate = rows / seconds if seconds else float("inf")
    text = f"{label:<44} {rows:>11,} rows {seconds:8.2f} s {rate:>13,.0f} rows/s"
    if baseline is not None:
        name, base_rate = baseline
        text += f"   x{rate / base_rate:6.1f} vs {name} ({base_rate:,.0f} rows/s)"
    print(text, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="members and partner rows")
    parser.add_argument("--from", dest="source", type=Path, help="an existing `hogo synth` folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.source or Path(tmp)
        if args.source is None:
            seconds = timed(lambda: generate(SynthSpec(members=args.rows, seed=1), folder))
            print(f"(synthetic input: {args.rows:,} members + partner rows in {seconds:.1f} s)")
        members = read(folder, "members").select(["member_id", "email", "phone"])
        partner = read(folder, "partner_customers")
        run(members, partner, read(folder, "partner_truth"))


def run(members: pa.Table, partner: pa.Table, truth: pa.Table | None = None) -> None:
    phones = partner.column("電話番号").combine_chunks()
    n = len(phones)
    sample = phones.slice(0, min(BASELINE_SAMPLE, n)).to_pylist()
    base_s = timed(lambda: [normalize_phone(v) for v in sample])
    base_rate = len(sample) / base_s
    line("phone: per-row phonenumbers (baseline)", len(sample), base_s)
    result = normalize_phone_array(phones)
    fast_s = timed(lambda: normalize_phone_array(phones))
    line("phone: Arrow fast path + fallback", n, fast_s, ("per-row phonenumbers", base_rate))
    print(f"    rows sent to phonenumbers: {result.fallback_rows:,} ({result.fallback_rows / n:.2%}); "
          f"invalid {result.invalid:,}, missing {result.missing:,}")  # fmt: skip
    emails = partner.column("メールアドレス").combine_chunks()
    email_s = timed(lambda: normalize_email_array(emails, EmailRules.gmail()))
    line("e-mail: Arrow kernels (gmail rules on)", n, email_s)

    key = TokenKey(hashlib.sha256(b"benchmark key").digest())
    values = result.values.drop_null()
    m = len(values)
    raw = values.cast(pa.binary()).to_pylist()
    plain_s = timed(lambda: [hashlib.sha256(v).hexdigest() for v in raw])
    plain_rate = m / plain_s
    line("tokens: plain sha256 per row (unkeyed)", m, plain_s)
    few = raw[:BASELINE_SAMPLE]
    secret = hashlib.sha256(b"benchmark key").digest()
    hmac_s = timed(lambda: [hmac.new(secret, b"phone\x1f" + v, hashlib.sha256).hexdigest() for v in few])
    hmac_rate = len(few) / hmac_s
    line("tokens: hmac.new per row (baseline)", len(few), hmac_s)
    token_s = timed(lambda: key.tokenize("phone", values))
    line("tokens: TokenKey.tokenize (precomputed pads)", m, token_s, ("hmac.new per row", hmac_rate))
    print(f"    vs plain unkeyed sha256: x{(m / token_s) / plain_rate:.2f}")

    with get_engine() as engine:
        engine.register_arrow("v", pa.table({"v": values}))
        expr, params = key.sql(engine, "phone", engine.ident("v"))
        sql_s = timed(lambda: engine.query(f"SELECT {expr} AS t FROM {engine.ident('v')}", params))
    line("tokens: DuckDB SQL (all cores)", m, sql_s, ("hmac.new per row", hmac_rate))

    fields = {"email": KeyKind.email, "phone": KeyKind.phone}
    rules = EmailRules.gmail()
    ours_s = timed(
        lambda: tokenize_table(members, key, fields, keep=["member_id"], rules=rules, with_row_numbers=False)
    )
    ours, _ = tokenize_table(members, key, fields, keep=["member_id"], rules=rules, with_row_numbers=False)
    line("tokenize_table: members (2 keys, Python HMAC)", members.num_rows, ours_s)
    with get_engine() as engine:
        sql_table_s = timed(
            lambda: tokenize_table(
                members, key, fields, keep=["member_id"], rules=rules, with_row_numbers=False, engine=engine
            )
        )
    line("tokenize_table: members (2 keys, DuckDB HMAC)", members.num_rows, sql_table_s)
    theirs, _ = tokenize_table(
        partner.rename_columns(["customer_no", "name", "email", "phone", "postal", "address", "born"]),
        key, fields, rules=rules, row_offset=1,
    )  # fmt: skip
    with get_engine() as engine:
        engine.register_arrow("m", ours)
        engine.register_arrow("p", theirs)
        holder: dict[str, object] = {}
        keys = [token_column("email"), token_column("phone")]
        report_s = timed(lambda: holder.update(report=match_report(engine, "m", "p", keys)))
        line("match_report (DuckDB)", members.num_rows + partner.num_rows, report_s)
        print(f"    {holder['report']}")
        if truth is not None:
            quality(engine, keys, truth)


def quality(engine: SqlEngine, keys: list[str], truth: pa.Table) -> None:
    """Precision and recall of the unambiguous matches against the generator's hidden truth."""
    rows = pa.array(range(1, truth.num_rows + 1), pa.int64())
    engine.register_arrow("truth", truth.append_column("row", rows))
    start = time.perf_counter()
    matches = resolve_matches(engine, build_match_pairs(engine, "m", "p", keys))
    seconds = time.perf_counter() - start
    r = engine.query(
        f"SELECT COUNT(*) AS resolved, SUM(CASE WHEN t.member_id = x.member_id THEN 1 ELSE 0 END) AS correct, "
        f"(SELECT COUNT(member_id) FROM truth) AS linked FROM {engine.ident(matches)} AS x "
        f"JOIN truth AS t ON t.row = x.partner_id"
    ).to_pylist()[0]
    line("build_match_pairs + resolve_matches", truth.num_rows, seconds)
    print(f"    precision {r['correct'] / r['resolved']:.4f}, recall {r['correct'] / r['linked']:.4f} "
          f"(resolved {r['resolved']:,}, truly linked {r['linked']:,})")  # fmt: skip


if __name__ == "__main__":
    main()
