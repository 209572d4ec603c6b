"""`hogo incident …` — open an incident, record facts, work the six-step flow, draft documents."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from hogo.cli import incident_playbook
from hogo.cli.context import optional_instant, parse_at, reading, unit_of_work
from hogo.cli.options import JSON, VIEW_AT
from hogo.cli.output import console, print_json, user_errors
from hogo.domain.clock import to_jst
from hogo.domain.incidents.facts import FactsUpdate
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Encryption
from hogo.errors import InputError
from hogo.files.atomic import atomic_path
from hogo.files.csv_headers import HeaderStyle
from hogo.files.text import read_utf8
from hogo.reports.incidents.context import DocumentKind
from hogo.services import incident_documents, incidents
from hogo.services.incident_views import BoardRow, IncidentView

app = typer.Typer(help="漏えい等事案への対応 / personal-data incidents", no_args_is_help=True)
app.add_typer(incident_playbook.app, name="playbook")

TYPES = ", ".join(t.value for t in IncidentType)


#: The fact options `open` and `facts` share: name → (type, option). Their values are checked by
#: `FactsUpdate`, where the bounds live.
_FACT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "categories": (
        str | None,
        typer.Option(None, "--categories", help="関係するデータ区分 id(カンマ区切り、台帳より優先)"),
    ),
    "persons": (int | None, typer.Option(None, "--persons", min=0, help="本人の数(台帳からの計算より優先)")),
    "card_or_login": (
        bool | None,
        typer.Option(
            None, "--card-or-login/--no-card-or-login", help="カード番号・ログイン情報等(規則7条2号)"
        ),
    ),
    "improper_purpose": (
        bool | None,
        typer.Option(None, "--improper-purpose/--no-improper-purpose", help="不正の目的のおそれ(規則7条3号)"),
    ),
    "about_to_be_acquired": (
        bool | None,
        typer.Option(
            None,
            "--about-to-be-acquired/--not-about-to-be-acquired",
            help="取得しようとしている個人情報(規則7条3号)",
        ),
    ),
    "encryption": (
        Encryption | None,
        typer.Option(None, "--encryption", help="none / standard / advanced(高度な暗号化)"),
    ),
    "key_leaked": (bool | None, typer.Option(None, "--key-leaked/--key-safe", help="復号鍵も漏えい等したか")),
    "outsourcee_client": (
        str | None,
        typer.Option(None, "--outsourcee-client", help="委託先として取り扱っていた場合の委託元"),
    ),
    "client_informed_at": (
        str | None,
        typer.Option(None, "--client-informed-at", help="委託元に通知した日時(法26条1項ただし書)"),
    ),
}


def _facts(given: dict[str, Any]) -> FactsUpdate:
    """Only what was given on the command line; the rest comes from the inventory or the type."""
    categories = given.pop("categories")
    if categories:
        given["data_categories"] = [c.strip() for c in categories.split(",") if c.strip()]
    given["client_informed_at"] = optional_instant(given["client_informed_at"], "--client-informed-at")
    return incidents.facts_update({k: v for k, v in given.items() if v is not None})


def _with_facts(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the fact options (before --json) and hand it one `FactsUpdate`, `facts`."""
    signature = inspect.signature(command, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "facts"]
    at = next(i for i, p in enumerate(params) if p.name == "as_json")
    added = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=option, annotation=kind)
        for name, (kind, option) in _FACT_OPTIONS.items()
    ]

    @functools.wraps(command)
    def with_facts(**kwargs: Any) -> None:
        given = {name: kwargs.pop(name) for name in _FACT_OPTIONS}
        with user_errors():
            facts = _facts(given)
        command(**kwargs, facts=facts)

    with_facts.__signature__ = signature.replace(parameters=[*params[:at], *added, *params[at:]])  # type: ignore[attr-defined]
    with_facts.__annotations__ = {p.name: p.annotation for p in with_facts.__signature__.parameters.values()}  # type: ignore[attr-defined]
    return with_facts


def _print_incident(view: IncidentView) -> None:
    verdict = "[bold red]報告対象[/]" if view.reportable else "[green]報告不要[/]"
    console.print(
        f"[bold]{view.id}[/] {view.type_ja}  認知 {to_jst(view.aware_at):%Y-%m-%d %H:%M} JST  {verdict}"
    )
    if view.triggers:
        console.print("  該当: " + "、".join(f"規則7条{n}号" for n in view.triggers))
    d = view.deadlines
    if d.preliminary and d.final:
        latest = d.preliminary_overdue_after
        console.print(f"  速報 {d.preliminary}(遅くとも {latest}、暦日)/ 確報 {d.final}({d.final_days}日)")
        if d.final_recommended and d.final_recommended != d.final:
            console.print(
                f"  確報の期間の末日 {d.final_period_end} は行政機関の休日のため法定の最終日は {d.final}"
                f"(行政機関の休日に関する法律2条)。推奨提出日: [bold]{d.final_recommended}[/]"
            )
    step = f"{view.step.number} {view.step.ja}" if view.step else "完了"
    console.print(f"  本人の数 {view.persons:,}  ステップ: {step}")
    for r in view.reasons:
        console.print(f"  - {r.message_ja} [dim]({r.article}, {r.code})[/]")


