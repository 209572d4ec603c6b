"""`hogo incident playbook export|apply` — the six-step action-flow playbooks as YAML."""

from __future__ import annotations

from pathlib import Path

import typer

from hogo.cli.context import reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.domain.incidents.playbooks import PlaybookSet
from hogo.files.atomic import atomic_text
from hogo.files.playbook_yaml import dump_playbooks, load_playbooks
from hogo.services.playbooks import apply_playbooks, current_playbooks

app = typer.Typer(help="対応手順(6ステップ)/ action-flow playbooks", no_args_is_help=True)


@app.command("export")
def playbook_export_cmd(
    output: Path | None = typer.Option(None, "--output", "-o", help="出力先(省略時は標準出力)"),
) -> None:
    """現在の対応手順を YAML で書き出します(編集して apply できます)。"""
    with user_errors(), reading() as session:
        text = dump_playbooks(current_playbooks(session))
    if output is None:
        typer.echo(text, nl=False)
        return
    with atomic_text(output) as handle:
        handle.write(text)
    console.print(f"書き出しました: {output} / exported")


@app.command("apply")
def playbook_apply_cmd(
    file: Path = typer.Argument(..., help="対応手順の YAML"),
    as_json: bool = JSON,
) -> None:
    """対応手順を適用します(以後に登録する事案から使われます)。"""
    with user_errors():
        playbooks: PlaybookSet = load_playbooks(file)
        with unit_of_work() as session:
            result = apply_playbooks(session, playbooks)
    if as_json:
        print_json(result)
        return
    console.print(f"変更 {', '.join(result['changed']) or 'なし'} / 変更なし {len(result['unchanged'])}")
