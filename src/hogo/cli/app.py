"""The `hogo` command: registers every command group."""

from __future__ import annotations

import os

import typer

from hogo.cli import (
    anonymize,
    backup,
    campaign,
    consent,
    demo,
    disclosure,
    incident,
    inventory,
    ledger,
    policy,
    profile,
    provision,
    readiness,
    release,
    request,
    segment,
    serve,
    site,
    subject,
    synth,
    token,
    tokenize,
    user,
)
from hogo.cli.context import open_db
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
        db = open_db(auto_upgrade=True)
        console.print(f"[green]データベースを準備しました[/] ({db.dialect.name})")
        db.dispose()


# Each command and each group is named after its module (`hogo.cli.demo.demo_cmd` is
# `hogo demo`, `hogo.cli.policy.app` is `hogo policy`); Typer lists commands before groups.
for command in (
    demo.demo_cmd,
    disclosure.disclosure_cmd,
    anonymize.anonymize_cmd,
    synth.synth_cmd,
    serve.serve_cmd,
):
    app.command(command.__name__.removesuffix("_cmd"))(command)
for group in (
    policy, subject, consent, ledger, release, profile, segment, readiness, backup, tokenize, incident,
    inventory, user, token, provision, site, campaign, request,
):  # fmt: skip
    app.add_typer(group.app, name=group.__name__.rpartition(".")[2])


def main() -> None:
    # Stores, releases, reports and backups hold personal data: files hogo creates are for its
    # own user only (0600, folders 0700), whatever the shell's umask.
    os.umask(0o077)
    app()
