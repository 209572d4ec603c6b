"""`hogo readiness`: the device/backup inventory, the assessment, its history, the report, EOL data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from hogo.cli.context import day_or_today, reading, unit_of_work
from hogo.cli.options import JSON
from hogo.cli.output import console, print_json, user_errors
from hogo.config import load_settings
from hogo.domain.display import date_text, datetime_text
from hogo.domain.readiness.assessment import Assessment, assess_readiness
from hogo.domain.readiness.catalogue import Severity
from hogo.domain.readiness.checks import CATALOGUE
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import QUESTIONS, Answer
from hogo.domain.readiness.score import ScorePoint, trend
from hogo.errors import InputError
from hogo.files import readiness_eol
from hogo.files.atomic import atomic_path
from hogo.files.readiness_inventory import merge, read_answers, read_inventory_file
from hogo.reports.readiness.context import build
from hogo.reports.readiness.render import render_html, render_pdf
from hogo.services import readiness as service

app = typer.Typer(help="ランサムウェア対策の準備状況 / ransomware readiness", no_args_is_help=True)
eol_app = typer.Typer(help="サポート終了(EOL)データ / end-of-life data", no_args_is_help=True)
app.add_typer(eol_app, name="eol")

_SEV_ORDER = [Severity.critical, Severity.high, Severity.medium, Severity.low]
_SEV_STYLE = {
    Severity.critical: "bold red",
    Severity.high: "red",
    Severity.medium: "yellow",
    Severity.low: "dim",
}


def _read_files(files: list[Path]) -> tuple[Inventory, dict[str, Answer]]:
    parts: list[Inventory] = []
    answers: dict[str, Answer] = {}
    for f in files:
        inventory, a = read_inventory_file(f)
        parts.append(inventory)
        answers.update(a)
    return merge(parts), answers


def _inventory(files: list[Path] | None) -> tuple[Inventory, dict[str, Answer]]:
    if files:
        return _read_files(files)
    with unit_of_work() as session:
        return service.load_inventory(session)


@app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="機器・バックアップの CSV(UTF-8/CP932)または YAML"),
    replace: bool = typer.Option(False, "--replace", help="登録済みの台帳を置き換える"),
    as_json: bool = JSON,
) -> None:
    """台帳(機器・バックアップ・質問票の回答)を取り込みます。ファイルに誤りがあれば何も保存しません。"""
    with user_errors():
        inventory, answers = _read_files(files)
        with unit_of_work() as session:
            counts = service.save_inventory(session, inventory, answers, replace=replace)
    if as_json:
        print_json(counts)
        return
    console.print(
        f"[green]取り込みました[/]: 機器 {counts['assets']} 件、バックアップ {counts['backups']} 件、"
        f"回答 {counts['answers']} 件 / imported"
    )


@app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """登録済みの機器とバックアップを表示します。"""
    with user_errors(), reading() as session:
        inventory, answers = service.load_inventory(session)
    if as_json:
        print_json({"inventory": inventory, "answers": {k: v.value for k, v in answers.items()}})
        return
    table = Table("ID", "種別", "メーカー", "機種", "バージョン", "公開ポート", "MFA", title="機器 / devices")
    for a in inventory.assets:
        mfa = "—" if a.mfa is None else ("あり" if a.mfa else "なし")
        ports = ", ".join(map(str, a.exposed_ports))
        table.add_row(a.id, a.kind.ja, a.vendor, a.model, a.version, ports, mfa)
    console.print(table)
    table = Table(
        "ID", "対象", "保存先", "媒体", "世代", "隔離", "遠隔地", "復元テスト", title="バックアップ / backups"
    )
    for b in inventory.backups:
        tested = date_text(b.last_restore_test_on)
        table.add_row(b.id, b.source, b.target, b.media.value, str(b.generations), "○" if b.isolated else "×",
                      "○" if b.offsite else "×", tested)  # fmt: skip
    console.print(table)


@app.command("remove")
def remove_cmd(asset_id: str = typer.Argument(..., help="機器 ID")) -> None:
    """機器を台帳から削除します。"""
    with user_errors(), unit_of_work() as session:
        service.remove_asset(session, asset_id)
    console.print(f"削除しました / removed: {asset_id}")


@app.command("answer")
def answer_cmd(
    question_id: str = typer.Argument(..., help="質問 ID(`hogo readiness questions` で一覧)"),
    answer: str = typer.Argument(..., help="yes / partial / no / unknown / not_applicable"),
) -> None:
    """質問票に回答します。"""
    with user_errors():
        answers = read_answers({question_id: answer})
        with unit_of_work() as session:
            service.save_inventory(session, Inventory(), answers)
    console.print(f"記録しました / recorded: {question_id} = {answers[question_id].value}")


@app.command("questions")
def questions_cmd(as_json: bool = JSON) -> None:
    """警察庁の推奨事項に基づく質問票を表示します(台帳 YAML の answers: に記入できます)。"""
    if as_json:
        print_json([{"id": q.id, "severity": q.severity.value, "question_ja": q.title_ja,
                     "question_en": q.title_en, "reference": q.reference} for q in QUESTIONS])  # fmt: skip
        return
    table = Table("ID", "重要度", "質問", title="質問票 / questionnaire")
    for q in QUESTIONS:
        table.add_row(q.id, q.severity.ja, q.title_ja)
    console.print(table)


@app.command("checks")
def checks_cmd(as_json: bool = JSON) -> None:
    """点検項目(ルール)の一覧: ID・重要度・理由・対策・出典。"""
    if as_json:
        print_json([{"id": c.id, "severity": c.severity.value, "title_ja": c.title_ja, "title_en": c.title_en,
                     "rationale_ja": c.rationale_ja, "fix_ja": c.fix_ja, "reference": c.reference}
                    for c in CATALOGUE.values()])  # fmt: skip
        return
    table = Table("ID", "重要度", "項目", title="点検項目 / checks")
    for c in CATALOGUE.values():
        table.add_row(c.id, c.severity.ja, c.title_ja)
    console.print(table)


def _assessment_json(a: Assessment, recorded_id: int | None) -> dict[str, object]:
    findings = []
    for f in a.findings:
        c = CATALOGUE[f.check_id]
        findings.append({**f.model_dump(mode="json"), "title_ja": c.title_ja, "title_en": c.title_en,
                         "rationale_ja": c.rationale_ja, "rationale_en": c.rationale_en, "fix_ja": c.fix_ja,
                         "fix_en": c.fix_en, "reference": c.reference})  # fmt: skip
    return {
        "assessed_on": a.on.isoformat(),
        "score": a.score,
        "recorded_id": recorded_id,
        "findings": findings,
    }


@app.command("assess")
def assess_cmd(
    files: list[Path] = typer.Option(
        None, "--from", help="登録済みの台帳の代わりにこのファイルで評価(記録しない)"
    ),
    on: str | None = typer.Option(None, "--on", help="評価日 YYYY-MM-DD(既定: 今日)"),
    record: bool = typer.Option(True, "--record/--no-record", help="評価を履歴に記録する(台帳を使う場合)"),
    fail_on: Severity | None = typer.Option(
        None, "--fail-on", help="この重要度以上の指摘があれば終了コード1"
    ),
    as_json: bool = JSON,
) -> None:
    """台帳を点検し、指摘事項(重要度・理由・対策・出典)とスコアを示します。"""
    day = day_or_today(on)
    recorded_id = None
    with user_errors():
        catalogue = readiness_eol.load_catalogue(load_settings().data_dir)
        if files:
            inventory, answers = _read_files(files)
            result = assess_readiness(inventory, catalogue, day, answers)
        else:
            with unit_of_work() as session:
                inventory, answers = service.load_inventory(session)
                result = assess_readiness(inventory, catalogue, day, answers)
                if record:
                    recorded_id = service.record_assessment(session, result)
    if as_json:
        print_json(_assessment_json(result, recorded_id))
    else:
        _print_assessment(result)
    if fail_on is not None:
        limit = _SEV_ORDER.index(fail_on)
        if any(_SEV_ORDER.index(f.severity) <= limit for f in result.failed):
            raise typer.Exit(1)


def _print_assessment(a: Assessment) -> None:
    s = a.score
    console.print(
        f"[bold]スコア {s.value}/100(評価 {s.grade})[/] / score {s.value}, grade {s.grade}  ({a.on})"
    )
    counts = "、".join(f"{sev.ja} {s.failed_by_severity.get(sev, 0)}" for sev in _SEV_ORDER)
    console.print(f"指摘 {s.failed} 件({counts})、問題なし {s.passed} 件")
    for f in a.failed:
        c = CATALOGUE[f.check_id]
        detail = f" — {f.detail_ja}" if f.detail_ja else ""
        label = escape(f"[{f.severity.ja}]")
        console.print(
            f"[{_SEV_STYLE[f.severity]}]{label}[/] {escape(f.subject)}: {c.title_ja}{escape(detail)}"
        )
        console.print(f"    対策: {c.fix_ja}", style="dim")


@app.command("history")
def history_cmd(as_json: bool = JSON) -> None:
    """スコアの推移を表示します。"""
    with user_errors(), reading() as session:
        points = service.history(session)
    t = trend(points)
    if as_json:
        rows = [
            {"assessed_at": p.assessed_at.isoformat(), "score": p.value, "grade": p.grade} for p in points
        ]
        print_json({"points": rows, "change": t.change, "best": t.best, "worst": t.worst})
        return
    table = Table("評価日時", "スコア", "評価", title="スコアの推移 / score over time")
    for p in points:
        table.add_row(datetime_text(p.assessed_at), str(p.value), p.grade)
    console.print(table)
    if t.change is not None:
        console.print(f"前回比 {t.change:+d} / change since last: {t.change:+d}")


@app.command("report")
def report_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="出力先(.html または .pdf)"),
    files: list[Path] = typer.Option(None, "--from", help="登録済みの台帳の代わりにこのファイルを使う"),
    on: str | None = typer.Option(None, "--on", help="評価日 YYYY-MM-DD(既定: 今日)"),
    organisation: str = typer.Option("", "--org", help="報告書に記載する組織名"),
    lang: str = typer.Option("ja", "--lang", help="ja または en"),
) -> None:
    """準備状況レポート(HTML/PDF)を作成します。PDF には fonts-noto-cjk が必要です。"""
    if lang not in ("ja", "en"):
        raise typer.BadParameter("ja または en / ja or en")
    day = day_or_today(on)
    with user_errors():
        if out.suffix.casefold() not in (".html", ".pdf"):
            raise InputError("出力先は .html か .pdf です", "output must end in .html or .pdf", field="--out")
        catalogue = readiness_eol.load_catalogue(load_settings().data_dir)
        history: list[ScorePoint] = []
        if files:
            inventory, answers = _read_files(files)
        else:
            with unit_of_work() as session:
                inventory, answers = service.load_inventory(session)
                history = service.history(session)
        result = assess_readiness(inventory, catalogue, day, answers)
        report = build(result, inventory, catalogue, history, organisation=organisation, lang=lang)
        with atomic_path(out) as tmp:
            if out.suffix.casefold() == ".pdf":
                tmp.write_bytes(render_pdf(report))
            else:
                tmp.write_text(render_html(report), encoding="utf-8")
    console.print(f"[green]レポートを書き出しました[/] / written: {out}")


@eol_app.command("import")
def eol_import_cmd(
    file: Path = typer.Argument(..., help="endoflife.date のエクスポート(JSON、YAML、製品ページの .md)"),
    product: str | None = typer.Option(None, "--product", help="製品 ID(v0 API の JSON はファイル名が既定)"),
    as_json: bool = JSON,
) -> None:
    """新しい endoflife.date のデータをオフラインで取り込みます(同じ製品は置き換え)。"""
    with user_errors():
        imported = readiness_eol.import_file(file, load_settings().data_dir, product)
    summary = [{"product": p.id, "releases": len(p.releases)} for p in imported.products]
    if as_json:
        print_json(summary)
        return
    for item in summary:
        console.print(f"[green]取り込みました[/]: {item['product']}({item['releases']} リリース)/ imported")


@eol_app.command("list")
def eol_list_cmd(as_json: bool = JSON) -> None:
    """EOL データの製品とベンダー規則を表示します。"""
    with user_errors():
        catalogue = readiness_eol.load_catalogue(load_settings().data_dir)
    if as_json:
        print_json(catalogue)
        return
    table = Table("製品 ID", "名称", "リリース数", "出典", title="EOL データ / products")
    for p in catalogue.products:
        table.add_row(p.id, p.title, str(len(p.releases)), p.source)
    console.print(table)
    table = Table("規則 ID", "製造日がこれより前", "内容", title="ベンダー規則 / vendor rules")
    for r in catalogue.vendor_rules:
        table.add_row(r.id, r.manufactured_before.isoformat(), r.note_ja)
    console.print(table)


@eol_app.command("show")
def eol_show_cmd(product: str = typer.Argument(...), as_json: bool = JSON) -> None:
    """製品のリリース系列とサポート終了日を表示します。"""
    with user_errors():
        found = readiness_eol.load_catalogue(load_settings().data_dir).product(product)
        if found is None:
            raise InputError("EOL データにない製品です", "product not in the EOL data", field="product")
    if as_json:
        print_json(found)
        return
    table = Table("系列", "リリース日", "サポート終了", "最新版", title=found.title or found.id)
    for r in found.releases:
        eol_text = r.eol.isoformat() if isinstance(r.eol, date) else ("終了" if r.eol else "未定")
        released = r.release_date.isoformat() if r.release_date else ""
        table.add_row(r.label or r.cycle, released, eol_text, r.latest)
    console.print(table)
