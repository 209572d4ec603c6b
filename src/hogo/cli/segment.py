"""`hogo segment export SPEC.yaml`: 個人関連情報 keyed by cookie or device id to a recipient that
confirmed the persons' consent (法31条); `records` lists the confirmation records (法31条3項) and
`records purge` deletes those whose retention has ended."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from hogo.cli.context import day_or_today, opened, reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, steps, user_errors
from hogo.domain.display import datetime_text, title_pair
from hogo.domain.related_info import CONFIRMED, RESULTS
from hogo.segments.spec import load_segment_spec
from hogo.services import segment_purge
from hogo.services import segments as service

app = typer.Typer(help="個人関連情報の提供(法31条)/ segment exports", no_args_is_help=True)


def _reason(code: str) -> str:
    found = RESULTS.get(code)
    return f"{found.ja}({found.article})" if found else code


@app.command("export")
def export_cmd(
    spec_file: Path = typer.Argument(..., help="セグメント提供の仕様(YAML)"),
    as_json: bool = JSON,
) -> None:
    """提供先が本人の同意を得ていることを確認できた識別子だけを書き出し、確認記録を残します(法31条)。"""
    with user_errors():
        spec = load_segment_spec(spec_file)
        with opened() as db, steps(as_json) as say:
            result = service.export_now(db, spec, step=say)
    if as_json:
        print_json(result.manifest)
        return
    c, case = result.counts, result.manifest["case"]
    console.print(f"[green]個人関連情報を書き出しました[/]({case['title']}): {result.directory}")
    console.print(f"  行 {c['segment_rows']:,} → 提供 {c['exported']:,}(対象外 {c['excluded']:,})")
    for code, n in result.manifest["excluded_by_reason"].items():
        console.print(f"  対象外 {n:,}: {_reason(code)}")
    records = result.manifest["confirmation_records"]
    console.print(f"  確認記録 {records['rows']:,} 件(保存期限 {records['retention_until']})")
    console.print(f"  台帳 #{result.manifest['ledger_seq']}")


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """個人関連情報の提供の一覧(新しい順)。"""
    with user_errors(), reading() as session:
        found = service.list_exports(session)
    if as_json:
        print_json(
            [{**{k: v for k, v in vars(i).items() if k != "manifest"}, "counts": i.counts} for i in found]
        )
        return
    table = Table(
        "ID", "提供先", "識別子", "状態", "提供", "対象外", "提供日時", "台帳", title="個人関連情報の提供"
    )
    for i in found:
        c = i.counts
        table.add_row(i.export_id, i.recipient_id, title_pair("IdentifierKind", i.identifier_kind)[0],
                      title_pair("ReleaseStatus", i.status)[0], f"{c.get('exported', 0):,}",
                      f"{c.get('excluded', 0):,}", datetime_text(i.at),
                      "—" if i.ledger_seq is None else f"#{i.ledger_seq}")  # fmt: skip
    console.print(table)


records_app = typer.Typer(
    help="確認記録(法31条3項)の一覧。purge で保存期間を過ぎた記録を削除 / list; purge",
    invoke_without_command=True,
)
app.add_typer(records_app, name="records")


@records_app.callback()
def records_cmd(
    ctx: typer.Context,
    recipient: str | None = typer.Option(None, "--recipient", help="提供先ID"),
    export_id: str | None = typer.Option(None, "--export", help="提供ID"),
    limit: int = typer.Option(1000, "--limit", min=1, max=100_000),
    as_json: bool = JSON,
) -> None:
    """確認記録(法31条3項): 確認日・提供先・項目・同意の取得日時と方法・確認結果・保存期限。

    識別子は鍵付きトークンでのみ記録しています。保存期間を過ぎた記録の削除は `records purge`。
    """
    if ctx.invoked_subcommand is not None:
        return
    with user_errors(), reading() as session:
        found = service.confirmation_records(session, recipient=recipient, export_id=export_id, limit=limit)
    if as_json:
        print_json([json.loads(json.dumps(vars(r), default=str)) for r in found])
        return
    headers = (
        "確認日時",
        "提供先",
        "提供ID",
        "識別子(トークン)",
        "項目",
        "同意取得",
        "方法",
        "結果",
        "保存期限",
    )
    table = Table(*headers, title="個人関連情報の確認記録(法31条3項)")
    for r in found:
        result = "確認済" if r.result == CONFIRMED.code else _reason(r.result)
        table.add_row(datetime_text(r.confirmed_at), r.recipient_name, r.export_id,
                      r.identifier_token[:16] + "…", "、".join(r.items), datetime_text(r.consent_obtained_at),
                      r.method, result, r.retention_until.isoformat())  # fmt: skip
    console.print(table)


@records_app.command("purge")
def purge_cmd(
    before: str | None = typer.Option(
        None, "--before", help="この日より前に保存期間が終わった記録を削除(既定: 今日)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="削除せずに対象を表示"),
    yes: bool = typer.Option(False, "--yes", help="確認せずに実行"),
    as_json: bool = JSON,
) -> None:
    """保存期間(3年、契約書等で代える場合は1年)を過ぎた確認記録を削除します(法31条3項・法30条4項)。

    1トランザクションで削除し、提供ごとの件数と残る記録のダイジェストを台帳に記録します(識別子は記録しません)。
    保存期間の終わっていない記録は削除しません。
    """
    day = day_or_today(before)
    ask = f"{day.isoformat()} より前に保存期間が終わった確認記録を削除します(元に戻せません)。続けますか?"
    if not dry_run and not yes and not typer.confirm(ask + " / purge?"):
        raise typer.Exit(1)
    with user_errors(), reading() if dry_run else unit_of_work() as session:
        done = segment_purge.purge_records(session, day, dry_run=dry_run)
    if as_json:
        print_json({**vars(done), "purged": done.purged, "exports": [vars(e) for e in done.exports]})
        return
    verb = "削除対象" if dry_run else "削除しました"
    console.print(f"{verb}: 確認記録 {done.purged:,} 件({done.before.isoformat()} より前に保存期間が終了)")
    for e in done.exports:
        console.print(f"  {e.export_id}({e.recipient_id}): {e.purged:,} 件、残り {e.kept:,} 件")
    if done.ledger_seq is not None:
        console.print(f"  台帳 #{done.ledger_seq}")
