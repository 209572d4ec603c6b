"""`hogo disclosure SUBJECT`: the answer to a person's disclosure request (法33条)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hogo.cli.context import parse_at, unit_of_work
from hogo.cli.options import SUBJECT_ID
from hogo.cli.output import console, print_json, user_errors
from hogo.config import load_settings
from hogo.files.atomic import atomic_text
from hogo.reports.disclosure.render import render_html
from hogo.services import ledger_tree
from hogo.services.disclosure import disclosure


def disclosure_cmd(
    subject: str = typer.Argument(..., help="本人ID", callback=SUBJECT_ID),
    out: Path | None = typer.Option(None, help="出力先(.json 又は .html)。省略時は標準出力にJSON"),
    at: str | None = typer.Option(None, help="基準日時(省略時は現在)"),
) -> None:
    """開示請求に回答します: 保有個人データ、同意の記録、各利用目的の可否、第三者提供記録。"""
    with user_errors():
        key_file = load_settings().ledger_signing_key_file
        key = None if key_file is None else ledger_tree.load_signing_key(key_file)
        with unit_of_work() as session:
            answer = disclosure(session, subject, parse_at(at), key)
    if out is None:
        print_json(answer)
        return
    with atomic_text(out) as handle:
        if out.suffix.lower() in (".html", ".htm"):
            handle.write(render_html(answer))
        else:
            handle.write(json.dumps(answer, ensure_ascii=False, indent=2))
    console.print(f"開示請求への回答を書き出しました: {out}")
