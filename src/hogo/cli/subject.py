"""`hogo subject add|import|erase|master-key`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from hogo.cli.context import unit_of_work
from hogo.cli.options import CSV_FILE, JSON, REJECT_HEADERS, REJECTS, SKIP_BAD, SUBJECT_ID, from_options
from hogo.cli.output import console, print_json, user_errors
from hogo.domain.consent import SubjectPatch
from hogo.files.consent_csv import parse_subjects, settle_problems
from hogo.files.csv_headers import HeaderStyle
from hogo.services import person_keys
from hogo.services.erasure import erase
from hogo.services.subjects import SubjectChanges, patch_subjects

app = typer.Typer(help="本人(データ主体)/ subjects", no_args_is_help=True)


def _print_changes(changes: SubjectChanges) -> None:
    """What `add` and `import` changed, as one line."""
    console.print(f"追加 {changes.added} / 更新 {changes.updated} / 変更なし {changes.unchanged}")


@app.command("add")
def add_cmd(
    subject_id: str = typer.Argument(..., help="本人ID(会員番号など)", callback=SUBJECT_ID),
    birth_date: str | None = typer.Option(None, help="生年月日 YYYY-MM-DD(省略時は登録済みの値のまま)"),
    identity_verified: bool | None = typer.Option(
        None,
        "--identity-verified/--identity-not-verified",
        help="本人確認済み / 未確認(省略時は登録済みの値のまま)",
        show_default=False,
    ),
    email: str | None = typer.Option(None, help="連絡先メールアドレス(通知用)"),
    phone: str | None = typer.Option(None, help="連絡先電話番号(通知用)"),
    as_json: bool = JSON,
) -> None:
    """本人を1人登録(又は更新)します。指定した項目だけを変更し、他は登録済みの値のままです。"""
    with user_errors():
        given: dict[str, object] = {"subject_id": subject_id}
        if birth_date is not None:
            try:
                given["birth_date"] = date.fromisoformat(birth_date)
            except ValueError:
                raise typer.BadParameter("YYYY-MM-DD", param_hint="--birth-date") from None
        if identity_verified is not None:
            given["identity_verified"] = identity_verified
        given.update({k: v for k, v in (("email", email), ("phone", phone)) if v is not None})
        patch = from_options(SubjectPatch, given)
        with unit_of_work() as session:
            changes = patch_subjects(session, [patch])
    if as_json:
        print_json(changes.__dict__)
    else:
        _print_changes(changes)


@app.command("import")
def import_cmd(
    file: Path = CSV_FILE,
    skip_bad: bool = SKIP_BAD,
    rejects: Path | None = REJECTS,
    headers: HeaderStyle = REJECT_HEADERS,
    as_json: bool = JSON,
) -> None:
    """本人をCSVから取り込みます(1行でも誤りがあれば何も取り込みません)。

    subject_id 以外の列は省略でき、空欄の項目は登録済みの値のままです。
    """
    with user_errors():
        parsed = parse_subjects(file)
        rejects_path = settle_problems(parsed, file, rejects, skip_bad, headers)
        with unit_of_work() as session:
            changes = patch_subjects(session, parsed.items, parsed.rows)
    result = {**changes.__dict__, "rejected": len(parsed.rejected), "rejects_file": str(rejects_path or "")}
    if as_json:
        print_json(result)
    else:
        _print_changes(changes)
        if rejects_path:
            console.print(f"[yellow]除外 {len(parsed.rejected)} 行[/] → {rejects_path}")


@app.command("erase")
def erase_cmd(
    subject_id: str = typer.Argument(..., help="本人ID", callback=SUBJECT_ID),
    yes: bool = typer.Option(False, "--yes", help="確認せずに実行"),
    as_json: bool = JSON,
) -> None:
    """本人を消去します(法35条): 本人の行を削除し、本人の鍵を破棄します。

    台帳は追記のみのため記録は残りますが、v3 以降の記録は仮名と本人の鍵で封じた値しか持たないため、
    鍵の破棄により誰の記録かは分からなくなります。台帳の検証はその後も通ります。
    """
    if not yes and not typer.confirm("本人のデータと鍵を消去します(元に戻せません)。続けますか? / erase?"):
        raise typer.Exit(1)
    with user_errors(), unit_of_work() as session:
        done = erase(session, subject_id)
    if as_json:
        print_json({"erasure_id": done.erasure_id, "ledger_seq": done.ledger_seq, "rows": done.rows,
                    "keys_destroyed": done.keys_destroyed})  # fmt: skip
        return
    removed = "、".join(f"{name} {n}" for name, n in done.rows.items()) or "なし"
    console.print(
        f"[green]消去しました[/] / erased: 台帳 #{done.ledger_seq}(消去ID {done.erasure_id}); "
        f"削除した行 / rows: {removed}; 鍵 / keys: {'破棄' if done.keys_destroyed else 'なし'}"
    )


master_key_app = typer.Typer(help="本人の鍵を保護するマスター鍵 / the master key", no_args_is_help=True)
app.add_typer(master_key_app, name="master-key")


@master_key_app.command("new")
def master_key_new_cmd(
    out: Path = typer.Argument(..., help="マスター鍵を書き出すファイル(0600、上書きしません)"),
) -> None:
    """マスター鍵を作成します。HOGO_MASTER_KEY_FILE にこのファイルを指定します。"""
    with user_errors():
        key = person_keys.write_master_key(out)
    console.print(f"[green]マスター鍵を作成しました[/] / master key written: {out} (key id {key.key_id})")


@master_key_app.command("rotate")
def master_key_rotate_cmd(
    new: Path = typer.Argument(..., help="新しいマスター鍵のファイル(なければ作成します)"),
    as_json: bool = JSON,
) -> None:
    """全員の鍵を新しいマスター鍵で包み直します(1トランザクション)。

    完了後、HOGO_MASTER_KEY_FILE を新しいファイルに切り替え、古い鍵ファイルを破棄してください。
    """
    with user_errors():
        key = person_keys.read_master_key(new) if new.exists() else person_keys.write_master_key(new)
        with unit_of_work() as session:
            done = person_keys.rotate(session, key)
    if as_json:
        print_json({**done.__dict__, "file": str(new)})
        return
    console.print(
        f"[green]{done.persons:,} 人の鍵を包み直しました[/] / rewrapped {done.persons:,} person keys "
        f"({done.old_key_id} → {done.new_key_id}). HOGO_MASTER_KEY_FILE={new} に切り替えてください / "
        "point HOGO_MASTER_KEY_FILE at the new file, then destroy the old one."
    )
