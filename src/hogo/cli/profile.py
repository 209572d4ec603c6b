"""`hogo profile run SPEC.yaml`: features of purchase histories, only for persons a profiling
purpose covers, sealed in the ledger; `list` and `show` the recorded runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hogo.cli.context import reading
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.cli.runs import run_spec_file
from hogo.domain.display import datetime_text, title_pair
from hogo.profiling.spec import load_profile_spec
from hogo.services import profiles as service

app = typer.Typer(help="プロファイリング(購買履歴の分析)/ profiling", no_args_is_help=True)


@app.command("run")
def run_cmd(
    spec_file: Path = typer.Argument(..., help="プロファイル仕様(YAML)"),
    as_json: bool = JSON,
) -> None:
    """利用目的が及ぶ本人だけを対象に特徴量を計算し、台帳に記録して書き出します(通則編3-1-1)。"""
    result = run_spec_file(
        spec_file, load_profile_spec, service.run_profile, as_json, "プロファイルを作成しました"
    )
    if result is None:
        return
    c = result.counts
    console.print(f"  本人 {c['subjects']:,} 人 → 対象 {c['profiled']:,} 人(対象外 {c['excluded']:,} 人)")
    console.print(f"  購買 {c['purchases']:,} 件のうち対象者の購買 {c['purchases_of_profiled']:,} 件")
    console.print(f"  台帳 #{result.manifest['ledger_seq']}")


def _as_json(info: service.ProfileInfo, with_manifest: bool) -> dict[str, object]:
    out: dict[str, object] = {
        "profile_id": info.profile_id,
        "purpose": info.purpose,
        "status": info.status,
        "run_at": info.run_at.isoformat(),
        "started_at": info.started_at.isoformat(),
        "finished_at": info.finished_at.isoformat() if info.finished_at else None,
        "directory": info.directory,
        "output_file": info.output_file,
        "output_sha256": info.output_sha256,
        "counts": info.counts,
        "rows_erased": info.rows_erased,
        "ledger_seq": info.ledger_seq,
        "error": info.error,
    }
    if with_manifest:
        out["manifest"] = info.manifest
    return out


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """記録したプロファイルの一覧(新しい順): 利用目的・対象者数・除外・実行日時。"""
    with user_errors(), reading() as session:
        found = service.list_profiles(session)
    if as_json:
        print_json([_as_json(i, with_manifest=False) for i in found])
        return
    headers = ("プロファイルID", "利用目的", "状態", "対象", "対象外", "消去で削除", "基準日時", "台帳")
    table = Table(*headers, title="プロファイル / profiles")
    for i in found:
        c = i.counts
        seq = "—" if i.ledger_seq is None else f"#{i.ledger_seq}"
        table.add_row(i.profile_id, i.purpose, title_pair("ReleaseStatus", i.status)[0],
                      f"{c.get('profiled', 0):,}", f"{c.get('excluded', 0):,}", f"{i.rows_erased:,}",
                      datetime_text(i.run_at), seq)  # fmt: skip
    console.print(table)


@app.command("show")
def show_cmd(
    profile_id: str = typer.Argument(..., help="プロファイルID"),
    as_json: bool = JSON,
) -> None:
    """プロファイルの件数・根拠・除外理由・特徴量の定義とハッシュ・出力ファイルを表示します。"""
    with user_errors(), reading() as session:
        info = service.get_profile(session, profile_id)
    if as_json:
        print_json(_as_json(info, with_manifest=True))
        return
    m = info.manifest
    when = datetime_text(info.run_at)
    status = title_pair("ReleaseStatus", info.status)[0]
    console.print(
        f"[bold]{info.profile_id}[/] {info.purpose} ({when}) {status} 台帳 #{info.ledger_seq or '—'}"
    )
    if info.error:
        console.print(f"[red]  {info.error}[/]")
    console.print(f"  出力 / output: {info.output_path} sha256={info.output_sha256}")
    for key, value in info.counts.items():
        console.print(f"  {key}: {value:,}")
    for reason, n in (m.get("excluded_by_reason") or {}).items():
        console.print(f"  対象外 / excluded {reason}: {n:,}")
    for feature in m.get("features", []):
        console.print(f"  特徴量 / feature: {feature}")
    console.print(f"  特徴量定義の SHA-256: {m.get('features_sha256')}")
    if info.rows_erased:
        console.print(f"  消去により削除した行 / rows erased: {info.rows_erased:,}")
