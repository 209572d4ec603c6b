"""`hogo anonymize`: 匿名加工情報 from any CSV/Parquet table, with the chosen levels, metric and k.

Why thin: it parses options (or a YAML spec), opens a data engine, calls the anonymisation core
and renders the manifest; recording in the ledger goes through the service when asked.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hogo.anonymization.metrics import Metric
from hogo.anonymization.models import LVariant
from hogo.anonymization.release import AnonymizationResult, anonymize
from hogo.anonymization.spec import AnonymizationSpec, QISpec
from hogo.anonymization.unusual import UnusualMode
from hogo.cli.options import JSON
from hogo.cli.output import console, err_console, print_json, user_errors
from hogo.engines import get_engine
from hogo.errors import InputError


def anonymize_cmd(
    input: Path = typer.Argument(..., help="入力ファイル（CSV または Parquet）/ input table"),
    out: Path | None = typer.Option(None, "--out", "-o", help="出力 Parquet（一時ファイル経由で作成）"),
    spec_file: Path | None = typer.Option(None, "--spec", help="YAML の設定ファイル / YAML spec"),
    qi: list[str] = typer.Option(
        [], "--qi", help="準識別子 名前=階層.csv | interval:5,10,20 | date | postal | mask[:n]"
    ),
    sensitive: list[str] = typer.Option([], "--sensitive", help="機微属性 / sensitive attribute"),
    keep: list[str] = typer.Option([], "--keep", help="そのまま残す列 / kept column"),
    id_column: str | None = typer.Option(None, "--id-column", help="会員ID等の連結符号 / linking code"),
    id_mode: str = typer.Option("random", "--id-mode", help="random（提供用IDに置換）| drop"),
    k: int | None = typer.Option(None, "--k", help="k-匿名性の k"),
    l_div: int | None = typer.Option(None, "--l", help="l-多様性の l"),
    l_variant: LVariant | None = typer.Option(None, "--l-variant", help="distinct | entropy"),
    t: float | None = typer.Option(None, "--t", help="t-近接性の t"),
    suppression: float | None = typer.Option(None, "--suppression", help="レコード削除上限（0〜1）"),
    metric: Metric | None = typer.Option(None, "--metric", help="有用性指標 / utility metric"),
    unusual: UnusualMode | None = typer.Option(
        None, "--unusual", help="特異な記述: topcode | suppress | none"
    ),
    delimiter: str = typer.Option(",", "--delimiter", "-d", help="CSV の区切り文字"),
    engine_name: str = typer.Option("duckdb", "--engine", help="duckdb | spark"),
    ledger: bool = typer.Option(False, "--ledger/--no-ledger", help="台帳に処理を記録する"),
    as_json: bool = JSON,
) -> None:
    """匿名加工情報を作成し、選んだ一般化レベル・指標・k を表示します。/ Anonymise a table."""
    with user_errors():
        spec = _build_spec(
            spec_file,
            qi,
            sensitive,
            keep,
            id_column,
            id_mode,
            k,
            l_div,
            l_variant,
            t,
            suppression,
            metric,
            unusual,
        )
        with get_engine(engine_name) as engine:
            engine.register_file("hogo_input", input, delimiter=delimiter)
            result = _run(engine, spec, input, out, quiet=as_json)
        if ledger:
            from hogo.cli.context import unit_of_work
            from hogo.services.anonymization import record_release

            with unit_of_work() as session:
                record_release(session, result.manifest)
        if as_json:
            print_json(result.manifest)
        else:
            _render(result)


def _build_spec(
    spec_file: Path | None,
    qi: list[str],
    sensitive: list[str],
    keep: list[str],
    id_column: str | None,
    id_mode: str,
    k: int | None,
    l_div: int | None,
    l_variant: LVariant | None,
    t: float | None,
    suppression: float | None,
    metric: Metric | None,
    unusual: UnusualMode | None,
) -> AnonymizationSpec:
    """Options override the YAML spec; without a spec the options alone describe the release."""
    base = AnonymizationSpec.from_yaml(spec_file) if spec_file else None
    data = base.model_dump() if base else {"quasi_identifiers": []}
    if qi:
        data["quasi_identifiers"] = [QISpec.parse_option(q).model_dump() for q in qi]
    overrides = {
        "sensitive": sensitive or None,
        "keep": keep or None,
        "id_column": id_column,
        "k": k,
        "l": l_div,
        "l_variant": l_variant,
        "t": t,
        "suppression": suppression,
        "metric": metric,
        "unusual": unusual,
    }
    data.update({key: value for key, value in overrides.items() if value is not None})
    if id_mode not in ("random", "drop"):
        raise InputError(
            "--id-mode は random か drop です。", "--id-mode must be random or drop", field="id-mode"
        )
    data["id_mode"] = id_mode if base is None or id_mode != "random" else data.get("id_mode", id_mode)
    if not data["quasi_identifiers"]:
        raise InputError("--qi か --spec で準識別子を指定してください。", "give --qi or --spec", field="qi")
    return AnonymizationSpec.model_validate(data)


def _run(
    engine: object, spec: AnonymizationSpec, input: Path, out: Path | None, quiet: bool
) -> AnonymizationResult:
    from hogo.engines.base import SqlEngine

    assert isinstance(engine, SqlEngine)
    with Progress(
        TextColumn("[bold]格子探索[/] lattice"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("search", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return anonymize(engine, "hogo_input", spec, out=out, source_label=input.name, progress=progress)


def _render(result: AnonymizationResult) -> None:
    m = result.manifest
    table = Table(title="一般化レベル / generalisation levels")
    table.add_column("準識別子 / attribute")
    table.add_column("レベル / level", justify="right")
    for name, level in m.levels.items():
        table.add_row(name, f"{level} / {m.heights[name]}")
    console.print(table)
    l_text = f"  l = {m.l_achieved}" if m.l_achieved is not None else ""
    console.print(f"指標 metric {m.metric} = {m.metric_value:.6g}   k = {m.k_achieved}{l_text}")
    if "entropy_arx" in m.metric_figures:
        console.print(
            f"  entropy(削除した行を最大コストで計上 / suppressed rows at full cost) = "
            f"{m.metric_figures['entropy']:.6g}\n"
            f"  entropy_arx(ARX と同じ計算: 削除した行もこのノードの一般化レベルで計上 / "
            f"as ARX computes it) = {m.metric_figures['entropy_arx']:.6g}"
        )
    console.print(
        f"入力 {m.rows_in} 件 → 出力 {m.rows_out} 件（削除 {m.suppressed} 件、特異な記述で削除 "
        f"{m.unusual.removed_records} 件）  探索 {m.nodes_evaluated}/{m.lattice_size} ノード "
        f"{m.search_seconds:.2f} 秒"
    )
    console.print(
        f"再識別リスク（prosecutor 最大）: {m.risk_before.prosecutor_highest:.3f} → "
        f"{m.risk_after.prosecutor_highest:.3f}"
    )
    if result.output is not None:
        console.print(
            f"出力: {result.output}  マニフェスト: {result.manifest_path}  "
            f"公表事項: {result.announcement_path}"
        )
