"""`hogo release run`: match, keep only the people the policy allows, release, record.

The steps, each in the data engine:
1. read members (and the partner's table), normalise e-mail/phone and turn them into keyed
   tokens — raw identifiers never enter a join or an output;
2. match partner rows to members by token; ambiguous links are dropped and counted;
3. decide set-wise who the policy allows for the purpose and recipient at the release time
   (`hogo.eligibility`, the decision engine's exact semantics);
4. write the release into a private scratch folder, record it (法29条 provision record, or the
   processing record for 匿名加工情報 and statistics) in the same transaction as the ledger entry,
   and only once that has committed give the folder its final name (`hogo.release.publish`) —
   a failure or a crash leaves either the recorded release with its folder or neither.
"""

from __future__ import annotations

import secrets
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hogo.config import load_settings
from hogo.domain.clock import JST, as_aware
from hogo.domain.decision import assess
from hogo.domain.ledger import EntryKind
from hogo.domain.policy import AppiClass, Policy
from hogo.domain.provision import ReleaseMode
from hogo.eligibility import ConsentSource, decisions_into
from hogo.engines import SqlEngine, get_engine
from hogo.errors import HogoError, InputError
from hogo.files.confine import refuse_served
from hogo.files.digest import sha256_file
from hogo.matching.inputs import open_input
from hogo.matching.keys import ROW_COLUMN, KeyKind, token_column, tokenize_into
from hogo.matching.match import build_match_pairs, match_report, resolve_matches
from hogo.matching.normalize import EmailRules
from hogo.matching.tokens import TokenKey, load_key
from hogo.release.aggregate import aggregate_release
from hogo.release.anonymized import write_anonymized
from hogo.release.publish import (
    fresh_private_dir,
    private_dir,
    publish,
    scratch_dirs,
    seal,
    write_manifest,
)
from hogo.release.spec import ReleaseSpec
from hogo.services import ledger
from hogo.services.consent import require_policy
from hogo.services.policy import revision_in_force
from hogo.services.provisions import record_provision
from hogo.store.database import session_scope
from hogo.store.export import StoreConsent
from hogo.store.releases import mark_done
from hogo.store.snapshot import ConsentFiles, open_snapshot

Step = Callable[[str], None]
_M, _P, _DECISIONS, _POPULATION = "rel_members", "rel_partner", "rel_decisions", "rel_population"


@dataclass
class ReleaseResult:
    release_id: str
    mode: ReleaseMode
    directory: Path
    counts: dict[str, int] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


def _check_items(policy: Policy, spec: ReleaseSpec) -> None:
    """Purpose limitation: every item provided belongs to a data category of the purpose."""
    purpose = policy.purpose(spec.purpose)
    assert purpose is not None
    for item, category in spec.output.items.items():
        if category not in purpose.data_categories:
            raise InputError(
                f"項目は利用目的「{purpose.id}」のデータ区分に含まれません。",
                f"the item's data category is not among purpose '{purpose.id}''s categories.",
                field=f"output.items.{item}",
            )
        c = policy.category(category)
        if c is not None and c.appi_class is AppiClass.my_number:
            raise InputError("個人番号は提供できません(番号法19条)。", "My Number data is never provided.",
                             field=f"output.items.{item}")  # fmt: skip


def _write(eng: SqlEngine, sql: str, path: Path, fmt: str) -> Path:
    if fmt == "parquet":
        return eng.write_parquet(sql, path)
    table = eng.query(sql)
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path)
    return path


