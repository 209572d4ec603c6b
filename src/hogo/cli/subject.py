"""`hogo subject add|import`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from hogo.cli.context import unit_of_work
from hogo.cli.options import CSV_FILE, JSON, REJECT_HEADERS, REJECTS, SKIP_BAD, SUBJECT_ID
from hogo.cli.output import console, print_json, user_errors
from hogo.domain.consent import SubjectPatch
from hogo.files.consent_csv import parse_subjects, settle_problems
from hogo.files.csv_headers import HeaderStyle
from hogo.services.subjects import patch_subjects

app = typer.Typer(help="本人(データ主体)/ subjects", no_args_is_help=True)


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
        patch = SubjectPatch.model_validate(given)
        with unit_of_work() as session:
            changes = patch_subjects(session, [patch])
    if as_json:
        print_json(changes.__dict__)
    else:
        console.print(f"追加 {changes.added} / 更新 {changes.updated} / 変更なし {changes.unchanged}")


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
        console.print(f"追加 {changes.added} / 更新 {changes.updated} / 変更なし {changes.unchanged}")
        if rejects_path:
            console.print(f"[yellow]除外 {len(parsed.rejected)} 行[/] → {rejects_path}")
