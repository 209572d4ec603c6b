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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from hogo.domain.policy import Policy
from hogo.domain.provision import ReleaseMode
from hogo.domain.related_info import ProvisionCase, case_of
from hogo.eligibility import ConsentSource, decisions_into, unregister
from hogo.engines import SqlEngine
from hogo.errors import InputError
from hogo.files.digest import sha256_file
from hogo.matching.inputs import open_input
from hogo.matching.keys import ROW_COLUMN, KeyKind, token_column, tokenize_into
from hogo.matching.match import build_match_pairs, report_and_resolve
from hogo.matching.normalize import EmailRules
from hogo.matching.tokens import TokenKey, load_key
from hogo.release.aggregate import aggregate_release
from hogo.release.anonymized import write_anonymized
from hogo.release.plan import ProfileInput, ReleasePlan
from hogo.release.spec import ReleaseSpec


class Step(Protocol):
    """How a release tells what it is doing: the stage it enters (``text``, Japanese / English)
    and, said again as the stage goes on, how many rows of it are done (``rows``), from which a
    front end shows rows per second (`hogo.cli.output.Stages`)."""

    def __call__(self, text: str, /, rows: int | None = None) -> None: ...


def quiet(text: str, /, rows: int | None = None) -> None:
    """A `Step` that shows nothing."""


_M, _P, _DECISIONS, _POPULATION = "rel_members", "rel_partner", "rel_decisions", "rel_population"
_K = "rel_keys"


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
    run = _Run(spec, plan.policy, engine, plan.at, work, step or quiet, consent=consent,
               profiles=plan.profiles)  # fmt: skip
    keys, key, rules = _tokenise_members(run)
    if spec.output.profile_items:
        _join_profiles(run)
    if spec.partner is not None:
        _match_partner(run, keys, key, rules)
    if spec.output.key is not None:
        _load_identifiers(run)
    _allowed_population(run)
    run.say("書き出し中 / writing", rows=run.counts["allowed"])
    persons: list[tuple[str, str]] = []
    if spec.mode is ReleaseMode.personal:
        persons = _write_personal(run)
    else:
        members = engine.columns(_M)
        allowed = _allowed_members(run, members)
        engine.drop(_M)  # everything the mode reads is in `allowed`
        if spec.mode is ReleaseMode.aggregate:
            assert spec.aggregate is not None
            result = aggregate_release(engine, allowed, spec.aggregate, person="member_id")
            engine.write_parquet(result.table, work / "aggregate.parquet")
            run.manifest["suppression"] = result.summary.model_dump()
        else:
            run.manifest.update(write_anonymized(engine, spec, plan.policy, allowed, work, members))
    return PreparedRelease(run.counts, run.manifest, persons)


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
    from_members = [c for c in spec.mode_columns if c not in spec.output.profile_items]
    keep = list(dict.fromkeys(["member_id", *spec.output.member_items, *from_members]))
    for name in keep:
        if name not in members.schema.names:
            raise InputError(
                "会員データに列がありません。", "column missing from the members input.", field=name
            )
    stage = "正規化・トークン化中 / normalising and tokenising"
    run.say(stage)
    rows, reports = tokenize_into(run.eng, _M, members, key, keys, keep=keep, rules=rules,
                                  done=lambda n: run.say(stage, rows=n))  # fmt: skip
    _refuse_repeated_members(run.eng)
    run.manifest["normalisation"] = {"members": [r.model_dump() for r in reports]}
    run.counts["members"] = rows
    return keys, key, rules


def repeated_rows(eng: SqlEngine, table: str, value: str, shown: int = 5) -> list[list[int]]:
    """The rows (``ROW_COLUMN``) of the first ``shown`` values of ``value`` (an SQL expression over
    ``table``, aliased ``t``) that appear on more than one row, each group in row order.

    Why two steps: nearly every value is on one row, and collecting the rows of ten million groups
    into lists only to keep none is most of the work. The values are first grouped by a 64-bit
    hash (the dialect's ``hash64``) with a count only; a value whose hash is on one row is on one
    row, whatever collisions the hash has, so only the rows whose hash repeats are grouped again by
    the value itself, with their lists.
    """
    i, d = eng.ident, eng.dialect
    h = d.hash64(value)
    found = eng.query(
        f"WITH c AS (SELECT {h} AS h FROM {i(table)} AS t WHERE {value} IS NOT NULL "
        f"GROUP BY {h} HAVING COUNT(*) > 1) "
        f"SELECT {d.sorted_list(i(ROW_COLUMN))} AS rows_, MIN({i(ROW_COLUMN)}) AS first_ "
        f"FROM {i(table)} AS t WHERE {value} IS NOT NULL AND {h} IN (SELECT h FROM c) "
        f"GROUP BY {value} HAVING COUNT(*) > 1 ORDER BY first_ LIMIT {int(shown)}"
    )
    return [[int(r) for r in rows] for rows in found.column("rows_").to_pylist()]