def run_release(
    spec: ReleaseSpec,
    store: Engine,
    *,
    step: Step | None = None,
    now: datetime | None = None,
    consent: ConsentSource | None = None,
) -> ReleaseResult:
    """Run a release; `consent` may supply the consent data already read from this store."""
    say = step or (lambda _: None)
    at = as_aware(spec.at) if spec.at else (now or datetime.now(JST))
    with session_scope(store) as session:
        ledger.require_reconciled(session)  # the tables read below agree with the ledger
        policy = require_policy(session, at)
        revision = revision_in_force(session, at)
    a = assess(policy, spec.purpose, at, spec.decision_recipient)
    if a.terminal:
        first = a.terminal[0]
        raise HogoError(
            f"この提供はできません: {first.message_ja}({first.article})",
            f"release refused: {first.message_en}",
        )
    _check_items(policy, spec)
    release_id = spec.id or f"{at:%Y%m%d}-{spec.purpose}-{spec.recipient}-{uuid.uuid4().hex[:8]}"
    final_dir = spec.output.dir / release_id
    refuse_served(final_dir, "output.dir")
    if final_dir.exists():
        raise InputError(
            "同じ提供IDの出力が既にあります。", "a release with this id already exists.", field="id"
        )
    private_dir(spec.output.dir)
    work, spill = scratch_dirs(final_dir)
    fresh_private_dir(work)
    fresh_private_dir(spill)
    limit = load_settings().engine_memory_limit
    eng = get_engine("duckdb", temp_directory=spill, **({"memory_limit": limit} if limit else {}))
    recorded = False
    try:
        if consent is None and spec.consent_snapshot is not None:
            consent = open_snapshot(spec.consent_snapshot, store)
        counts, manifest, persons = _prepare(spec, policy, store, eng, at, work, say, consent)
        if isinstance(consent, ConsentFiles):
            manifest["consent_snapshot"] = {
                "ledger_seq": consent.info.ledger_seq,
                "created_at": consent.info.created_at,
            }
        manifest.update(
            {
                "release_id": release_id,
                "mode": spec.mode.value,
                "purpose": spec.purpose,
                "recipient": spec.recipient,
                "at": at.isoformat(),
                "policy": {
                    "revision": revision.revision if revision else None,
                    "sha256": revision.sha256 if revision else None,
                },
                "counts": counts,
            }
        )
        say("記録中 / recording")
        with session_scope(store) as session:
            if spec.mode is ReleaseMode.personal:
                record = record_provision(
                    session,
                    policy,
                    provision_id=release_id,
                    mode=spec.mode,
                    purpose_id=spec.purpose,
                    recipient_id=spec.recipient,
                    provided_at=at,
                    data_items=list(spec.output.items),
                    persons=persons,
                )
                manifest["provision_record"] = record.model_dump(mode="json")
            manifest["files"] = {p.name: sha256_file(p) for p in sorted(work.iterdir())}
            seq = ledger.append(session, EntryKind.processing, f"release:{release_id}",
                                {k: v for k, v in manifest.items() if k != "match"})  # fmt: skip
            manifest["ledger_seq"] = seq
            mark_done(session, release_id=release_id, mode=spec.mode.value, purpose=spec.purpose,
                      recipient=spec.recipient, directory=str(final_dir), manifest=manifest)  # fmt: skip
            write_manifest(work, manifest)
            seal(work)
        # Committed: the release is recorded, so its folder may now take its final name. A crash
        # before this line leaves `.ID.part`, which recovery renames (see hogo.release.publish).
        recorded = True
        publish(work, final_dir)
    except BaseException:
        if not recorded:
            shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        eng.close()
        shutil.rmtree(spill, ignore_errors=True)
    return ReleaseResult(release_id, spec.mode, final_dir, counts, manifest)


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
    counts: dict[str, int] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    matches: str | None = None
    consent: ConsentSource | None = None


