"""`hogo tokenize run|keygen`: the command a partner runs on its own side.

It reads the partner's customer file, normalises e-mail addresses and phone numbers, and writes
keyed tokens only (plus row numbers and, if asked, the partner's own record number), so raw
identifiers never leave the partner. Unusable values are reported by row number, never shown.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path

import pyarrow.csv as pacsv
import typer
from rich.table import Table

from hogo.cli.options import JSON
from hogo.cli.output import console, err_console, print_json, user_errors
from hogo.engines import SqlEngine, get_engine
from hogo.errors import InputError
from hogo.files.atomic import atomic_path
from hogo.matching.inputs import InputSpec, open_input
from hogo.matching.keys import ROW_COLUMN, KeyKind, hex_select, token_column, tokenize_into
from hogo.matching.normalize import EmailRules
from hogo.matching.tokens import ENV_VAR, generate_key_file, load_key

app = typer.Typer(help="照合用トークンの作成(提携先で実行) / keyed match tokens", no_args_is_help=True)


class CsvEncoding(StrEnum):
    auto = "auto"
    utf8 = "utf-8"
    utf8_bom = "utf-8-sig"
    cp932 = "cp932"


KeyOption = typer.Option(None, "--key-file", help=f"トークン鍵ファイル(省略時は環境変数 {ENV_VAR})")


@app.command("keygen")
def keygen_cmd(
    out: Path = typer.Argument(..., help="鍵を書き出すファイル(相手方とは安全な経路で共有)"),
) -> None:
    """256ビットのトークン鍵を作成します(所有者のみ読み取り可)。鍵そのものは表示しません。"""
    with user_errors():
        key = generate_key_file(out)
    console.print(f"[green]鍵を作成しました[/] / key written: {out} (fingerprint {key.fingerprint})")


def write_tokens(engine: SqlEngine, name: str, out: Path, tokens: Collection[str]) -> None:
    """CSV (UTF-8) or Parquet by suffix, in input row order, written atomically; the token columns
    ``tokens`` as hex text."""
    sql = f"{hex_select(engine, name, tokens)} ORDER BY {engine.ident(ROW_COLUMN)}"
    if out.suffix.lower() in {".parquet", ".pq"}:
        engine.write_parquet(sql, out)
        return
    with atomic_path(out) as tmp:
        pacsv.write_csv(engine.query(sql), tmp)


@app.command("run")
def run_cmd(
    source: Path = typer.Argument(..., help="顧客ファイル(CSV / Parquet)"),
    out: Path = typer.Option(..., "--out", "-o", help="トークンの出力先(.csv / .parquet)"),
    email: list[str] = typer.Option([], "--email", help="メールアドレスの列名(複数可)"),
    phone: list[str] = typer.Option([], "--phone", help="電話番号の列名(複数可)"),
    keep: list[str] = typer.Option([], "--keep", help="そのまま残す列(自社の管理番号など。識別子は不可)"),
    key_file: Path | None = KeyOption,
    encoding: CsvEncoding = typer.Option(
        CsvEncoding.auto, "--encoding", help="CSVの文字コード / CSV encoding"
    ),
    gmail_rules: bool = typer.Option(False, "--gmail-rules", help="Gmailのドット・+タグを無視して照合"),
    as_json: bool = JSON,
) -> None:
    """メールアドレス・電話番号を正規化してトークンにし、トークンだけを書き出します。"""
    with user_errors():
        if not email and not phone:
            raise InputError("--email か --phone を指定してください。", "give --email and/or --phone")
        key = load_key(key_file)
        fields = dict.fromkeys(email, KeyKind.email) | dict.fromkeys(phone, KeyKind.phone)
        columns = {c: c for c in [*fields, *keep]}
        with console.status("トークン化中 / tokenising…") if not as_json else nullcontext():
            spec = InputSpec.model_validate({"path": source, "encoding": encoding.value, "columns": columns})
            stream = open_input(spec)
            rules = EmailRules.gmail() if gmail_rules else None
            with get_engine() as engine:
                rows, reports = tokenize_into(engine, "tokens", stream, key, fields, keep=keep, rules=rules)
                write_tokens(engine, "tokens", out, [token_column(f) for f in fields])
    summary = {
        "rows": rows,
        "out": str(out),
        "key_fingerprint": key.fingerprint,
        "encoding": stream.encoding,
        "fields": reports,
    }
    if as_json:
        print_json(summary)
        return
    table = Table("列 / field", "種類", "有効", "空欄", "不正", "不正な行(先頭)")
    for r in reports:
        table.add_row(r.field, r.kind.value, f"{r.valid:,}", f"{r.missing:,}", f"{r.invalid:,}",
                      ", ".join(map(str, r.invalid_rows[:10])))  # fmt: skip
    console.print(table)
    console.print(f"[green]{rows:,} 行のトークンを書き出しました[/] → {out} (key {key.fingerprint})")
    if any(r.invalid for r in reports):
        err_console.print("[yellow]不正な値は照合に使われません(行番号のみ表示)[/]")
