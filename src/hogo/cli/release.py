"""`hogo release run SPEC.yaml`: match, filter by the policy, release, record."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hogo.cli.context import open_engine
from hogo.cli.output import console, print_json, user_errors
from hogo.release.run import run_release
from hogo.release.spec import load_spec

app = typer.Typer(help="データの提供(個人データ・匿名加工情報・統計) / data releases", no_args_is_help=True)


@app.command("run")
def run_cmd(
    spec_file: Path = typer.Argument(..., help="提供仕様(YAML)"),
    as_json: bool = typer.Option(False, "--json", help="マニフェストをJSONで出力"),
) -> None:
    """提供仕様に従い、照合・同意等の確認・加工を行い、記録とともに書き出します。"""
    with user_errors():
        spec = load_spec(spec_file)
        store = open_engine()
        try:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            with Progress(*columns, console=console, disable=as_json, transient=True) as bar:
                task = bar.add_task("準備中 / preparing", total=None)
                result = run_release(spec, store, step=lambda text: bar.update(task, description=text))
        finally:
            store.dispose()
    if as_json:
        print_json(result.manifest)
        return
    c = result.counts
    console.print(f"[green]提供データを作成しました[/]: {result.directory}")
    candidates, allowed, excluded = (c.get(k, 0) for k in ("candidates", "allowed", "excluded"))
    console.print(f"  対象候補 {candidates:,} 人 → 提供可 {allowed:,} 人(除外 {excluded:,} 人)")
    if "matched_partner_rows" in c:
        console.print(f"  提携先 {c['partner_rows']:,} 行のうち照合 {c['matched_partner_rows']:,} 行")