def _prepare(
    spec: ReleaseSpec,
    policy: Policy,
    store: Engine,
    eng: SqlEngine,
    at: datetime,
    work: Path,
    say: Step,
    consent: ConsentSource | None,
) -> tuple[dict[str, int], dict[str, Any], list[tuple[str, str]]]:
    run = _Run(spec, policy, eng, at, work, say, consent=consent)
    keys, key, rules = _tokenise_members(run)
    if spec.partner is not None:
        _match_partner(run, keys, key, rules)
    _allowed_population(run, store)
    say("書き出し中 / writing")
    persons: list[tuple[str, str]] = []
    if spec.mode is ReleaseMode.personal:
        persons = _write_personal(run)
    else:
        allowed = _allowed_members(run)
        if spec.mode is ReleaseMode.aggregate:
            assert spec.aggregate is not None
            result = aggregate_release(eng, allowed, spec.aggregate, person="member_id")
            eng.write_parquet(result.table, work / "aggregate.parquet")
            run.manifest["suppression"] = result.summary.model_dump()
        else:
            run.manifest.update(write_anonymized(eng, spec, policy, allowed, work))
    return run.counts, run.manifest, persons


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
    keep = list(dict.fromkeys(["member_id", *spec.output.items, *_columns_for_mode(spec)]))
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
            f"SELECT {i('member_id')} AS member_id, LIST({i(ROW_COLUMN)} ORDER BY {i(ROW_COLUMN)}) AS rows_ "
            f"FROM {i(_M)} WHERE {i('member_id')} IS NOT NULL GROUP BY {i('member_id')} HAVING COUNT(*) > 1 "
            f"ORDER BY MIN({i(ROW_COLUMN)}) LIMIT {int(shown)}"
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
    run.counts["partner_rows"] = rows
    run.counts["matched_partner_rows"] = run.eng.count(run.matches)


#: Exclusion reason of a candidate the store has no record of (no consent can be shown for them).
NOT_REGISTERED = "SUBJECT_NOT_REGISTERED"


def _allowed_population(run: _Run, store: Engine) -> None:
    """Candidates (all members, or the matched ones) the decision engine allows, with the basis."""
    eng, i = run.eng, run.eng.ident
    run.say("同意・法的根拠を判定中 / deciding who may be included")
    tables = run.consent if run.consent is not None else StoreConsent(store)
    decisions_into(
        eng,
        _DECISIONS,
        run.policy,
        tables,
        run.spec.purpose,
        run.at,
        run.spec.decision_recipient,
        with_reason=True,
    )
    if run.matches is not None:
        candidates = f"SELECT DISTINCT member_id FROM {i(run.matches)}"
    else:
        candidates = f"SELECT {i('member_id')} AS member_id FROM {i(_M)}"
    eng.create_table_as(
        _POPULATION,
        f"SELECT p.member_id, d.basis FROM ({candidates}) AS p "
        f"JOIN {i(_DECISIONS)} AS d ON d.subject_id = p.member_id WHERE d.allowed",
    )
    run.counts["candidates"] = int(eng.scalar(f"SELECT COUNT(*) FROM ({candidates}) AS p"))
    run.counts["allowed"] = eng.count(_POPULATION)
    run.counts["excluded"] = run.counts["candidates"] - run.counts["allowed"]
    rows = eng.query(f"SELECT basis, COUNT(*) AS n FROM {i(_POPULATION)} GROUP BY basis ORDER BY basis")
    run.manifest["bases"] = {str(r["basis"]): int(r["n"]) for r in rows.to_pylist()}
    # Why the others were left out: decide's first reason per person, counted; persons the store
    # does not know at all under NOT_REGISTERED (their consent cannot be shown).
    reasons = eng.query(
        f"SELECT d.reason AS reason, COUNT(*) AS n FROM ({candidates}) AS p "
        f"JOIN {i(_DECISIONS)} AS d ON d.subject_id = p.member_id WHERE NOT d.allowed "
        "GROUP BY d.reason ORDER BY n DESC, reason"
    ).to_pylist()
    excluded = {str(r["reason"]): int(r["n"]) for r in reasons}
    unknown = run.counts["excluded"] - sum(excluded.values())
    if unknown > 0:
        excluded[NOT_REGISTERED] = unknown
    run.manifest["excluded_by_reason"] = excluded


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
    _write(eng, sql, run.work / f"release.{spec.output.format}", spec.output.format)
    persons = eng.query(f"SELECT member_id, basis FROM {i(_POPULATION)}").to_pylist()
    return [(r["member_id"], r["basis"]) for r in persons]