def refuse_repeated(groups: list[list[int]], what: tuple[str, str], field: str, shown: int = 5) -> None:
    """Refuse an input that names one ``what`` (ja, en) on several rows, naming the rows (never the
    value); ``groups`` from `repeated_rows`."""
    if not groups:
        return
    listed = "; ".join(" = ".join(str(r) for r in rows) for rows in groups)
    more_ja, more_en = ("ほか", " and more") if len(groups) == shown else ("", "")
    raise InputError(
        f"同じ{what[0]}が複数の行にあります(同じ値の行: {listed}{more_ja})。1つにつき1行にしてください。",
        f"one {what[1]} on several rows (rows of one value: {listed}{more_en}); give one row each.",
        row=groups[0][1],  # the row that repeats an earlier one
        field=field,
    )


def _refuse_repeated_members(eng: SqlEngine) -> None:
    """One row per person: a member id on two rows is refused, naming the rows (never the id).

    Why: every count a release relies on counts people — the small-cell threshold of statistics,
    k of 匿名加工情報, the persons of a 法29条 record. A repeated row would make four persons look
    like five and get a small cell published, so hogo does not guess which row is right.
    """
    groups = repeated_rows(eng, _M, f"t.{eng.ident('member_id')}")
    refuse_repeated(groups, ("会員ID", "member id"), "members.member_id")


def _load_identifiers(run: _Run) -> None:
    """The members' cookie/device ids (`output.key`), one row per identifier: an identifier that is
    empty, or on two rows (two members, or twice), is refused by row — whose rows it keys is not
    for hogo to guess."""
    key = run.spec.output.key
    assert key is not None
    eng, i = run.eng, run.eng.ident
    run.say("識別子の対応表を読み込み中 / reading the identifier mapping")
    raw = eng.temp_name("rel_keys_raw")
    rows, _ = tokenize_into(eng, raw, open_input(key), TokenKey(secrets.token_bytes(32)), {},
                            keep=["member_id", "identifier"])  # fmt: skip
    member, identifier = eng.dialect.cast_string(f"t.{i('member_id')}"), f"t.{i('identifier')}"
    eng.create_table_as(
        _K,
        f"SELECT {member} AS member_id, TRIM({eng.dialect.cast_string(identifier)}) AS identifier, "
        f"t.{i(ROW_COLUMN)} AS {i(ROW_COLUMN)} FROM {i(raw)} AS t",
    )
    eng.drop(raw)
    empty = eng.scalar(
        f"SELECT MIN({i(ROW_COLUMN)}) FROM {i(_K)} WHERE identifier IS NULL OR identifier = ''"
    )
    if empty is not None:
        raise InputError(
            "識別子が空欄です。", "the identifier is empty.", row=int(empty), field="output.key.identifier"
        )
    refuse_repeated(repeated_rows(eng, _K, "t.identifier"), ("識別子", "identifier"), "output.key.identifier")
    run.counts["key_rows"] = rows
    run.manifest["key"] = {"kind": key.kind.value, "rows": rows}
    run.manifest["case"] = case_of(ProvisionCase.personal_data)


