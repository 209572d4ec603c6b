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


app.command("demo")(demo.demo_cmd)
app.command("disclosure")(disclosure.disclosure_cmd)
app.add_typer(policy.app, name="policy")
app.add_typer(subject.app, name="subject")
app.add_typer(consent.app, name="consent")
app.add_typer(ledger.app, name="ledger")
app.add_typer(release.app, name="release")
app.add_typer(profile.app, name="profile")
app.add_typer(segment.app, name="segment")

# Command groups register below, one line each.
app.command("anonymize")(anonymize.anonymize_cmd)
app.add_typer(readiness.app, name="readiness")
app.add_typer(backup.app, name="backup")
app.command("synth")(synth.synth_cmd)
app.add_typer(tokenize.app, name="tokenize")
app.add_typer(incident.app, name="incident")
app.add_typer(inventory.app, name="inventory")
app.command("serve")(serve.serve_cmd)
app.add_typer(user.app, name="user")
app.add_typer(token.app, name="token")
app.add_typer(provision.app, name="provision")
app.add_typer(site.app, name="site")
app.add_typer(campaign.app, name="campaign")
app.add_typer(request.app, name="request")


def main() -> None:
    # Stores, releases, reports and backups hold personal data: files hogo creates are for its
    # own user only (0600, folders 0700), whatever the shell's umask.
    os.umask(0o077)
    app()
