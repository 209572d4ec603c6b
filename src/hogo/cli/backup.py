"""`hogo backup create|list|verify|restore|prune|keygen`: generational backups of hogo itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hogo.backup import crypto, generations
from hogo.backup.generations import Step
from hogo.backup.retention import RetentionPolicy
from hogo.cli.context import reading
from hogo.cli.options import JSON
from hogo.cli.output import console, err_console, print_json, user_errors
from hogo.config import load_settings
from hogo.errors import InputError, NotFound
from hogo.files.atomic import atomic_text
from hogo.services import erasure, ledger_tree
from hogo.services.database import sqlite_path

app = typer.Typer(
    help="hogo 自身のバックアップ(多世代・読み取り専用) / backups of hogo itself", no_args_is_help=True
)

DirOption = typer.Option(
    None, "--dir", envvar="HOGO_BACKUP_DIR", help="バックアップの保存先(既定: データディレクトリ/backups)"
)
KeyOption = typer.Option(
    None, "--key-file", envvar="HOGO_BACKUP_KEY_FILE", help="暗号鍵ファイル(hogo backup keygen)"
)


def _folder(folder: Path | None) -> Path:
    return folder if folder is not None else load_settings().data_dir / "backups"


def _key(path: Path | None) -> bytes | None:
    return crypto.load_key(path) if path is not None else None


@contextmanager
def _progress(enabled: bool) -> Iterator[Step]:
    """A spinner on stderr for people; silent when printing JSON."""
    if not enabled:
        yield lambda _: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                  transient=True) as progress:  # fmt: skip
        task = progress.add_task("…")
        yield lambda text: progress.update(task, description=text)


@app.command("keygen")
def keygen_cmd(
    out: Path = typer.Argument(..., help="鍵を書き出すファイル(バックアップとは別の場所に保管)"),
) -> None:
    """暗号鍵を作成します。鍵を失うと暗号化した世代は復元できません。"""
    with user_errors():
        if out.exists():
            raise InputError(
                "既にファイルがあります(上書きしません)", "file exists (not overwritten)", field=out.name
            )
        with atomic_text(out) as handle:
            handle.write(crypto.generate_key() + "\n")
        out.chmod(0o400)
    console.print(f"[green]鍵を作成しました[/] / key written: {out}(安全な別の場所にも保管してください)")


@app.command("create")
def create_cmd(
    folder: Path | None = DirOption,
    key_file: Path | None = KeyOption,
    as_json: bool = JSON,
) -> None:
    """データベースと台帳の一貫したスナップショットを新しい世代として保存します(読み取り専用)。"""
    with user_errors(), _progress(not as_json) as step:
        settings = load_settings()
        signing = settings.ledger_signing_key_file
        signer = None if signing is None else ledger_tree.load_signing_key(signing)
        manifest = generations.create(settings.database_url, _folder(folder), _key(key_file), step, signer)
    if as_json:
        print_json(manifest)
        return
    enc = "暗号化あり" if manifest.encryption else "暗号化なし"
    console.print(
        f"[green]世代 {manifest.generation} を作成しました[/]({enc}、台帳 {manifest.ledger.entries:,} 件)"
    )


def _erased_spans() -> list[erasure.ErasedSpan] | None:
    """The store's erasures, or None when the store cannot be read: listing the backups must work
    when the store is lost (and must not create an empty SQLite store in its place)."""
    path = sqlite_path(load_settings().database_url)
    if path is not None and not path.exists():
        return None
    try:
        with reading() as session:
            return erasure.erased_spans(session)
    except Exception:  # unreachable or damaged store: the generations are still listed
        return None


def _count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


@app.command("list")
def list_cmd(folder: Path | None = DirOption, as_json: bool = JSON) -> None:
    """保存されている世代を一覧します。"""
    with user_errors():
        found = generations.list_generations(_folder(folder))
        spans = _erased_spans()

    def held(g: generations.Generation) -> int | None:
        """Persons erased since the generation was taken whose data it still holds (法35条)."""
        if g.manifest is None or spans is None:
            return None
        return sum(s.held_by(g.manifest.ledger.entries) for s in spans)

    if as_json:
        print_json([{"generation": g.id, "created_at": g.created_at.isoformat(), "manifest": g.manifest,
                     "erased_persons_held": held(g)} for g in found])  # fmt: skip
        return
    table = Table(
        "世代",
        "作成日時(UTC)",
        "種類",
        "サイズ",
        "暗号化",
        "台帳件数",
        "消去済みの本人",
        title="バックアップ世代 / generations",
    )
    for g in found:
        m = g.manifest
        if m is None:
            table.add_row(g.id, g.created_at.isoformat(), "[red]マニフェスト破損[/]", "", "", "", "")
            continue
        table.add_row(g.id, m.created_at.isoformat(timespec="seconds"), m.dialect, f"{m.snapshot.size:,}",
                      "○" if m.encryption else "×", f"{m.ledger.entries:,}", _count(held(g)))  # fmt: skip
    console.print(table)
    holding = sum(1 for g in found if held(g))
    if holding:
        console.print(
            f"[yellow]{holding} 世代に、その後消去した本人のデータが残っています。世代が保存期間を過ぎて"
            "hogo backup prune で削除されるまで残ります(復元すると消去前の状態に戻ります)。[/]\n"
            f"{holding} generation(s) still hold persons erased since; they remain until pruned "
            "(restoring one brings them back)."
        )


@app.command("verify")
def verify_cmd(
    generation: str | None = typer.Argument(None, help="世代(既定: 最新)"),
    every: bool = typer.Option(False, "--all", help="すべての世代を検証"),
    deep: bool = typer.Option(False, "--deep", help="試験復元して台帳を検証(復元テスト)"),
    folder: Path | None = DirOption,
    key_file: Path | None = KeyOption,
    as_json: bool = JSON,
) -> None:
    """世代のハッシュ・読み取り専用・(--deep で)試験復元と台帳の検証を行います。問題があれば終了コード1。"""
    with user_errors(), _progress(not as_json) as step:
        where = _folder(folder)
        ids: list[str | None] = [g.id for g in generations.list_generations(where)] if every else [generation]
        if not ids:
            raise NotFound("バックアップの世代がありません", "no backup generations")
        key = _key(key_file)
        url = load_settings().database_url
        reports = [generations.verify(where, g, key, deep=deep, url=url, step=step) for g in ids]
    if as_json:
        rows = [{"generation": r.generation, "ok": r.ok, "deep": r.deep, "ledger": r.ledger,
                 "problems": [en for _, en in r.problems]} for r in reports]  # fmt: skip
        print_json(rows)
    else:
        for r in reports:
            if r.ok:
                extra = f"、試験復元と台帳検証 OK({r.ledger.entries:,} 件)" if r.ledger else ""
                console.print(f"[green]{r.generation}: 正常[/]{extra} / ok")
            for ja, en in r.problems:
                console.print(f"[bold red]{r.generation}: {ja}[/] / {en}")
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


@app.command("restore")
def restore_cmd(
    generation: str = typer.Argument(..., help="世代(latest で最新)"),
    to: str | None = typer.Option(None, "--to", help="復元先のデータベース URL(既定: 設定のデータベース)"),
    yes: bool = typer.Option(False, "--yes", help="確認せずに実行"),
    folder: Path | None = DirOption,
    key_file: Path | None = KeyOption,
    as_json: bool = JSON,
) -> None:
    """世代を復元します。試験復元で台帳を検証してから書き戻し、復元先でも台帳を検証します。"""
    url = to or load_settings().database_url
    if not yes and not typer.confirm("現在のデータベースを置き換えます。続けますか? / replace the database?"):
        raise typer.Exit(1)
    with user_errors(), _progress(not as_json) as step:
        done = generations.restore(_folder(folder), generation, url, _key(key_file), step)
    if as_json:
        print_json({"generation": done.generation, "ledger": done.ledger,
                    "set_aside": str(done.set_aside) if done.set_aside else None})  # fmt: skip
        return
    console.print(
        f"[green]世代 {done.generation} を復元し、台帳を検証しました[/]({done.ledger.entries:,} 件)"
    )
    if done.set_aside:
        console.print(f"復元前のファイルは {done.set_aside} に保管しました / previous files kept")


@app.command("prune")
def prune_cmd(
    keep_last: int = typer.Option(7, min=1, help="最新から残す世代数"),
    keep_daily: int = typer.Option(14, min=0, help="日ごとに残す日数"),
    keep_weekly: int = typer.Option(8, min=0, help="週ごとに残す週数"),
    keep_monthly: int = typer.Option(24, min=0, help="月ごとに残す月数"),
    dry_run: bool = typer.Option(False, "--dry-run", help="削除せずに対象を表示"),
    folder: Path | None = DirOption,
    as_json: bool = JSON,
) -> None:
    """保持方針に合わない古い世代を削除します(最新の世代は必ず残ります)。"""
    policy = RetentionPolicy(keep_last=keep_last, keep_daily=keep_daily, keep_weekly=keep_weekly,
                             keep_monthly=keep_monthly)  # fmt: skip
    with user_errors():
        removed = generations.prune(_folder(folder), policy, dry_run=dry_run)
    if as_json:
        print_json({"removed": removed, "dry_run": dry_run})
        return
    verb = "削除対象" if dry_run else "削除しました"
    console.print(f"{verb}: {len(removed)} 世代" + "".join(f"\n  {g}" for g in removed))
