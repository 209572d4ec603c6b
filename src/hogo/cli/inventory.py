"""`hogo inventory import|export|list|show|remove` — the 管理台帳."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hogo.cli.context import reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.domain.inventory import Inventory
from hogo.errors import NotFound
from hogo.files.atomic import atomic_path
from hogo.files.csv_headers import HeaderStyle
from hogo.files.inventory_io import dump_inventory_csv, dump_inventory_yaml, load_inventory
from hogo.services import inventory as service

app = typer.Typer(help="個人情報管理台帳 / personal-information inventory", no_args_is_help=True)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="CSV(UTF-8 / BOM付き / Shift_JIS)又は YAML"),
    replace: bool = typer.Option(False, "--replace", help="ファイルにない台帳項目を削除する"),
    as_json: bool = JSON,
) -> None:
    """台帳を取り込みます(1行でも誤りがあれば何も取り込みません)。"""
    with user_errors():
        inventory = load_inventory(file)
        with unit_of_work() as session:
            result = service.import_inventory(session, inventory, replace=replace)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        f"追加 {len(result.added)} / 変更 {len(result.changed)} / 変更なし {len(result.unchanged)}"
        f" / 削除 {len(result.removed)}"
    )


@app.command("export")
def export_cmd(
    output: Path | None = typer.Option(None, "--output", "-o", help="出力先(省略時は標準出力)"),
    fmt: str = typer.Option("csv", "--format", help="csv 又は yaml"),
    encoding: str = typer.Option("utf-8-sig", help="CSVの文字コード: utf-8-sig / utf-8 / cp932"),
    headers: HeaderStyle = typer.Option(
        HeaderStyle.ja, "--headers", help="CSVの見出し: ja(日本語)/ machine(列名)。どちらも取り込めます"
    ),
) -> None:
    """台帳を CSV 又は YAML で書き出します。"""
    with user_errors():
        with unit_of_work() as session:
            inventory = service.load_inventory(session)
        data = _dump(inventory, fmt, encoding, headers)
        if output is None:
            typer.echo(data.decode("utf-8-sig" if encoding != "cp932" else "cp932"), nl=False)
            return
        with atomic_path(output) as tmp:
            tmp.write_bytes(data)
    console.print(f"書き出しました: {output} / exported")


def _dump(inventory: Inventory, fmt: str, encoding: str, headers: HeaderStyle) -> bytes:
    if fmt == "yaml":
        return dump_inventory_yaml(inventory).encode("utf-8")
    if fmt != "csv":
        raise typer.BadParameter("csv 又は yaml / csv or yaml", param_hint="--format")
    return dump_inventory_csv(inventory, encoding, headers)


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """台帳の一覧を表示します。"""
    with user_errors(), reading() as session:
        inventory = service.load_inventory(session)
    if as_json:
        print_json([d.model_dump(mode="json") for d in inventory.datasets])
        return
    table = Table(
        "id", "名称", "管理者", "保管場所", "データ区分", "件数", "暗号化", title="個人情報管理台帳"
    )
    for d in inventory.datasets:
        table.add_row(
            d.id,
            d.name,
            d.owner,
            f"{d.location_kind.ja} {d.location}".strip(),
            ", ".join(d.data_categories),
            f"{d.count:,}",
            d.encryption.ja,
        )
    console.print(table)


@app.command("show")
def show_cmd(
    dataset_id: str = typer.Argument(..., help="台帳項目の id"),
    as_json: bool = JSON,
) -> None:
    """台帳項目とその版の履歴(台帳の記録から)を表示します。"""
    with user_errors(), reading() as session:
        dataset = service.load_inventory(session).dataset(dataset_id)
        if dataset is None:
            raise NotFound("その台帳項目は登録されていません。", "no such dataset.")
        history = service.versions(session, dataset_id)
    if as_json:
        print_json({"dataset": dataset.model_dump(mode="json"), "versions": history})
        return
    console.print(f"[bold]{dataset.name}[/] ({dataset.id})  管理者: {dataset.owner}")
    console.print(f"  データ区分: {', '.join(dataset.data_categories)}  件数: {dataset.count:,}")
    console.print(f"  暗号化: {dataset.encryption.ja}  委託先: {', '.join(dataset.outsourcees)}")
    for v in history:
        console.print(f"  版 {v.get('version')}  {v.get('event')}  {v['recorded_at']}  (台帳 #{v['seq']})")


@app.command("remove")
def remove_cmd(
    dataset_id: str = typer.Argument(..., help="台帳項目の id"),
    as_json: bool = JSON,
) -> None:
    """台帳項目を削除します(過去の版は台帳の記録に残ります)。"""
    with user_errors(), unit_of_work() as session:
        service.remove_dataset(session, dataset_id)
    if as_json:
        print_json({"removed": dataset_id})
    else:
        console.print(f"削除しました: {dataset_id} / removed")
