"""`hogo synth OUT_DIR`: a seeded synthetic data set (members, partner customers, purchases, consent)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hogo.cli.options import JSON
from hogo.cli.output import console, err_console, print_json, user_errors
from hogo.synth.generate import SynthSpec, generate


def synth_cmd(
    out_dir: Path = typer.Argument(..., help="出力先フォルダ / output folder"),
    members: int = typer.Option(10_000, "--members", min=1, help="会員数 / number of members"),
    partner_rows: int | None = typer.Option(
        None, "--partner-rows", min=0, help="提携先の顧客数(既定: 会員数と同じ)"
    ),
    overlap: float = typer.Option(0.5, "--overlap", min=0.0, max=1.0, help="提携先顧客のうち会員の割合"),
    purchases: float = typer.Option(
        2.0, "--purchases-per-member", min=0.0, help="会員1人あたりの平均購買件数"
    ),
    seed: int = typer.Option(0, "--seed", help="乱数の種(同じ種なら同じデータ) / random seed"),
    chunk_size: int = typer.Option(
        500_000, "--chunk-size", min=1, help="一度に生成する会員数(メモリ量の目安)"
    ),
    as_json: bool = JSON,
) -> None:
    """架空の会員・提携先顧客・購買・同意履歴を生成し、Parquetで書き出します(再現可能)。"""
    spec = SynthSpec(
        members=members,
        partner_rows=partner_rows,
        overlap=overlap,
        purchases_per_member=purchases,
        seed=seed,
        chunk_size=chunk_size,
    )
    with user_errors():
        if as_json:
            summary = generate(spec, out_dir)
        else:
            columns = (TextColumn("会員を生成中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=err_console, transient=True) as progress:
                task = progress.add_task("synth", total=members)
                summary = generate(spec, out_dir, lambda done: progress.advance(task, done))
    if as_json:
        print_json(summary)
        return
    table = Table("ファイル / file", "行数 / rows", "パス / path")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}", summary.files[name])
    console.print(table)
    console.print(f"[green]生成しました[/] ({summary.seconds} 秒 / s, seed={seed})")
