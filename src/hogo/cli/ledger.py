"""`hogo ledger verify|show`."""

from __future__ import annotations

import typer
from rich.table import Table

from hogo.cli import ledger_log
from hogo.cli.context import reading
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.services import ledger, person_keys

app = typer.Typer(help="改ざん検知可能な台帳 / the tamper-evident ledger", no_args_is_help=True)


@app.command("verify")
def verify_cmd(as_json: bool = JSON) -> None:
    """台帳のハッシュチェーンと、判断が読む表(本人・同意・例外・提供/受領記録・ポリシー)の各行を
    台帳記録と双方向に照合します(不一致があれば最初の箇所を示し、終了コード1)。"""
    with user_errors(), reading() as session:
        chain, rows = ledger.verify_all(session, processes=ledger.VERIFY_PROCESSES)
    result = ledger.verdict(chain, rows)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "entries": result.entries,
                "head": result.head,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
                "reconciliation": {
                    "ok": rows.ok,
                    "bound": rows.bound,
                    "entries": rows.entries,
                    "rows": rows.rows,
                    "erased_entries": rows.erased,
                    "finding": None if rows.finding is None else rows.finding.text(),
                },
            }
        )
    elif result.ok:
        console.print(f"[green]台帳は完全です[/] / intact: {result.entries:,} 件, head {result.head[:16]}…")
        counts = ", ".join(f"{name} {n:,}" for name, n in rows.rows.items())
        console.print(
            f"照合済みの行 / rows reconciled: {counts}; 消去済み記録 / erased entries: {rows.erased:,}"
        )
    else:
        console.print(
            f"[bold red]台帳の不整合[/] / ledger broken at seq {result.first_bad_seq}: {result.problem} "
            f"({chain.entries:,} 件のチェーンを確認)"
        )
    if not result.ok:
        raise typer.Exit(1)


@app.command("show")
def show_cmd(
    ref: str = typer.Option(..., help="対象(例: subject:M0001, policy:1)"),
    as_json: bool = JSON,
) -> None:
    """ある対象に関する台帳の記録を表示します(開示請求への回答の基礎)。"""
    with user_errors(), reading() as session:
        found = person_keys.entries_about(session, ref)
    if as_json:
        print_json([{"seq": r.seq, "kind": r.kind, "recorded_at": r.recorded_at, "payload": payload,
                     "hash": r.hash} for r, payload in found])  # fmt: skip
        return
    table = Table("seq", "種類", "記録日時(UTC)", "ハッシュ", title=f"台帳: {ref}")
    for r, _ in found:
        table.add_row(str(r.seq), r.kind, r.recorded_at, r.hash[:16] + "…")
    console.print(table)


ledger_log.register(app)  # keygen, head, prove, consistency, check-proof, verify-tree
