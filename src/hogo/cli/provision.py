"""`hogo provision receive|list-received`: records of data received from third parties (法30条)."""

from __future__ import annotations

import uuid
from pathlib import Path

import typer
from rich.table import Table

from hogo.cli.context import parse_at, reading, unit_of_work
from hogo.cli.options import CSV_FILE, JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.domain.display import date_text
from hogo.domain.provision import RecordForm
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.services import received as service

app = typer.Typer(
    help="第三者提供を受ける際の確認・記録(法30条。提供側の記録は hogo release)/ records of data received",
    no_args_is_help=True,
)

_BASIS_JA = {ReceivedBasis.consent: "本人の同意", ReceivedBasis.opt_out: "オプトアウト"}


@app.command("receive")
def receive_cmd(
    persons: Path = CSV_FILE,
    provider_name: str = typer.Option(..., help="提供者の氏名又は名称"),
    provider_address: str = typer.Option(..., help="提供者の住所"),
    provider_kind: ProviderKind = typer.Option(
        ProviderKind.corporation,
        help="提供者の種別: corporation(法人)/ association(法人でない団体)/ individual(個人)",
    ),
    representative: str | None = typer.Option(
        None, help="代表者の氏名(法人は必須。法人でない団体は代表者又は管理人の定めがあればその氏名)"
    ),
    acquisition: str = typer.Option(..., help="提供者による取得の経緯"),
    basis: ReceivedBasis = typer.Option(..., help="提供の根拠: consent(本人の同意)/ opt_out(オプトアウト)"),
    ppc_publication_confirmed: bool = typer.Option(
        False,
        "--ppc-publication-confirmed",
        help="オプトアウトの届出が個人情報保護委員会により公表されていることを確認した(opt_out では必須)",
    ),
    item: list[str] = typer.Option(..., "--item", help="提供を受けた個人データの項目(繰り返し指定)"),
    received_at: str | None = typer.Option(
        None, help="受領日時(ISO-8601、オフセットなしはJST。省略時は現在)"
    ),
    received_id: str | None = typer.Option(None, help="受領ID(省略時は自動採番)"),
    form: RecordForm = typer.Option(RecordForm.batch, help="記録の形式: each / batch / contract"),
    as_json: bool = JSON,
) -> None:
    """第三者から個人データの提供を受けたことを、法30条の確認事項とともに記録します。

    本人はCSV(列 subject_id)で指定します。1行でも誤りがあれば何も記録しません。
    """
    with user_errors():
        when = parse_at(received_at)
        provider = Provider(
            kind=provider_kind, name=provider_name, address=provider_address, representative=representative
        )
        rows = service.read_persons(persons)
        with unit_of_work() as session:
            record = service.record_received(
                session,
                received_id=received_id or uuid.uuid4().hex,
                provider=provider,
                acquisition=acquisition,
                received_at=when,
                data_items=item,
                persons=rows,
                basis=basis,
                ppc_publication_confirmed=ppc_publication_confirmed,
                form=form,
            )
    if as_json:
        print_json(record)
        return
    console.print(
        f"[green]受領の記録を作成しました[/] {record.received_id}: 本人 {record.persons} 人、"
        f"保存期限 {date_text(record.retention_until)}"
    )


@app.command("list-received")
def list_received_cmd(as_json: bool = JSON) -> None:
    """第三者から提供を受けた記録の一覧(新しい順)。"""
    with user_errors(), reading() as session:
        found = service.list_received(session)
    if as_json:
        print_json(found)
        return
    table = Table(
        "受領ID", "受領日", "提供者", "根拠", "本人数", "項目", "保存期限", title="受領の記録 / received"
    )
    for r in found:
        table.add_row(
            r.received_id,
            date_text(r.received_at),
            r.provider.name,
            _BASIS_JA[r.basis],
            str(r.persons),
            "、".join(r.data_items),
            date_text(r.retention_until),
        )
    console.print(table)
