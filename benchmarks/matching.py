"""Matching benchmarks: normalisation fast path, keyed tokens, and the match report.

Run: `python benchmarks/matching.py [--rows 1000000] [--from SYNTH_DIR]`.
Each figure is printed next to a named baseline measured in the same run, with the ratio:
  * phone normalisation (Arrow fast path + phonenumbers fallback) vs per-row phonenumbers;
  * keyed tokens (precomputed HMAC pads) vs per-row hmac.new, and vs plain unkeyed sha256;
  * matching as a release runs it (build_match_pairs + match_report + resolve_matches, DuckDB) vs
    the earlier per-key-query implementation kept below as the baseline; both results must be equal.
Goal (issue): >= 1M tokens/s; normalisation of tens of millions of rows in minutes, not hours;
matching 10M members x 10M partner rows within ~10 s.
With --match-only the tokens are made in DuckDB SQL and only the matching section runs.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from figures import timed
from hogo.engines import SqlEngine, get_engine
from hogo.matching.keys import KeyKind, token_column, tokenize_table
from hogo.matching.match import KeyStats, MatchReport, build_match_pairs, match_report, resolve_matches
from hogo.matching.normalize import EmailRules, normalize_email_array, normalize_phone, normalize_phone_array
from hogo.matching.tokens import TokenKey
from hogo.synth.generate import SynthSpec, generate, read

BASELINE_SAMPLE = 50_000


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
    parser.add_argument("--match-only", action="store_true", help="only the matching section")
    parser.add_argument("--no-baseline", action="store_true", help="skip the earlier matching code")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.source or Path(tmp)
        if args.source is None:
            seconds = timed(lambda: generate(SynthSpec(members=args.rows, seed=1), folder))
            print(f"(synthetic input: {args.rows:,} members + partner rows in {seconds:.1f} s)")
        members = read(folder, "members").select(["member_id", "email", "phone"])
        partner = read(folder, "partner_customers")
        truth = read(folder, "partner_truth")
        if args.match_only:
            ours, theirs = tokens_in_sql(members, partner)
            matching(ours, theirs, truth, baseline=not args.no_baseline)
        else:
            run(members, partner, truth, baseline=not args.no_baseline)


BENCH_KEY = TokenKey(hashlib.sha256(b"benchmark key").digest())
FIELDS = {"email": KeyKind.email, "phone": KeyKind.phone}
PARTNER_COLUMNS = ["customer_no", "name", "email", "phone", "postal", "address", "born"]


def tokens_in_sql(members: pa.Table, partner: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Both sides' token tables, HMACs in DuckDB SQL (the fast path of `hogo release`)."""
    rules = EmailRules.gmail()
    start = time.perf_counter()
    with get_engine() as engine:
        ours, _ = tokenize_table(
            members, BENCH_KEY, FIELDS, keep=["member_id"], rules=rules, with_row_numbers=False, engine=engine
        )
        theirs, _ = tokenize_table(
            partner.rename_columns(PARTNER_COLUMNS),
            BENCH_KEY,
            FIELDS,
            rules=rules,
            row_offset=1,
            engine=engine,
        )
    print(f"(tokens for {members.num_rows:,} members + {partner.num_rows:,} partner rows in "
          f"{time.perf_counter() - start:.1f} s)", flush=True)  # fmt: skip
    return ours, theirs


def run(
    members: pa.Table, partner: pa.Table, truth: pa.Table | None = None, *, baseline: bool = True
) -> None:
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
        partner.rename_columns(PARTNER_COLUMNS), key, fields, rules=rules, row_offset=1
    )
    matching(ours, theirs, truth, baseline=baseline)


KEYS = [token_column("email"), token_column("phone")]


