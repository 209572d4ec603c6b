"""`hogo user add|list`: console users. Passwords are read from a prompt, never from arguments."""

from __future__ import annotations

import typer
from rich.table import Table

from hogo.auth.roles import LEAST_PRIVILEGED, Role
from hogo.cli.context import reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.services import auth

app = typer.Typer(help="コンソールのユーザー / console users", no_args_is_help=True)


@app.command("add")
def add_cmd(
    username: str = typer.Argument(..., help="ユーザー名"),
    role: Role = typer.Option(
        LEAST_PRIVILEGED, help="admin / privacy_officer / operator / auditor(省略時は最小権限の auditor)"
    ),
    display_name: str = typer.Option("", help="表示名"),
    password: str = typer.Option(
        ...,
        prompt="パスワード / password",
        hide_input=True,
        confirmation_prompt=True,
        envvar="HOGO_NEW_USER_PASSWORD",
        help="12文字以上(対話入力、または環境変数)",
    ),
) -> None:
    """ユーザーを追加します(パスワードは argon2 でハッシュ化して保存)。"""
    with user_errors(), unit_of_work() as session:
        info = auth.create_user(session, username, password, role, display_name)
    console.print(f"ユーザーを追加しました: {info.username}({info.role.value})")


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """ユーザーの一覧(パスワードのハッシュは表示しません)。"""
    with user_errors(), reading() as session:
        users = auth.list_users(session)
    if as_json:
        print_json([{"username": u.username, "role": u.role.value, "active": u.active} for u in users])
        return
    table = Table("ユーザー名", "役割", "有効")
    for u in users:
        table.add_row(u.username, u.role.value, "有効" if u.active else "無効")
    console.print(table)
