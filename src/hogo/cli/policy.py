"""`hogo policy apply|show`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hogo.cli.context import reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.domain.display import date_text
from hogo.files.policy_yaml import load_policy
from hogo.services.policy import apply_policy, policy_document, require_policy

app = typer.Typer(help="利用目的・規約版・提供先などのポリシー / the policy file", no_args_is_help=True)


@app.command("apply")
def apply_cmd(
    file: Path = typer.Argument(..., help="ポリシーファイル(YAML)"),
    as_json: bool = JSON,
) -> None:
    """ポリシーを適用します(同じ内容なら何もしません)。"""
    with user_errors():
        policy = load_policy(file)
        with unit_of_work() as session:
            change = apply_policy(session, policy)
    if as_json:
        print_json(change.as_dict())
        return
    if not change.changed:
        console.print(f"変更はありません(改訂 {change.revision})。/ no change (revision {change.revision})")
        return
    rev = change.revision
    console.print(f"[green]ポリシー改訂 {rev} を適用しました。[/] / applied revision {rev}")
    for label, part in (("追加", change.added), ("削除", change.removed), ("変更", change.modified)):
        for section, ids in part.items():
            console.print(f"  {label} {section}: {', '.join(ids)}")


@app.command("show")
def show_cmd(as_json: bool = JSON) -> None:
    """適用中のポリシーを表示します。"""
    with user_errors(), reading() as session:
        policy = require_policy(session)
    if as_json:
        print_json(policy_document(policy))
        return
    console.print(f"[bold]{policy.organization.name}[/]  {policy.organization.address}")
    table = Table("利用目的 id", "名称", "種類", "同意", "提供先", "データ区分", title="利用目的 / purposes")
    for p in policy.purposes:
        table.add_row(
            p.id,
            p.title,
            p.kind.ja,
            "要" if p.requires_consent else "不要",
            "、".join(r.name for rid in p.recipients if (r := policy.recipient(rid)) is not None),
            "、".join(
                c.title or c.id for cid in p.data_categories if (c := policy.category(cid)) is not None
            ),
        )
    console.print(table)
    terms = Table("版", "施行日", "利用目的", title="規約版 / terms versions")
    for t in policy.terms:
        titles = "、".join(q.title if (q := policy.purpose(pid)) else pid for pid in t.purposes)
        terms.add_row(t.version, date_text(t.effective_from), titles)
    console.print(terms)