def matching(ours: pa.Table, theirs: pa.Table, truth: pa.Table | None, *, baseline: bool = True) -> None:
    """Matching as `hogo release` runs it, next to the earlier implementation on the same input.

    Each side gets a fresh DuckDB engine with the same two registered tables; the reports and the
    resolved matches must be identical.
    """
    rows = ours.num_rows + theirs.num_rows
    results: dict[str, tuple[float, float, MatchReport, pa.Table]] = {}
    steps: list[tuple[str, Any, Any, Any]] = [("current", build_match_pairs, match_report, resolve_matches)]
    if baseline:
        steps.insert(0, ("baseline", build_match_pairs, baseline_match_report, baseline_resolve_matches))
    for name, build, report_fn, resolve in steps:
        with get_engine() as engine:
            engine.register_arrow("m", ours)
            engine.register_arrow("p", theirs)
            cpu, start = cpu_seconds(), time.perf_counter()
            pairs = build(engine, "m", "p", KEYS)
            report = report_fn(engine, "m", "p", KEYS, pairs=pairs)
            matches = resolve(engine, pairs)
            seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            resolved = engine.query(f"SELECT * FROM {engine.ident(matches)} ORDER BY partner_id")
            results[name] = (seconds, cpu, report, resolved)
            if name == "current" and truth is not None:
                quality(engine, matches, truth)
    seconds, cpu, report, resolved = results["current"]
    if "baseline" in results:
        base_s, base_cpu, base_report, base_resolved = results["baseline"]
        line("matching: per-key queries (baseline)", rows, base_s)
        line("matching: pairs + report + resolve", rows, seconds, ("baseline", rows / base_s))
        # Wall time swings when other work shares the cores; CPU time (all threads) swings less.
        print(f"    CPU seconds (all threads): baseline {base_cpu:.2f}, current {cpu:.2f} "
              f"(x{base_cpu / cpu:.1f})", flush=True)  # fmt: skip
        same = base_report == report and base_resolved.equals(resolved)
        print(f"    identical report and resolved matches: {'yes' if same else 'NO'}", flush=True)
        if not same:
            raise SystemExit("the matching results differ from the baseline")
    else:
        line("matching: pairs + report + resolve", rows, seconds)
        print(f"    CPU seconds (all threads): {cpu:.2f}", flush=True)
    print(f"    {report}")


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, over all threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------ baseline (earlier code)
# The match report and resolution as first written: ~8 queries per key (each COUNT(DISTINCT) over
# all tokens), a self-join of the pairs for cross-key conflicts. Kept to measure against.


def _baseline_key_stats(engine: SqlEngine, pairs: str, key: str) -> KeyStats:
    i = engine.ident
    k, mid, pid, members, partner = i(key), i("member_id"), i("row"), i("m"), i("p")
    side = "SELECT COUNT(*) AS n, COUNT(DISTINCT {k}) AS d FROM {t} WHERE {k} IS NOT NULL"
    m = engine.query(side.format(k=k, t=members)).to_pylist()[0]
    p = engine.query(side.format(k=k, t=partner)).to_pylist()[0]
    overlap = engine.scalar(
        f"SELECT COUNT(*) FROM (SELECT DISTINCT {k} FROM {members} WHERE {k} IS NOT NULL) AS a "
        f"JOIN (SELECT DISTINCT {k} FROM {partner} WHERE {k} IS NOT NULL) AS b USING ({k})"
    )
    matched = engine.query(
        f"SELECT COUNT(DISTINCT member_id) AS members, COUNT(DISTINCT partner_id) AS rows "
        f"FROM {i(pairs)} WHERE match_key = {engine.dialect.param('key')}",
        {"key": key},
    ).to_pylist()[0]
    conflicts = engine.query(
        f"SELECT COUNT(*) AS tokens, COALESCE(SUM(n), 0) AS members FROM ("
        f"SELECT {k}, COUNT(DISTINCT {mid}) AS n FROM {members} WHERE {k} IS NOT NULL "
        f"GROUP BY {k} HAVING COUNT(DISTINCT {mid}) > 1) AS c"
    ).to_pylist()[0]
    duplicates = engine.scalar(
        f"SELECT COUNT(*) FROM (SELECT {k} FROM {partner} WHERE {k} IS NOT NULL "
        f"GROUP BY {k} HAVING COUNT(DISTINCT {pid}) > 1) AS d"
    )
    return KeyStats(
        key=key,
        member_rows_with_key=int(m["n"]),
        member_distinct_tokens=int(m["d"]),
        partner_rows_with_key=int(p["n"]),
        partner_distinct_tokens=int(p["d"]),
        overlapping_tokens=int(overlap),
        matched_members=int(matched["members"]),
        matched_partner_rows=int(matched["rows"]),
        member_conflict_tokens=int(conflicts["tokens"]),
        members_in_conflicts=int(conflicts["members"]),
        partner_duplicate_tokens=int(duplicates),
    )


