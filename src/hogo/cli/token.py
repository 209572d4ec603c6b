"""`hogo token create|revoke|list`: API bearer tokens, shown once and stored only as a hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table

from hogo.auth.roles import LEAST_PRIVILEGED, Role
from hogo.cli.context import reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.services import auth

app = typer.Typer(help="APIトークン / API tokens", no_args_is_help=True)


@app.command("create")
def create_cmd(
    name: str = typer.Argument(..., help="トークン名(用途が分かる名前)"),
    role: Role = typer.Option(LEAST_PRIVILEGED, help="このトークンが持つ役割(省略時は最小権限の auditor)"),
    days: int | None = typer.Option(None, min=1, help="有効日数(省略時は無期限)"),
    as_json: bool = JSON,
) -> None:
    """トークンを発行します。トークンはこの一度だけ表示されます。"""
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    with user_errors(), unit_of_work() as session:
        token, info = auth.create_token(session, name, role, expires_at=expires)
    if as_json:
        print_json({"id": info.id, "name": info.name, "role": info.role.value, "token": token})
        return
    console.print(f"トークンを発行しました(ID {info.id}、役割 {info.role.value})。この一度だけ表示されます:")
    console.print(token, soft_wrap=True, highlight=False)


@app.command("revoke")
def revoke_cmd(token_id: int = typer.Argument(..., help="トークンID(hogo token list で確認)")) -> None:
    """トークンを失効させます(次の要求から拒否されます)。"""
    with user_errors(), unit_of_work() as session:
        info = auth.revoke_token(session, token_id)
    console.print(f"失効させました: ID {info.id}({info.name})")


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """トークンの一覧(先頭の数文字のみ表示)。"""
    with user_errors(), reading() as session:
        tokens = auth.list_tokens(session)
    rows = [
        {
            "id": k.id,
            "name": k.name,
            "role": k.role.value,
            "hint": k.hint,
            "revoked": k.revoked_at is not None,
        }
        for k in tokens
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("ID", "名前", "役割", "先頭", "失効")
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["name"]), str(r["role"]), f"{r['hint']}…", "はい" if r["revoked"] else ""
        )
    console.print(table)
