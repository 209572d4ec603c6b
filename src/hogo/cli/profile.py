"""`hogo profile run SPEC.yaml`: features of purchase histories, only for persons a profiling
purpose covers, sealed in the ledger."""

from __future__ import annotations

from pathlib import Path

import typer

from hogo.cli.context import opened
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, steps, user_errors
from hogo.profiling.spec import load_profile_spec
from hogo.services import profiles as service

app = typer.Typer(help="プロファイリング(購買履歴の分析)/ profiling", no_args_is_help=True)


@app.command("run")
def run_cmd(
    spec_file: Path = typer.Argument(..., help="プロファイル仕様(YAML)"),
    as_json: bool = JSON,
) -> None:
    """利用目的が及ぶ本人だけを対象に特徴量を計算し、台帳に記録して書き出します(通則編3-1-1)。"""
    with user_errors():
        spec = load_profile_spec(spec_file)
        with opened() as db, steps(as_json) as say:
            result = service.run_profile(db, spec, step=say)
    if as_json:
        print_json(result.manifest)
        return
    c = result.counts
    console.print(f"[green]プロファイルを作成しました[/]: {result.directory}")
    console.print(f"  本人 {c['subjects']:,} 人 → 対象 {c['profiled']:,} 人(対象外 {c['excluded']:,} 人)")
    console.print(f"  購買 {c['purchases']:,} 件のうち対象者の購買 {c['purchases_of_profiled']:,} 件")
    console.print(f"  台帳 #{result.manifest['ledger_seq']}")
