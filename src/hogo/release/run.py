"""The release pipeline: match, keep only the people the policy allows, write the release.

The steps, each SQL handed to the data engine (`hogo.engines`), which holds the data and may
spill it:
1. read members (and the partner's table), normalise e-mail/phone and turn them into keyed
   tokens — raw identifiers never enter a join or an output;
2. match partner rows to members by token; ambiguous links are dropped and counted;
3. decide set-wise who the policy allows for the purpose and recipient at the release time
   (`hogo.eligibility`, the decision engine's exact semantics);
4. write the release into the work folder it is given.

Why nothing else: like Splink's pipeline, which hands SQL to its database API and never stores
anything itself, this module reads no store and records nothing. It takes a plan (the spec judged
under the policy, `hogo.release.plan`), a consent source, an engine and a work folder, and
returns counts, the manifest's data part and the persons provided; `hogo.services.releases`
records the release (法29条 provision record, ledger entry, `done`) in one transaction and only
then publishes the folder (`hogo.release.publish`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from hogo.domain.policy import Policy
from hogo.domain.provision import ReleaseMode
from hogo.eligibility import ConsentSource, decisions_into, unregister
from hogo.engines import SqlEngine
from hogo.errors import InputError
from hogo.files.digest import sha256_file
from hogo.matching.inputs import open_input
from hogo.matching.keys import ROW_COLUMN, KeyKind, token_column, tokenize_into
from hogo.matching.match import build_match_pairs, match_report, resolve_matches
from hogo.matching.normalize import EmailRules
from hogo.matching.tokens import TokenKey, load_key
from hogo.release.aggregate import aggregate_release
from hogo.release.anonymized import write_anonymized
from hogo.release.plan import ProfileInput, ReleasePlan
from hogo.release.spec import ReleaseSpec

Step = Callable[[str], None]
_M, _P, _DECISIONS, _POPULATION = "rel_members", "rel_partner", "rel_decisions", "rel_population"


@dataclass(frozen=True)
class PreparedRelease:
    """What the pipeline wrote into the work folder, before anything is recorded."""

    counts: dict[str, int]
    #: The data part of the manifest (normalisation, match, bases, exclusions, mode sections).
    manifest: dict[str, Any]
    #: (member id, legal basis) of each person provided: the 法29条 record's persons (personal mode).
    persons: list[tuple[str, str]]


def write_output(
    engine: SqlEngine, sql: str, path: Path, fmt: str, params: dict[str, Any] | None = None
) -> Path:
    """A query's rows as the output file: Parquet written by the engine, or CSV written batch by
    batch as the engine returns them (never the whole result in Python)."""
    if fmt == "parquet":
        return engine.write_parquet(sql, path, params)
    import pyarrow.csv as pacsv

    batches = engine.stream(sql, params)
    with pacsv.CSVWriter(path, batches.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return path


def read_output(path: Path) -> pa.Table:
    """An output file as `write_output` wrote it (Parquet or CSV), with `subject_id` as text (a
    profile output, `hogo.profiling`)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    import pyarrow.csv as pacsv

    types = pacsv.ConvertOptions(column_types={"subject_id": pa.string()})
    return pacsv.read_csv(path, convert_options=types)


def prepare_release(
    plan: ReleasePlan, consent: ConsentSource, engine: SqlEngine, work: Path, step: Step | None = None
) -> PreparedRelease:
    """Run the pipeline of ``plan`` in ``engine``, writing the release's data files into ``work``."""
    spec = plan.spec
    run = _Run(spec, plan.policy, engine, plan.at, work, step or (lambda _: None), consent=consent,
               profiles=plan.profiles)  # fmt: skip
    keys, key, rules = _tokenise_members(run)
    if spec.output.profile_items:
        _join_profiles(run)
    if spec.partner is not None:
        _match_partner(run, keys, key, rules)
    _allowed_population(run)
    run.say("書き出し中 / writing")
    persons: list[tuple[str, str]] = []
    if spec.mode is ReleaseMode.personal:
        persons = _write_personal(run)
    else:
        allowed = _allowed_members(run)
        engine.drop(_M)  # everything the mode reads is in `allowed`
        if spec.mode is ReleaseMode.aggregate:
            assert spec.aggregate is not None
            result = aggregate_release(engine, allowed, spec.aggregate, person="member_id")
            engine.write_parquet(result.table, work / "aggregate.parquet")
            run.manifest["suppression"] = result.summary.model_dump()
        else:
            run.manifest.update(write_anonymized(engine, spec, plan.policy, allowed, work))
    return PreparedRelease(run.counts, run.manifest, persons)