def _show(view: IncidentView, as_json: bool) -> None:
    if as_json:
        print_json(view)
    else:
        _print_incident(view)


@app.command("open")
@_with_facts
def open_cmd(
    incident_type: IncidentType = typer.Option(..., "--type", help=f"事案の種類: {TYPES}"),
    description: str = typer.Option(..., "--description", help="概要(報告書の概要欄の元になります)"),
    aware_at: str | None = typer.Option(None, "--aware-at", help="認知した日時(ISO-8601、省略時は現在、JST)"),
    occurred_at: str | None = typer.Option(None, "--occurred-at", help="発生日時(判明していれば)"),
    dataset: list[str] = typer.Option([], "--dataset", help="影響を受けた台帳項目 id(複数可)"),
    subject: list[str] = typer.Option([], "--subject", help="影響を受けた本人 ID(複数可)"),
    subjects_file: Path | None = typer.Option(None, "--subjects-file", help="本人IDを1行に1つ書いたファイル"),
    as_json: bool = JSON,
    *,
    facts: FactsUpdate,
) -> None:
    """事案を登録し、報告要否・期限・対応手順を直ちに示します。"""
    with user_errors():
        subjects = list(subject)
        if subjects_file is not None:
            subjects += _read_ids(subjects_file)
        with unit_of_work() as session:
            view = incidents.open_new(
                session,
                incident_type,
                parse_at(aware_at),
                description,
                occurred_at=optional_instant(occurred_at, "--occurred-at"),
                dataset_ids=dataset,
                subject_ids=subjects,
                facts=facts,
            )
    _show(view, as_json)


def _read_ids(path: Path) -> list[str]:
    text = read_utf8(path)
    return [line.strip() for line in text.splitlines() if line.strip()]


@app.command("facts")
@_with_facts
def facts_cmd(
    incident_id: str = typer.Argument(..., help="事案番号"),
    as_json: bool = JSON,
    *,
    facts: FactsUpdate,
) -> None:
    """判明した事実を記録し、報告要否と期限を再判定します。"""
    with user_errors(), unit_of_work() as session:
        view = incidents.record_facts(session, incident_id, facts)
    _show(view, as_json)


@app.command("details")
def details_cmd(
    incident_id: str = typer.Argument(..., help="事案番号"),
    overview: str | None = typer.Option(None, help="(1) 概要(省略時は登録時の概要)"),
    cause: str | None = typer.Option(None, help="(4) 原因"),
    secondary_damage: str | None = typer.Option(None, help="(5) 二次被害又はそのおそれの有無及びその内容"),
    response_to_persons: str | None = typer.Option(None, help="(6) 本人への対応の実施状況"),
    announcement: str | None = typer.Option(None, help="(7) 公表の実施状況"),
    prevention: str | None = typer.Option(None, help="(8) 再発防止のための措置"),
    other: str | None = typer.Option(None, help="(9) その他参考となる事項"),
    contact: str | None = typer.Option(None, help="本人からの問合せ窓口"),
    pmark_registration: str | None = typer.Option(None, help="プライバシーマーク付与登録番号"),
    as_json: bool = JSON,
) -> None:
    """報告書・通知文の記載事項(規則8条)を記録します。"""
    values = {
        "overview": overview,
        "cause": cause,
        "secondary_damage": secondary_damage,
        "response_to_persons": response_to_persons,
        "announcement": announcement,
        "prevention": prevention,
        "other": other,
        "contact": contact,
        "pmark_registration": pmark_registration,
    }
    changes = {k: v for k, v in values.items() if v is not None}
    with user_errors():
        if not changes:
            raise InputError("記録する事項を指定してください。", "give at least one item.")
        with unit_of_work() as session:
            view = incidents.record_details(session, incident_id, changes)
    _show(view, as_json)


@app.command("show")
def show_cmd(incident_id: str = typer.Argument(..., help="事案番号"), as_json: bool = JSON) -> None:
    """事案の報告要否・期限・現在のステップと作業を表示します。"""
    with user_errors(), reading() as session:
        view = incidents.get(session, incident_id)
    if as_json:
        print_json(view)
        return
    _print_incident(view)
    table = Table("ステップ", "作業", "担当", "期限", "状態", title="対応手順 / tasks")
    for t in view.tasks:
        due = f"{to_jst(t.due_at):%Y-%m-%d %H:%M}" if t.due_at else "-"
        table.add_row(f"{int(t.step)} {t.step.ja}", f"{t.ja} [dim]({t.id})[/]", t.role, due, t.status.value)
    console.print(table)


@app.command("done")
def done_cmd(
    incident_id: str = typer.Argument(..., help="事案番号"),
    task_id: str = typer.Argument(..., help="作業 id"),
    at: str | None = typer.Option(None, "--at", help="完了日時(省略時は現在)"),
    note: str = typer.Option("", "--note", help="メモ"),
    as_json: bool = JSON,
) -> None:
    """作業の完了を記録します。"""
    with user_errors(), unit_of_work() as session:
        view = incidents.complete_task(session, incident_id, task_id, parse_at(at), note)
    _show(view, as_json)


