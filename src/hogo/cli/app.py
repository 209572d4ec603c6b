"""The `hogo` command: registers every command group."""

from __future__ import annotations

import typer

from hogo.cli import consent, demo, ledger, policy, readiness, subject
from hogo.cli.context import open_engine
from hogo.cli.output import console, user_errors

app = typer.Typer(
    name="hogo",
    help="hogo (保護): 個人情報の利用目的・同意・提供・事故対応を法令に沿って管理します。",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.command("init")
def init_cmd() -> None:
    """データベースを作成し、最新のスキーマに更新します(SQLite / PostgreSQL)。"""
    with user_errors():
        engine = open_engine(auto_upgrade=True)
        console.print(f"[green]データベースを準備しました[/] ({engine.dialect.name})")
        engine.dispose()


app.command("demo")(demo.demo_cmd)
app.add_typer(policy.app, name="policy")
app.add_typer(subject.app, name="subject")
app.add_typer(consent.app, name="consent")
app.add_typer(ledger.app, name="ledger")

# Command groups register below, one line each.
app.add_typer(readiness.app, name="readiness")


def main() -> None:
    app()
