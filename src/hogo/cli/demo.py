"""`hogo demo`: a demo organisation in a fresh database, and the number that matters."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.config import load_settings
from hogo.demo import build_database, demo_policy
from hogo.domain.clock import JST
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS
from hogo.domain.decision import assess_purpose, decide_assessed
from hogo.eligibility import eligible_subjects
from hogo.services import ledger
from hogo.services.coverage import load_tables
from hogo.services.database import open_store, read_scope
from hogo.services.histories import histories


def demo_cmd(
    database: Path = typer.Option(
        Path("hogo-demo.db"),
        help="デモ用SQLiteファイル(作り直します。起動中の hogo serve が使用中なら作り直しません)",
    ),
    subjects: int = typer.Option(10_000, min=10, help="会員数"),
    seed: int = typer.Option(42, help="乱数の種"),
    as_json: bool = JSON,
) -> None:
    """デモ組織を新しいデータベースに作り、広告事業者への提供に含めてよい会員数を示します。"""
    with user_errors():
        policy = demo_policy()
        with Progress(console=console, disable=as_json, transient=True) as bar:
            task = bar.add_task("デモデータ作成中 / building demo", total=None)
            data = build_database(
                database,
                subjects,
                seed,
                lambda done, total: bar.update(task, completed=done, total=total),
                data_dir=load_settings().data_dir,
                showcase=True,
            )
        db = open_store(f"sqlite:///{database}", migrate=False)
        now = datetime.now(JST)
        tables = load_tables(db)
        summary = {}
        for purpose in ("ad_partners", "marketing_mail", "mailing_list", "analytics_overseas"):
            summary[purpose] = eligible_subjects(policy, tables, purpose, now).as_dict()
        accepted_any = {e.subject_id for e in data.events if e.purpose_id == ALL_PURPOSES_IN_TERMS}
        a = assess_purpose(policy, "ad_partners", now)
        with read_scope(db) as session:
            # Why members are excluded from ad_partners: the first reason of each decision.
            reasons = Counter(
                d.reasons[0].code for h in histories(session) if not (d := decide_assessed(a, h)).allowed
            )
            verification = ledger.verify_ledger(session)
        db.dispose()
    result = {
        "database": str(database),
        "members": len(data.subjects),
        "consent_events": len(data.events),
        "accepted_terms": len(accepted_any),
        "ad_partners_allowed": summary["ad_partners"]["allowed"],
        "ad_partners_excluded_by_reason": dict(reasons.most_common()),
        "eligibility": summary,
        "ledger": {"ok": verification.ok, "entries": verification.entries},
        "incidents": list(data.showcase.incidents) if data.showcase else [],
        "received": data.showcase.received if data.showcase else None,
        "releases": list(data.showcase.releases) if data.showcase else [],
    }
    if as_json:
        print_json(result)
        return
    console.print(
        f"[bold]デモ組織を作成しました[/]: {database}"
        f"(会員 {len(data.subjects):,} 人、同意事象 {len(data.events):,} 件)"
    )
    console.print(
        f"規約に同意した会員: [bold]{len(accepted_any):,}[/] 人 → "
        "広告事業者への第三者提供(ad_partners)に法的に含めてよい会員: "
        f"[bold green]{result['ad_partners_allowed']:,}[/] 人"
    )
    table = Table("理由コード", "人数", title="ad_partners から除外される理由(主たる理由)")
    for code, n in reasons.most_common():
        table.add_row(code, f"{n:,}")
    console.print(table)
    other = Table("利用目的", "可", "根拠の内訳")
    for purpose, r in summary.items():
        other.add_row(purpose, f"{r['allowed']:,}", ", ".join(f"{k}={v:,}" for k, v in r["by_basis"].items()))
    console.print(other)
    if data.showcase:
        shown = data.showcase
        console.print(
            f"ほかに: 個人情報管理台帳 {shown.datasets} 件、漏えい等事案 {len(shown.incidents)} 件"
            f"(うち速報の期限超過 1 件、完了 1 件)、ランサムウェア対策の機器台帳と評価、"
            f"受領記録 1 件、提供 {len(shown.releases)} 件(匿名加工情報・統計情報)"
        )
    state = "[green]完全[/]" if verification.ok else "[red]不整合[/]"
    console.print(f"台帳: {state}({verification.entries:,} 件)")
    console.print(f"次は: HOGO_DATABASE_URL=sqlite:///{database} hogo consent history --subject M0000001")