def _match_partner(run: _Run, keys: dict[str, KeyKind], key: TokenKey, rules: EmailRules | None) -> None:
    assert run.spec.partner is not None
    stage = "提携先データを照合中 / matching the partner's table"
    run.say(stage)
    partner = open_input(run.spec.partner)
    names = partner.schema.names
    given = [token_column(k) for k in keys if token_column(k) in names]

    def stored(rows: int) -> None:
        run.say(stage, rows=rows)

    if given:
        # The partner tokenised on its side (`hogo tokenize`): nothing raw arrives, its hex
        # tokens become the bytes ours are.
        numbered = "row" not in names
        rows, _ = tokenize_into(
            run.eng,
            _P,
            partner,
            key,
            {},
            keep=names,
            with_row_numbers=numbered,
            hex_tokens=given,
            done=stored,
        )
    else:
        fields = {k: kind for k, kind in keys.items() if k in names}
        rows, reports = tokenize_into(run.eng, _P, partner, key, fields, rules=rules, done=stored)
        run.manifest["normalisation"]["partner"] = [r.model_dump() for r in reports]
    token_keys = [token_column(k) for k in keys if token_column(k) in names or k in names]
    pairs = build_match_pairs(run.eng, _M, _P, token_keys)
    report, run.matches = report_and_resolve(run.eng, _M, _P, token_keys, pairs)
    run.manifest["match"] = report.model_dump()
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
        name, view = eng.temp_name("rel_profile"), eng.temp_name("rel_profile_file")
        if source.path.suffix == ".parquet":  # read by the engine, at once: memory stays bounded
            eng.register_file(view, source.path, format="parquet")
            tables[job_id] = eng.create_table_as(name, f"SELECT * FROM {i(view)}")
            eng.drop(view)
        else:
            tables[job_id] = eng.register_arrow(name, read_output(source.path))
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
    """The joins of each person's decisions onto the candidates `p`, whether all allow, the first
    reason not, and the decision tables joined. (Flat joins, each with its own condition: Spark's
    SQL takes no nested ones.)

    A release with profile items needs, besides the release purpose (for the recipient), every
    profiling purpose those items were made under to still cover the person at the release time:
    a person who withdrew from profiling gets no row, whatever an earlier run computed.
    """
    eng, i = run.eng, run.eng.ident
    purposes = sorted({p.purpose for p in run.profiles.values()})
    sources = f"JOIN {i(_DECISIONS)} AS d ON d.subject_id = p.member_id"
    ok, reason = "d.allowed", "CASE WHEN NOT d.allowed THEN d.reason"
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
    stage = "同意・法的根拠を判定中 / deciding who may be included"
    run.say(stage)
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
    elif run.spec.output.key is not None:  # members with an identifier to key their rows by
        candidates = (
            f"SELECT DISTINCT k.member_id FROM {i(_K)} AS k "
            f"JOIN {i(_M)} AS m ON m.{i('member_id')} = k.member_id"
        )
    else:
        candidates = f"SELECT {i('member_id')} AS member_id FROM {i(_M)}"
    eng.create_table_as(
        _POPULATION,
        f"SELECT p.member_id, d.basis FROM ({candidates}) AS p {sources} WHERE {ok}",
    )
    run.counts["candidates"] = int(eng.scalar(f"SELECT COUNT(*) FROM ({candidates}) AS p"))
    run.counts["allowed"] = eng.count(_POPULATION)
    run.counts["excluded"] = run.counts["candidates"] - run.counts["allowed"]
    run.say(stage, rows=run.counts["candidates"])
    rows = eng.query(f"SELECT basis, COUNT(*) AS n FROM {i(_POPULATION)} GROUP BY basis ORDER BY basis")
    run.manifest["bases"] = {str(r["basis"]): int(r["n"]) for r in rows.to_pylist()}
    # Why the others were left out: decide's first reason per person, counted; persons the store
    # does not know at all under NOT_REGISTERED (their consent cannot be shown).
    reasons = eng.query(
        f"SELECT reason, COUNT(*) AS n FROM (SELECT {reason} AS reason FROM ({candidates}) AS p "
        f"{sources} WHERE NOT ({ok})) AS x "
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


def _allowed_members(run: _Run, members: list[str]) -> str:
    """The allowed members with the columns the mode reads (of ``members``, the members table's):
    the tokens and row numbers, which only matching read, are not copied again."""
    i = run.eng.ident
    read = {"member_id", *run.spec.mode_columns}
    columns = ", ".join(f"m.{i(c)}" for c in members if c in read)
    joined = f"JOIN {i(_POPULATION)} AS pop ON pop.member_id = m.{i('member_id')}"
    return run.eng.create_table_as(
        run.eng.temp_name("rel_allowed"), f"SELECT {columns} FROM {i(_M)} AS m {joined}"
    )


def _write_personal(run: _Run) -> list[tuple[str, str]]:
    """Rows for the recipient, keyed by the partner's own row numbers, or by the identifiers
    linked to the persons allowed (`output.key`): no member id, no token leaves."""
    eng, i, spec = run.eng, run.eng.ident, run.spec
    cols = "".join(f", m.{i(c)}" for c in spec.output.items)
    if spec.output.key is not None:
        sql = (
            f"SELECT k.identifier AS {i(spec.output.key.kind.column)}{cols} FROM {i(_K)} AS k "
            f"JOIN {i(_POPULATION)} AS pop ON pop.member_id = k.member_id "
            f"JOIN {i(_M)} AS m ON m.{i('member_id')} = k.member_id ORDER BY k.{i(ROW_COLUMN)}"
        )
    else:
        assert run.matches is not None
        sql = (
            f"SELECT mt.partner_id AS partner_row{cols} FROM {i(run.matches)} AS mt "
            f"JOIN {i(_POPULATION)} AS pop ON pop.member_id = mt.member_id "
            f"JOIN {i(_M)} AS m ON m.{i('member_id')} = mt.member_id ORDER BY partner_row"
        )
    write_output(eng, sql, run.work / f"release.{spec.output.format}", spec.output.format)
    persons = eng.query(f"SELECT member_id, basis FROM {i(_POPULATION)}").to_pylist()
    return [(r["member_id"], r["basis"]) for r in persons]