def _columns_for_mode(spec: ReleaseSpec) -> list[str]:
    if spec.anonymization is not None:
        a = spec.anonymization
        return [*(q.name for q in a.quasi_identifiers), *a.sensitive, *a.keep]
    if spec.aggregate is not None:
        return [*spec.aggregate.dimensions, *spec.aggregate.measures]
    return []


@dataclass
class _Run:
    """What the steps of one release share."""

    spec: ReleaseSpec
    policy: Policy
    eng: SqlEngine
    at: datetime
    work: Path
    say: Step
    consent: ConsentSource
    counts: dict[str, int] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    matches: str | None = None
    profiles: dict[str, ProfileInput] = field(default_factory=dict)


def _tokenise_members(run: _Run) -> tuple[dict[str, KeyKind], TokenKey, EmailRules | None]:
    """Members with their e-mail and phone replaced by keyed tokens; only needed columns kept."""
    spec = run.spec
    # Only matching needs the shared key; without a partner the tokens are dropped unused.
    key = (
        load_key(spec.match.token_key_file, file_hint="match.token_key_file")
        if spec.partner is not None
        else TokenKey(secrets.token_bytes(32))
    )
    rules = EmailRules.gmail() if spec.match.email_provider_rules else None
    keys = {k: KeyKind(k) for k in spec.match.keys if k in spec.members.columns}
    run.say("会員を読み込み中 / reading members")
    members = open_input(spec.members)
    keep = list(dict.fromkeys(["member_id", *spec.output.member_items, *_columns_for_mode(spec)]))
    for name in keep:
        if name not in members.schema.names:
            raise InputError(
                "会員データに列がありません。", "column missing from the members input.", field=name
            )
    run.say("正規化・トークン化中 / normalising and tokenising")
    rows, reports = tokenize_into(run.eng, _M, members, key, keys, keep=keep, rules=rules)
    _refuse_repeated_members(run.eng)
    run.manifest["normalisation"] = {"members": [r.model_dump() for r in reports]}
    run.counts["members"] = rows
    return keys, key, rules


def _refuse_repeated_members(eng: SqlEngine, shown: int = 5) -> None:
    """One row per person: a member id on two rows is refused, naming the rows (never the id).

    Why: every count a release relies on counts people — the small-cell threshold of statistics,
    k of 匿名加工情報, the persons of a 法29条 record. A repeated row would make four persons look
    like five and get a small cell published, so hogo does not guess which row is right.
    """
    i = eng.ident
    repeated = (
        eng.query(
            f"SELECT {i('member_id')} AS member_id, {eng.dialect.sorted_list(i(ROW_COLUMN))} AS rows_, "
            f"MIN({i(ROW_COLUMN)}) AS first_ FROM {i(_M)} WHERE {i('member_id')} IS NOT NULL "
            f"GROUP BY {i('member_id')} HAVING COUNT(*) > 1 ORDER BY first_ LIMIT {int(shown)}"
        )
        .column("rows_")
        .to_pylist()
    )
    if not repeated:
        return
    groups = "; ".join(" = ".join(str(r) for r in rows) for rows in repeated)
    more_ja, more_en = (
        ("ほか" if len(repeated) == shown else ""),
        (" and more" if len(repeated) == shown else ""),
    )
    raise InputError(
        f"会員データで同じ会員IDが複数の行にあります(同じ人の行: {groups}{more_ja})。1人1行にしてください。",
        f"one member id on several rows (rows of one person: {groups}{more_en}); give one row per person.",
        row=int(repeated[0][1]),
        field="members.member_id",
    )