def baseline_match_report(
    engine: SqlEngine, _m: str, _p: str, keys: Sequence[str], *, pairs: str
) -> MatchReport:
    i = engine.ident
    per_key = [_baseline_key_stats(engine, pairs, k) for k in keys]
    summary = engine.query(
        f"SELECT COUNT(*) AS matched, "
        f"COALESCE(SUM(CASE WHEN n = 1 THEN 1 ELSE 0 END), 0) AS unambiguous, "
        f"COALESCE(SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END), 0) AS ambiguous FROM ("
        f"SELECT partner_id, COUNT(DISTINCT member_id) AS n FROM {i(pairs)} GROUP BY partner_id) AS s"
    ).to_pylist()[0]
    cross = engine.scalar(
        f"SELECT COUNT(DISTINCT a.partner_id) FROM {i(pairs)} AS a JOIN {i(pairs)} AS b "
        f"ON a.partner_id = b.partner_id AND a.match_key < b.match_key AND a.member_id <> b.member_id"
    )
    flags = ", ".join(
        f"MAX(CASE WHEN match_key = {engine.dialect.param(f'key_{n}')} THEN 1 ELSE 0 END) AS k{n}"
        for n in range(len(keys))
    )
    groups = ", ".join(f"k{n}" for n in range(len(keys)))
    combos = engine.query(
        f"SELECT {groups}, COUNT(*) AS n FROM (SELECT partner_id, {flags} FROM {i(pairs)} "
        f"GROUP BY partner_id) AS s GROUP BY {groups}",
        {f"key_{n}": key for n, key in enumerate(keys)},
    ).to_pylist()
    totals = engine.query(
        f"SELECT (SELECT COUNT(*) FROM {i('m')}) AS members, (SELECT COUNT(*) FROM {i('p')}) AS partner, "
        f"(SELECT COUNT(DISTINCT member_id) FROM {i(pairs)}) AS matched_members"
    ).to_pylist()[0]
    return MatchReport(
        members=int(totals["members"]),
        partner_rows=int(totals["partner"]),
        keys=per_key,
        matched_partner_rows=int(summary["matched"]),
        unambiguous_partner_rows=int(summary["unambiguous"]),
        ambiguous_partner_rows=int(summary["ambiguous"]),
        cross_key_conflicts=int(cross),
        overlaps=dict(
            sorted(("+".join(k for n, k in enumerate(keys) if r[f"k{n}"]), int(r["n"])) for r in combos)
        ),
        matched_members=int(totals["matched_members"]),
    )


def baseline_resolve_matches(engine: SqlEngine, pairs: str) -> str:
    sql = (
        f"SELECT partner_id, MIN(member_id) AS member_id, COUNT(DISTINCT match_key) AS keys_matched "
        f"FROM {engine.ident(pairs)} GROUP BY partner_id HAVING COUNT(DISTINCT member_id) = 1"
    )
    return engine.create_table_as(engine.temp_name("hogo_matches"), sql)


def quality(engine: SqlEngine, matches: str, truth: pa.Table) -> None:
    """Precision and recall of the unambiguous matches against the generator's hidden truth."""
    rows = pa.array(range(1, truth.num_rows + 1), pa.int64())
    engine.register_arrow("truth", truth.append_column("row", rows))
    r = engine.query(
        f"SELECT COUNT(*) AS resolved, SUM(CASE WHEN t.member_id = x.member_id THEN 1 ELSE 0 END) AS correct, "
        f"(SELECT COUNT(member_id) FROM truth) AS linked FROM {engine.ident(matches)} AS x "
        f"JOIN truth AS t ON t.row = x.partner_id"
    ).to_pylist()[0]
    print(f"    precision {r['correct'] / r['resolved']:.4f}, recall {r['correct'] / r['linked']:.4f} "
          f"(resolved {r['resolved']:,}, truly linked {r['linked']:,})")  # fmt: skip


if __name__ == "__main__":
    main()
