"""`hogo release run SPEC.yaml`: match, filter by the policy, release, record; `list` and `show`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hogo.cli.context import reading
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.cli.runs import run_spec_file
from hogo.domain.display import datetime_text, title_pair
from hogo.domain.policy import Policy
from hogo.release.spec import load_spec
from hogo.services import releases as service
from hogo.services.policy import current_policy

app = typer.Typer(help="データの提供(個人データ・匿名加工情報・統計) / data releases", no_args_is_help=True)


_COUNTS = {"candidates": "対象候補", "allowed": "提供可", "excluded": "除外"}


@app.command("run")
def run_cmd(
    spec_file: Path = typer.Argument(..., help="提供仕様(YAML)"),
    as_json: bool = JSON,
) -> None:
    """提供仕様に従い、照合・同意等の確認・加工を行い、記録とともに書き出します。"""
    result = run_spec_file(spec_file, load_spec, service.run_now, as_json, "提供データを作成しました")
    if result is None:
        return
    c = result.counts
    candidates, allowed, excluded = (c.get(k, 0) for k in ("candidates", "allowed", "excluded"))
    console.print(f"  対象候補 {candidates:,} 人 → 提供可 {allowed:,} 人(除外 {excluded:,} 人)")
    if "matched_partner_rows" in c:
        console.print(f"  提携先 {c['partner_rows']:,} 行のうち照合 {c['matched_partner_rows']:,} 行")


def _as_json(info: service.ReleaseInfo, with_manifest: bool) -> dict[str, object]:
    out: dict[str, object] = {
        "release_id": info.release_id,
        "mode": info.mode.value,
        "purpose": info.purpose,
        "recipient": info.recipient,
        "status": info.status,
        "started_at": info.started_at.isoformat(),
        "finished_at": info.finished_at.isoformat() if info.finished_at else None,
        "directory": info.directory,
        "counts": info.counts,
        "error": info.error,
    }
    if with_manifest:
        out["manifest"] = info.manifest or None
    return out


def _names(policy: Policy | None) -> tuple[dict[str, str], dict[str, str]]:
    """Purpose ids to titles and recipient ids to names, as people know them."""
    if policy is None:
        return {}, {}
    return {p.id: p.title for p in policy.purposes}, {r.id: r.name for r in policy.recipients}


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """提供の一覧(新しい順): 種類・利用目的・提供先・件数・状態。"""
    with user_errors(), reading() as session:
        found = service.list_releases(session)
        purposes, recipients = _names(current_policy(session))
    if as_json:
        print_json([_as_json(i, with_manifest=False) for i in found])
        return
    table = Table("提供ID", "種類", "利用目的", "提供先", "提供可", "状態", "開始", title="提供 / releases")
    for i in found:
        allowed = i.counts.get("allowed")
        started = datetime_text(i.started_at)
        shown = "—" if allowed is None else f"{allowed:,}"
        table.add_row(i.release_id, i.mode.ja, purposes.get(i.purpose, i.purpose),
                      recipients.get(i.recipient, i.recipient), shown,
                      title_pair("ReleaseStatus", i.status)[0], started)  # fmt: skip
    console.print(table)


@app.command("show")
def show_cmd(
    release_id: str = typer.Argument(..., help="提供ID"),
    as_json: bool = JSON,
) -> None:
    """提供の状態・件数・ファイル(完了時はマニフェスト)を表示します。"""
    with user_errors(), reading() as session:
        info = service.get_release(session, release_id)
        purposes, recipients = _names(current_policy(session))
    if as_json:
        print_json(_as_json(info, with_manifest=True))
        return
    console.print(
        f"[bold]{info.release_id}[/] {info.mode.ja} "
        f"{purposes.get(info.purpose, info.purpose)} → {recipients.get(info.recipient, info.recipient)}: "
        f"{title_pair('ReleaseStatus', info.status)[0]}"
    )
    console.print(f"  出力先 / directory: {info.directory}")
    for key, value in info.counts.items():
        label = _COUNTS.get(key, key)
        console.print(f"  {label}: {value:,}")
    for name in info.files:
        console.print(f"  ファイル / file: {name}")
    if info.error:
        console.print(f"[red]  {info.error}[/]")
