"""`hogo serve [--demo]`: the REST API and the console on one loopback port.

With `--demo` a fresh demo organisation is built (as `hogo demo` does) together with three demo
users whose random passwords are printed once, so the console can be tried straight away.
"""

from __future__ import annotations

import os
import secrets
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import typer
import uvicorn

from hogo.auth.roles import Role
from hogo.cli.output import console, user_errors
from hogo.config import load_settings
from hogo.demo import build_database
from hogo.http.app import create_app
from hogo.http.server import check_bind, is_loopback, server_options
from hogo.services.auth import create_user
from hogo.services.database import hold_served, open_store, sqlite_path, write_scope

DEMO_USERS = (
    ("admin", Role.admin, "管理者(デモ)"),
    ("officer", Role.privacy_officer, "個人情報保護管理者(デモ)"),
    ("auditor", Role.auditor, "監査人(デモ)"),
)


def create_demo_users(database_url: str) -> list[tuple[str, Role, str]]:
    """Demo users with fresh random passwords; returns (user name, role, password)."""
    db = open_store(database_url, migrate=False)
    created = []
    try:
        with write_scope(db) as session:
            for username, role, display in DEMO_USERS:
                password = secrets.token_urlsafe(12)
                create_user(session, username, password, role, display)
                created.append((username, role, password))
    finally:
        db.dispose()
    return created


def serve_cmd(
    demo: bool = typer.Option(False, "--demo", help="デモ組織とデモユーザーを作成して起動します"),
    host: str = typer.Option("127.0.0.1", help="待ち受けアドレス(既定はループバックのみ)"),
    port: int = typer.Option(8000, min=1, max=65535, help="ポート番号"),
    database: Path = typer.Option(
        Path("hogo-demo.db"), help="--demo で作り直すSQLiteファイル(起動中のサーバが使用中なら作り直しません)"
    ),
    subjects: int = typer.Option(10_000, min=10, help="--demo の会員数"),
    workers: int = typer.Option(1, min=1, max=32, help="ワーカープロセス数(CPUコア数まで)"),
) -> None:
    """REST API(/api/v1)と管理コンソール(/)を起動します。

    SQLite のストアは起動中ずっと保持し(<ファイル>.serving)、hogo demo 等が作り直せないようにします。
    """
    with ExitStack() as held:
        _serve(held, demo, host, port, database, subjects, workers)


def _serve(
    held: ExitStack, demo: bool, host: str, port: int, database: Path, subjects: int, workers: int
) -> None:
    with user_errors():
        settings = load_settings()
        check_bind(settings, host)
        if demo:
            settings = settings.model_copy(update={"database_url": f"sqlite:///{database}"})
        store = sqlite_path(settings.database_url)
        if store is not None:
            held.enter_context(hold_served(store))
        if demo:
            with console.status("デモデータ作成中 / building demo"):
                build_database(database, subjects, data_dir=settings.data_dir, showcase=True)
            users = create_demo_users(settings.database_url)
        app = create_app(settings, warm=True) if workers == 1 else None
    if demo:
        console.print(f"[bold]デモ組織を作成しました[/]: {database}")
        console.print("デモ用ユーザー(パスワードはこの一度だけ表示されます / shown once):")
        for username, role, password in users:
            console.print(f"  {username:<8} {role.value:<16} {password}")
    if not is_loopback(host):
        console.print("[yellow]注意[/]: ループバック以外で公開しています。TLS終端の後ろで運用してください。")
    console.print(f"コンソール: http://{host}:{port}/   API: http://{host}:{port}/api/v1/")
    common: dict[str, Any] = {"host": host, "port": port, **server_options(settings)}
    if app is not None:
        uvicorn.run(app, **common)
        return
    # Several processes: each builds the app from the environment (the same settings as here).
    os.environ["HOGO_DATABASE_URL"] = settings.database_url
    uvicorn.run("hogo.http.app:create_app_from_env", factory=True, workers=workers, **common)
