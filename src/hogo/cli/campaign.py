"""`hogo campaign create|list|show|export|end`: re-consent campaigns for a terms revision's gap."""

from __future__ import annotations

from pathlib import Path

import typer

from hogo.cli.context import at_or_now, reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.files.atomic import atomic_path
from hogo.files.people_csv import people_csv
from hogo.services import campaigns

app = typer.Typer(help="再同意キャンペーン / re-consent campaigns", no_args_is_help=True)


def _view(c: campaigns.CampaignView) -> dict[str, object]:
    return {
        "campaign_id": c.campaign_id,
        "title": c.title,
        "purposes": list(c.purposes),
        "site_id": c.site_id,
        "selected_at": c.selected_at.isoformat(),
        "frozen_at": c.frozen_at.isoformat(),
        "target_count": c.target_count,
        "target_digest": c.target_digest,
        "ledger_seq": c.ledger_seq,
        "active": c.active,
    }


@app.command("create")
def create_cmd(
    campaign_id: str = typer.Argument(..., help="キャンペーンID"),
    title: str = typer.Option(..., "--title", help="表題"),
    purpose: list[str] = typer.Option(..., "--purpose", help="たずねる利用目的(複数可)"),
    at: str | None = typer.Option(None, "--at", help="対象者を選ぶ時点(ISO-8601、省略時は現在)"),
    site: str | None = typer.Option(None, "--site", help="通知を出す会員サイト(省略時はすべて)"),
    as_json: bool = JSON,
) -> None:
    """対象者(規約の同意が利用目的に及ばない会員)を確定し、件数とダイジェストを台帳に記録します。"""
    with user_errors():
        when = at_or_now(at)
        with unit_of_work() as session:
            spec = campaigns.CampaignSpec(campaign_id, title, tuple(purpose), when, site)
            view = campaigns.create(session, spec)
    if as_json:
        print_json(_view(view))
        return
    console.print(
        f"対象者を確定しました: {view.target_count:,} 人"
        f"(SHA-256 {view.target_digest}、台帳 #{view.ledger_seq})"
    )


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """キャンペーンの一覧。"""
    with user_errors(), reading() as session:
        found = campaigns.list_campaigns(session)
    if as_json:
        print_json([_view(c) for c in found])
        return
    for c in found:
        console.print(
            f"{c.campaign_id}  {c.title}  対象 {c.target_count:,} 人  {'実施中' if c.active else '終了'}"
        )


@app.command("show")
def show_cmd(campaign_id: str = typer.Argument(..., help="キャンペーンID"), as_json: bool = JSON) -> None:
    """回答の推移(同意・拒否・表示後に閉じた・表示済み未回答・未表示)。"""
    with user_errors(), reading() as session:
        view = campaigns.get(session, campaign_id)
        points = campaigns.conversion(session, campaign_id)
    if as_json:
        print_json({**_view(view), "conversion": [{"at": p.at.isoformat(), **p.counts} for p in points]})
        return
    console.print(f"{view.title}  対象 {view.target_count:,} 人")
    for p in points:
        console.print(
            p.at.isoformat(timespec="minutes"), "  ".join(f"{k}={v:,}" for k, v in p.counts.items())
        )


@app.command("export")
def export_cmd(
    campaign_id: str = typer.Argument(..., help="キャンペーンID"),
    output: Path = typer.Argument(..., help="出力CSV(UTF-8 BOM 付き、Excel 向け)"),
) -> None:
    """対象者一覧(ID・メール・電話・状態)を CSV で出力します(数式として解釈されないセル)。"""
    with user_errors(), reading() as session:
        rows = [row for batch in campaigns.iter_targets(session, campaign_id) for row in batch]
    with user_errors(), atomic_path(output) as tmp:  # mkstemp: 0600, personal data
        tmp.write_bytes(people_csv(("subject_id", "email", "phone", "state"), rows))
    console.print(f"{len(rows):,} 人を出力しました: {output}")


@app.command("end")
def end_cmd(campaign_id: str = typer.Argument(..., help="キャンペーンID")) -> None:
    """キャンペーンを終了します(以後、通知はキャンペーンのものでなくなります)。"""
    with user_errors(), unit_of_work() as session:
        campaigns.end(session, campaign_id)
    console.print(f"終了しました: {campaign_id}")
