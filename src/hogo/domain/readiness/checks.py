"""The readiness rules: each a small function from the inventory to findings for one check.

Every rule yields a finding per subject it applies to, passed or not, so the report can show what
is in order as well as what is not, and the score has a denominator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import Field

from hogo.domain.display import date_text
from hogo.domain.model import Frozen
from hogo.domain.readiness import backups as bk
from hogo.domain.readiness import eol
from hogo.domain.readiness.assets import DATA_HOLDING_KINDS, Asset, AssetKind, Ownership
from hogo.domain.readiness.catalogue import CHECKS, Check, Severity
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import QUESTIONS, Answer, passes

CATALOGUE: dict[str, Check] = CHECKS | {q.id: q for q in QUESTIONS}


class ReadinessSettings(Frozen):
    """Thresholds hogo chose; the NPA gives no numbers for them (see docs/readiness.md)."""

    patch_max_age_days: int = Field(default=90, ge=1)
    restore_test_max_age_days: int = Field(default=365, ge=1)
    min_generations: int = Field(default=7, ge=1)


class Finding(Frozen):
    check_id: str
    severity: Severity
    #: What the finding is about: an asset id, a backup source or a question id.
    subject: str
    passed: bool
    detail_ja: str = ""
    detail_en: str = ""


@dataclass(frozen=True)
class Context:
    inventory: Inventory
    catalogue: eol.EolCatalogue
    on: date
    answers: Mapping[str, Answer] = field(default_factory=dict)
    settings: ReadinessSettings = field(default_factory=ReadinessSettings)


Rule = Callable[[Context], Iterator[Finding]]
RULES: dict[str, Rule] = {}


def rule(check_id: str) -> Callable[[Rule], Rule]:
    if check_id not in CATALOGUE:
        raise KeyError(check_id)

    def register(fn: Rule) -> Rule:
        RULES[check_id] = fn
        return fn

    return register


def finding(check_id: str, subject: str, passed: bool, ja: str = "", en: str = "") -> Finding:
    return Finding(
        check_id=check_id, severity=CATALOGUE[check_id].severity, subject=subject, passed=passed,
        detail_ja=ja, detail_en=en or ja,
    )  # fmt: skip


# Devices whose lifecycle matters; a backup disk's own firmware is out of scope for these rules.
_LIFECYCLE_KINDS = frozenset(AssetKind) - {AssetKind.backup_target, AssetKind.other}


@rule("eol.past_end_of_life")
def _past_eol(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        st = eol.status(ctx.catalogue, a, ctx.on)
        if st.release is None or st.product is None:
            continue
        when = date_text(st.eol_date) if st.eol_date else "日付非公表"
        when_en = date_text(st.eol_date, "en") if st.eol_date else "date not published"
        cycle = st.release.label or f"{st.product.title or st.product.id} {st.release.cycle}"
        if st.past_eol:
            yield finding(
                "eol.past_end_of_life",
                a.id,
                False,
                f"{cycle}: サポート終了 {when}",
                f"{cycle}: end of life {when_en}",
            )
        else:
            yield finding(
                "eol.past_end_of_life",
                a.id,
                True,
                f"{cycle}: サポート期限 {when}",
                f"{cycle}: supported until {when_en}",
            )


@rule("eol.vendor_discontinued")
def _vendor_rule(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        r = next((r for r in ctx.catalogue.vendor_rules if r.covers(a)), None)
        if r is None or a.made_on is None:
            continue  # no rule, or the date is unknown (eol.unknown_lifecycle asks for it)
        before = a.made_on < r.manufactured_before
        yield finding(
            "eol.vendor_discontinued",
            a.id,
            not before,
            r.note_ja if before else "",
            r.note_en if before else "",
        )


@rule("eol.unknown_lifecycle")
def _unknown(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        if a.kind not in _LIFECYCLE_KINDS:
            continue
        st = eol.status(ctx.catalogue, a, ctx.on)
        # A vendor rule decides a lifecycle only for the models it covers: those made before its
        # date. A newer model of the same vendor is as unknown as any other without EOL data.
        rule_decides = (
            st.vendor_rule is not None
            and a.made_on is not None
            and a.made_on < st.vendor_rule.manufactured_before
        )
        if st.vendor_rule is not None and a.made_on is None:
            yield finding(
                "eol.unknown_lifecycle",
                a.id,
                False,
                "製造日(購入日)が未記録",
                "manufacture (purchase) date missing",
            )
        elif not rule_decides and not st.known:
            what_ja = "バージョン不明" if st.product else "EOL データにない製品"
            what_en = "version not matched" if st.product else "product not in the EOL data"
            if st.vendor_rule is not None:
                cutoff = st.vendor_rule.manufactured_before.isoformat()
                what_ja += f"(ベンダーの告知は {cutoff} より前の製造品のみ)"
                what_en += f" (the vendor notice covers only models made before {cutoff})"
            yield finding("eol.unknown_lifecycle", a.id, False, what_ja, what_en)
        else:
            yield finding("eol.unknown_lifecycle", a.id, True)


@rule("patch.behind_latest")
def _behind(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        st = eol.status(ctx.catalogue, a, ctx.on)
        if st.release is None or not st.release.latest or st.past_eol:
            continue
        behind = eol.behind_latest(st.release, a.version)
        latest = st.release.latest
        ja, en = (f"最新版 {latest}", f"latest is {latest}") if behind else ("", "")
        yield finding("patch.behind_latest", a.id, not behind, ja, en)


@rule("patch.stale")
def _stale(ctx: Context) -> Iterator[Finding]:
    limit = ctx.on - timedelta(days=ctx.settings.patch_max_age_days)
    for a in ctx.inventory.assets:
        if a.kind not in _LIFECYCLE_KINDS:
            continue
        if a.last_patched_on is None:
            yield finding("patch.stale", a.id, False, "最終更新日が未記録", "last patch date not recorded")
        elif a.last_patched_on < limit:
            days = (ctx.on - a.last_patched_on).days
            yield finding("patch.stale", a.id, False, f"{days} 日間未更新", f"not patched for {days} days")
        else:
            yield finding("patch.stale", a.id, True)


@rule("access.exposed_without_mfa")
def _mfa(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        if a.remote_access:
            ja = "" if a.mfa else ("多要素認証なし" if a.mfa is False else "多要素認証の有無が未記録")
            yield finding("access.exposed_without_mfa", a.id, a.mfa is True, ja, "no MFA" if ja else "")


@rule("access.rdp_exposed")
def _rdp(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        if a.kind is AssetKind.rdp_host or a.exposes_rdp:
            ja, en = ("RDP ポートを公開", "RDP port exposed") if a.exposes_rdp else ("", "")
            yield finding("access.rdp_exposed", a.id, not a.exposes_rdp, ja, en)


@rule("access.default_password")
def _password(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        if a.kind in (AssetKind.pc, AssetKind.other):
            continue  # a PC's sign-in is covered by directory policies, not a device admin page
        ok = a.default_password_changed is True
        ja = (
            ""
            if ok
            else ("初期パスワードのまま" if a.default_password_changed is False else "変更の有無が未記録")
        )
        yield finding("access.default_password", a.id, ok, ja, "" if ok else "default or unknown")


@rule("telework.private_device")
def _private_device(ctx: Context) -> Iterator[Finding]:
    rules_in_place = passes(ctx.answers.get("q.telework.device_distinction"))
    for a in ctx.inventory.assets:
        if a.telework:
            ok = a.ownership is Ownership.company or rules_in_place
            ja, en = (
                ("", "")
                if ok
                else ("私有端末(利用ルール未整備)", "private device, no rules for private devices")
            )
            yield finding("telework.private_device", a.id, ok, ja, en)


@rule("inventory.owner_missing")
def _owner(ctx: Context) -> Iterator[Finding]:
    for a in ctx.inventory.assets:
        yield finding("inventory.owner_missing", a.id, bool(a.owner))


def _named(a: Asset, names: set[str]) -> bool:
    return a.id in names or (bool(a.name) and a.name in names)


@rule("backup.missing")
def _missing(ctx: Context) -> Iterator[Finding]:
    """Every data-holding device is the source of a backup, unless it is itself where backups
    land: a NAS that holds the copies is checked by the 3-2-1-1-0 rules, not as lacking one."""
    sources = {j.source for j in ctx.inventory.backups if j.generations > 0}
    targets = {j.target for j in ctx.inventory.backups if j.target}
    for a in ctx.inventory.assets:
        if a.kind not in DATA_HOLDING_KINDS:
            continue
        if _named(a, sources):
            yield finding("backup.missing", a.id, True)
        elif _named(a, targets):
            yield finding(
                "backup.missing",
                a.id,
                True,
                "バックアップ先(コピーを保持)",
                "a backup target (holds the copies)",
            )
        else:
            yield finding("backup.missing", a.id, False)


def _per_source(ctx: Context) -> Iterator[bk.Rule3211_0]:
    for source in bk.sources(ctx.inventory.backups):
        yield bk.evaluate_source(source, ctx.inventory.backups)


@rule("backup.three_copies")
def _three(ctx: Context) -> Iterator[Finding]:
    for r in _per_source(ctx):
        yield finding(
            "backup.three_copies", r.source, r.three_copies, f"コピー {r.copies} 個", f"{r.copies} copies"
        )


@rule("backup.two_media")
def _two(ctx: Context) -> Iterator[Finding]:
    for r in _per_source(ctx):
        yield finding("backup.two_media", r.source, r.two_media, f"媒体 {r.media} 種類", f"{r.media} media")


@rule("backup.offsite")
def _offsite(ctx: Context) -> Iterator[Finding]:
    for r in _per_source(ctx):
        yield finding("backup.offsite", r.source, r.one_offsite)


@rule("backup.isolated")
def _isolated(ctx: Context) -> Iterator[Finding]:
    for r in _per_source(ctx):
        yield finding("backup.isolated", r.source, r.one_isolated)


@rule("backup.generations")
def _generations(ctx: Context) -> Iterator[Finding]:
    need = ctx.settings.min_generations
    for r in _per_source(ctx):
        ok = r.max_generations >= need
        yield finding("backup.generations", r.source, ok, f"最大 {r.max_generations} 世代(基準 {need})",
                      f"at most {r.max_generations} generations (need {need})")  # fmt: skip


@rule("backup.restore_tested")
def _restore(ctx: Context) -> Iterator[Finding]:
    limit = ctx.on - timedelta(days=ctx.settings.restore_test_max_age_days)
    for r in _per_source(ctx):
        last = r.last_clean_restore_on
        if last is None:
            yield finding(
                "backup.restore_tested",
                r.source,
                False,
                "エラーなしの復元テスト記録なし",
                "no error-free restore test",
            )
        else:
            ok = last >= limit
            yield finding(
                "backup.restore_tested",
                r.source,
                ok,
                f"最終 {date_text(last)}",
                f"last {date_text(last, 'en')}",
            )


def _question_rule(check: Check) -> Rule:
    def run(ctx: Context) -> Iterator[Finding]:
        answer = ctx.answers.get(check.id)
        ja = answer.ja if answer else "未回答"
        yield finding(check.id, check.id, passes(answer), f"回答: {ja}", f"answer: {answer or 'none'}")

    return run


for _q in QUESTIONS:
    RULES[_q.id] = _question_rule(_q)


def run_checks(ctx: Context) -> list[Finding]:
    """All findings, in catalogue order, then by subject as the inventory lists it."""
    return [f for check_id in CATALOGUE for f in RULES[check_id](ctx)]