def _match_partner(run: _Run, keys: dict[str, KeyKind], key: TokenKey, rules: EmailRules | None) -> None:
    assert run.spec.partner is not None
    run.say("提携先データを照合中 / matching the partner's table")
    partner = open_input(run.spec.partner)
    names = partner.schema.names
    if any(token_column(k) in names for k in keys):
        # The partner tokenised on its side (`hogo tokenize`): nothing raw arrives.
        rows, _ = tokenize_into(
            run.eng, _P, partner, key, {}, keep=names, with_row_numbers="row" not in names
        )
    else:
        fields = {k: kind for k, kind in keys.items() if k in names}
        rows, reports = tokenize_into(run.eng, _P, partner, key, fields, rules=rules)
        run.manifest["normalisation"]["partner"] = [r.model_dump() for r in reports]
    token_keys = [token_column(k) for k in keys if token_column(k) in names or k in names]
    pairs = build_match_pairs(run.eng, _M, _P, token_keys)
    run.manifest["match"] = match_report(run.eng, _M, _P, token_keys, pairs=pairs).model_dump()
    run.matches = resolve_matches(run.eng, pairs)
    # Only the resolved matches are read from here on: the partner's tokens and the pairs go, so
    # the engine does not carry a second input's worth of data through the decisions and output.
    for done in (pairs, _P):
        run.eng.drop(done)
    run.counts["partner_rows"] = rows
    run.counts["matched_partner_rows"] = run.eng.count(run.matches)


#: Exclusion reason of a candidate the store has no record of (no consent can be shown for them).
NOT_REGISTERED = "SUBJECT_NOT_REGISTERED"


def _join_profiles(run: _Run) -> None:
    """The members table with each `profile:` item joined on member id from its recorded run.

    A run's file is read only if it is still the file recorded (its digest, updated by erasure);
    a person without a row in the run gets an empty value. Who may be provided is decided
    afterwards, at the release time (`_allowed_population`), never by the output's age.
    """
    eng, i = run.eng, run.eng.ident
    run.say("プロファイルを結合中 / joining profile items")
    tables: dict[str, str] = {}
    for job_id, source in sorted(run.profiles.items()):
        if sha256_file(source.path) != source.sha256:
            raise InputError(
                "プロファイルの出力が記録と一致しません(変更または差し替えられています)。",
                "the profile output differs from its record (changed or replaced).",
                field=f"profile:{job_id}",
            )
        tables[job_id] = eng.register_arrow(eng.temp_name("rel_profile"), read_output(source.path))
    aliases = {job_id: f"p{n}" for n, job_id in enumerate(tables)}
    columns = "".join(
        f", {aliases[job]}.{i(feature)} AS {i(item)}"
        for item, (job, feature) in run.spec.output.profile_items.items()
    )
    joins = "".join(
        f" LEFT JOIN {i(t)} AS {aliases[job]} ON {aliases[job]}.subject_id = m.{i('member_id')}"
        for job, t in tables.items()
    )
    joined = eng.create_table_as(
        eng.temp_name("rel_members_p"), f"SELECT m.*{columns} FROM {i(_M)} AS m{joins}"
    )
    eng.drop(_M)
    eng.create_table_as(_M, f"SELECT * FROM {i(joined)}")
    eng.drop(joined)
    run.manifest["profiles"] = {
        job: {"purpose": p.purpose, "sha256": p.sha256} for job, p in sorted(run.profiles.items())
    }


def _decided(run: _Run) -> tuple[str, str, str, list[str]]:
    """The FROM part joining each person's decisions, whether all allow, the first reason not, and
    the decision tables joined.

    A release with profile items needs, besides the release purpose (for the recipient), every
    profiling purpose those items were made under to still cover the person at the release time:
    a person who withdrew from profiling gets no row, whatever an earlier run computed.
    """
    eng, i = run.eng, run.eng.ident
    purposes = sorted({p.purpose for p in run.profiles.values()})
    sources, ok, reason = f"{i(_DECISIONS)} AS d", "d.allowed", "CASE WHEN NOT d.allowed THEN d.reason"
    tables = [_DECISIONS]
    for n, purpose in enumerate(purposes):
        name = decisions_into(
            eng, f"rel_profiling_{n}", run.policy, run.consent, purpose, run.at, with_reason=True
        )
        tables.append(name)
        sources += f" JOIN {i(name)} AS q{n} ON q{n}.subject_id = d.subject_id"
        ok += f" AND q{n}.allowed"
        reason += f" WHEN NOT q{n}.allowed THEN q{n}.reason"
    return sources, ok, f"{reason} END", tables