@app.command("evidence")
def evidence_cmd(
    incident_id: str = typer.Argument(..., help="事案番号"),
    file: Path = typer.Argument(..., help="証拠ファイル(ハッシュ値を記録します)"),
    as_json: bool = JSON,
) -> None:
    """証拠ファイルの SHA-256 を時系列と台帳の記録に残します。"""
    with user_errors():
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise InputError(f"ファイルがありません: {file}", f"no such file: {file}") from None
        with unit_of_work() as session:
            result = incidents.add_evidence(session, incident_id, file.name, data)
    if as_json:
        print_json(result)
    else:
        console.print(f"記録しました: {file.name} sha256={result['sha256']}")


@app.command("timeline")
def timeline_cmd(incident_id: str = typer.Argument(..., help="事案番号"), as_json: bool = JSON) -> None:
    """事案の時系列(事実・判定・作業・文書・証拠)を表示します。"""
    with user_errors(), reading() as session:
        entries = incidents.timeline(session, incident_id)
    if as_json:
        print_json(entries)
        return
    for e in entries:
        console.print(
            f"{to_jst(e.at):%Y-%m-%d %H:%M}  {e.kind.value:<10} {e.summary_ja}  [dim]#{e.ledger_seq}[/]"
        )


def _countdown(days: int | None, state: str | None) -> str:
    if state is None:
        return "-"
    if state == "done":
        return "済"
    if days is None:
        return state
    text = f"あと{days}日" if days >= 0 else f"{-days}日超過"
    return f"[red]{text}[/]" if state in ("overdue", "due_passed") else text


@app.command("board")
def board_cmd(
    at: str | None = VIEW_AT,
    include_closed: bool = typer.Option(False, "--all", help="完了した事案も表示"),
    as_json: bool = JSON,
) -> None:
    """事案ボード: ステップ、期限超過の作業、報告期限までの日数。"""
    now = parse_at(at)
    with user_errors(), reading() as session:
        rows: list[BoardRow] = incidents.board(session, now, include_closed=include_closed)
    if as_json:
        print_json(rows)
        return
    table = Table("事案", "種類", "ステップ", "報告", "期限超過の作業", "速報", "確報", title="事案ボード")
    for r in rows:
        table.add_row(
            r.id,
            r.type_ja,
            f"{r.step.number} {r.step.ja}" if r.step else "完了",
            "要(" + "・".join(str(n) for n in r.triggers) + "号)" if r.reportable else "不要",
            ", ".join(r.overdue_tasks) or "-",
            _countdown(r.preliminary_days_left, r.preliminary_state),
            _countdown(r.final_days_left, r.final_state),
        )
    console.print(table)


@app.command("docs")
def docs_cmd(
    incident_id: str = typer.Argument(..., help="事案番号"),
    out: Path = typer.Option(Path("."), "--out", help="出力先フォルダ"),
    kind: list[DocumentKind] = typer.Option([], "--kind", help="文書の種類(省略時はすべて)"),
    fmt: list[str] = typer.Option(["html", "pdf"], "--format", help="html / pdf / json(複数可)"),
    notification_list: bool | None = typer.Option(
        None,
        "--notification-list/--no-notification-list",
        help="通知先リストCSV(本人の連絡先を含む)も作成する。省略時は --kind を指定しないときだけ作成",
        show_default=False,
    ),
    encoding: str = typer.Option("utf-8-sig", help="通知先リストCSVの文字コード: utf-8-sig / cp932"),
    headers: HeaderStyle = typer.Option(
        HeaderStyle.ja, "--headers", help="通知先リストCSVの見出し: ja(日本語)/ machine(列名)"
    ),
    as_json: bool = JSON,
) -> None:
    """報告書・通知文・公表文・付与機関への報告書の下書きと通知先リストを作成します。

    指定したものだけを作成します。ファイルは所有者だけが読み書きできる権限(0600)で作成します。
    """
    with user_errors():
        bad = [f for f in fmt if f not in incident_documents.FORMATS]
        if bad:
            raise typer.BadParameter("html / pdf / json", param_hint="--format")
        with unit_of_work() as session:
            docs = incident_documents.draft(
                session,
                incident_id,
                kind or list(DocumentKind),
                fmt,
                parse_at(None).date(),
                notification_list=notification_list if notification_list is not None else not kind,
                encoding=encoding,
                headers=headers,
            )
            for doc in docs:
                with atomic_path(out / doc.filename) as tmp:
                    tmp.write_bytes(doc.data)
    listing = [
        {"kind": d.kind, "format": d.format, "path": str(out / d.filename), "sha256": d.sha256} for d in docs
    ]
    if as_json:
        print_json(listing)
        return
    for item in listing:
        console.print(f"{item['path']}  [dim]{item['sha256'][:16]}…[/]")