def _allowed_population(run: _Run) -> None:
    """Candidates (all members, or the matched ones) the decision engine allows, with the basis."""
    eng, i = run.eng, run.eng.ident
    run.say("同意・法的根拠を判定中 / deciding who may be included")
    decisions_into(
        eng,
        _DECISIONS,
        run.policy,
        run.consent,
        run.spec.purpose,
        run.at,
        run.spec.decision_recipient,
        with_reason=True,
    )
    sources, ok, reason, tables = _decided(run)
    if run.matches is not None:
        candidates = f"SELECT DISTINCT member_id FROM {i(run.matches)}"
    else:
        candidates = f"SELECT {i('member_id')} AS member_id FROM {i(_M)}"
    eng.create_table_as(
        _POPULATION,
        f"SELECT p.member_id, d.basis FROM ({candidates}) AS p "
        f"JOIN {sources} ON d.subject_id = p.member_id WHERE {ok}",
    )
    run.counts["candidates"] = int(eng.scalar(f"SELECT COUNT(*) FROM ({candidates}) AS p"))
    run.counts["allowed"] = eng.count(_POPULATION)
    run.counts["excluded"] = run.counts["candidates"] - run.counts["allowed"]
    rows = eng.query(f"SELECT basis, COUNT(*) AS n FROM {i(_POPULATION)} GROUP BY basis ORDER BY basis")
    run.manifest["bases"] = {str(r["basis"]): int(r["n"]) for r in rows.to_pylist()}
    # Why the others were left out: decide's first reason per person, counted; persons the store
    # does not know at all under NOT_REGISTERED (their consent cannot be shown).
    reasons = eng.query(
        f"SELECT reason, COUNT(*) AS n FROM (SELECT {reason} AS reason FROM ({candidates}) AS p "
        f"JOIN {sources} ON d.subject_id = p.member_id WHERE NOT ({ok})) AS x "
        "GROUP BY reason ORDER BY n DESC, reason"
    ).to_pylist()
    excluded = {str(r["reason"]): int(r["n"]) for r in reasons}
    unknown = run.counts["excluded"] - sum(excluded.values())
    if unknown > 0:
        excluded[NOT_REGISTERED] = unknown
    run.manifest["excluded_by_reason"] = excluded
    for decided in tables:  # read into the population and the counts; nothing reads them again
        eng.drop(decided)
    unregister(eng)


def _allowed_members(run: _Run) -> str:
    i = run.eng.ident
    return run.eng.create_table_as(
        run.eng.temp_name("rel_allowed"),
        f"SELECT m.* FROM {i(_M)} AS m JOIN {i(_POPULATION)} AS pop ON pop.member_id = m.{i('member_id')}",
    )


def _write_personal(run: _Run) -> list[tuple[str, str]]:
    """Rows for the partner, keyed by its own row numbers: no member id, no token leaves."""
    assert run.matches is not None
    eng, i, spec = run.eng, run.eng.ident, run.spec
    cols = "".join(f", m.{i(c)}" for c in spec.output.items)
    sql = (
        f"SELECT mt.partner_id AS partner_row{cols} FROM {i(run.matches)} AS mt "
        f"JOIN {i(_POPULATION)} AS pop ON pop.member_id = mt.member_id "
        f"JOIN {i(_M)} AS m ON m.{i('member_id')} = mt.member_id ORDER BY partner_row"
    )
    write_output(eng, sql, run.work / f"release.{spec.output.format}", spec.output.format)
    persons = eng.query(f"SELECT member_id, basis FROM {i(_POPULATION)}").to_pylist()
    return [(r["member_id"], r["basis"]) for r in persons]
