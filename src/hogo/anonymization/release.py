"""Make one anonymised release (匿名加工情報) from a table: the whole of rule 34 in one call.

Why one orchestrating function: the order matters for the law and for safety — declared roles
first (so identifiers and linking codes can never reach the output), unusual values next, then
the optimal generalisation, then an independent check of the written file — and the manifest
must describe exactly that run. Nothing here touches the database of record: the caller stores
the returned manifest in the ledger.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hogo.anonymization.builders import (
    date_hierarchy,
    interval_hierarchy,
    masking_hierarchy,
    postal_code_hierarchy,
)
from hogo.anonymization.evaluation import NodeEvaluator, QuasiIdentifier
from hogo.anonymization.frequency import FrequencyEvaluator
from hogo.anonymization.hierarchy import Hierarchy, read_arx_csv
from hogo.anonymization.lattice import SearchResult, lattice_size, optimal_search, separable_search
from hogo.anonymization.manifest import OutputColumn, ReleaseManifest, announcement_text, build_checklist
from hogo.anonymization.metrics import Metric, metric_figures, metric_value
from hogo.anonymization.models import PrivacyModel
from hogo.anonymization.risk import measure_risk, risk_from_histogram
from hogo.anonymization.spec import AnonymizationSpec, BuilderKind, QISpec, looks_like_identifier
from hogo.anonymization.unusual import treat_unusual
from hogo.anonymization.verify import check_release
from hogo.engines.base import SqlEngine
from hogo.errors import HogoError, InputError
from hogo.files.atomic import atomic_text

Progress = Callable[[int, int], None]
Evaluator = FrequencyEvaluator | NodeEvaluator
SEPARABLE_LIMIT = 2_000_000
# Distinct combinations the numpy evaluator holds (about 8 bytes per attribute and row, plus the
# arrays of one node: some 3 GB at six attributes); larger frequency tables are evaluated in SQL
# by the engine, a GROUP BY over the table for every batch of nodes. 40 million covers the
# matched members of a 70-million-member release (about 34 million), whose search in SQL did
# not end within an hour (docs/releases.md).
FREQUENCY_LIMIT = 40_000_000


@dataclass
class AnonymizationResult:
    """What `anonymize` made: its manifest and 公表事項 text, and the files when it wrote them."""

    manifest: ReleaseManifest
    announcement: str
    output: Path | None
    manifest_path: Path | None
    announcement_path: Path | None


def build_hierarchy(engine: SqlEngine, table: str, q: QISpec) -> Hierarchy:
    """Read an ARX file or build a hierarchy from the column's distinct values."""
    if q.kind == BuilderKind.arx:
        if q.path is None:
            raise InputError("階層ファイルを指定してください。", "a hierarchy file is needed", field=q.name)
        return read_arx_csv(q.path, q.name)
    col = engine.ident(q.name)
    values = engine.query(
        f"SELECT DISTINCT {engine.dialect.cast_string(col)} AS v "
        f"FROM {engine.ident(table)} WHERE {col} IS NOT NULL"
    ).column("v")
    distinct = [str(v) for v in values.to_pylist()]
    if q.kind == BuilderKind.interval:
        return interval_hierarchy(q.name, distinct, q.widths)
    if q.kind == BuilderKind.date:
        return date_hierarchy(q.name, distinct)
    if q.kind == BuilderKind.postal:
        return postal_code_hierarchy(q.name, distinct)
    return masking_hierarchy(q.name, distinct, q.steps)


def _check_roles(spec: AnonymizationSpec, columns: list[str]) -> list[str]:
    """Every named column exists, has one role, and no kept column looks like an identifier."""
    roles: dict[str, str] = {}
    named = [(q.name, "qi") for q in spec.quasi_identifiers] + [(c, "sensitive") for c in spec.sensitive]
    named += [(c, "keep") for c in spec.keep] + [(c, "drop") for c in spec.drop]
    if spec.id_column:
        named.append((spec.id_column, "id"))
    for name, role in named:
        if name not in columns:
            raise InputError("入力にない列です。", "column not in the input", field=name)
        if name in roles:
            raise InputError("列に二つの役割が指定されています。", "column given two roles", field=name)
        roles[name] = role
    if not spec.quasi_identifiers:
        raise InputError(
            "準識別子を一つ以上指定してください。", "name at least one quasi-identifier", field="qi"
        )
    for name in [*spec.keep, *spec.sensitive]:
        if looks_like_identifier(name) and name not in spec.allow_identifier_like:
            raise InputError(
                "識別子・連結符号らしい列は出力できません（必要なら許可リストに追加）。",
                "a column that looks like an identifier or linking code cannot be released",
                field=name,
            )
    if (
        spec.id_column
        and spec.id_mode == "random"
        and spec.id_output in roles
        and spec.id_output != spec.id_column
    ):
        raise InputError(
            "提供用IDの列名が他の列と重なっています。",
            "the release id name clashes with a column",
            field=spec.id_output,
        )
    return [c for c in columns if roles.get(c) in (None, "drop", "id")]


def anonymize(
    engine: SqlEngine,
    source: str,
    spec: AnonymizationSpec,
    *,
    out: Path | None = None,
    source_label: str = "input",
    progress: Progress | None = None,
    columns: Sequence[str] | None = None,
) -> AnonymizationResult:
    """Anonymise ``source`` (a registered table) under ``spec``; write ``out`` atomically if given.

    ``columns`` are the input's columns when ``source`` is a projection of it that a pipeline
    made (it must hold every column the spec names): the manifest's dropped columns are those of
    the input, whatever was left behind before.
    """
    model = spec.privacy_model()
    dropped = _check_roles(spec, list(columns) if columns is not None else engine.columns(source))
    if model.needs_sensitive and len(spec.sensitive) != 1:
        raise InputError(
            "l多様性・t近接性には機微属性を一つだけ指定してください。",
            "l-diversity and t-closeness need exactly one sensitive attribute",
            field="sensitive",
        )
    qi_names = [q.name for q in spec.quasi_identifiers]
    carried = [*qi_names, *spec.sensitive, *spec.keep]
    rows_in = engine.count(source)
    work = engine.temp_name("hogo_work")
    temps = [work]
    evaluator: Evaluator | None = None
    staged: Path | None = None
    try:
        unusual_cols = spec.unusual_columns if spec.unusual_columns is not None else [*qi_names, *spec.keep]
        # Detection reads the source; the one copy made is the treated projection of the carried columns.
        unusual = treat_unusual(
            engine,
            source,
            work,
            unusual_cols,
            mode=spec.unusual,
            min_count=spec.unusual_min_count or model.k,
            quantiles=spec.unusual_quantiles,
            carry=carried,
            rows=rows_in,
        )
        qis = [
            QuasiIdentifier(q.name, build_hierarchy(engine, work, q), max_level=q.max_level)
            for q in spec.quasi_identifiers
        ]
        started = time.perf_counter()
        sensitive = spec.sensitive[0] if model.needs_sensitive else None
        evaluator = make_evaluator(engine, work, qis, model, spec.metric, sensitive, rows=rows_in)
        result = search_lattice(evaluator, qis, spec, progress)
        seconds = time.perf_counter() - started
        if result.node is None or result.stats is None:
            raise HogoError(
                "指定の条件（k・l・t・削除上限）を満たす一般化がありません。",
                "no generalisation satisfies the privacy model within the suppression limit",
            )
        node = result.node
        if isinstance(evaluator, FrequencyEvaluator):
            # the frequency table holds every class of the input: no second pass over the rows
            risk_before = risk_from_histogram(
                evaluator.class_size_histogram(), sampling_fraction=spec.sampling_fraction
            )
        else:
            risk_before = measure_risk(engine, work, qi_names, sampling_fraction=spec.sampling_fraction)
        output_sql, params = _output_sql(engine, evaluator, work, spec, node, temps)
        checked = engine.temp_name("hogo_release")
        temps.append(checked)
        if out is None:
            engine.create_table_as(checked, output_sql, params)
        else:
            # Written once, next to the target under a hidden name; the check below reads that file,
            # and only a file that passed it is renamed into place.
            staged = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.staged.parquet")
            order = f" ORDER BY {engine.dialect.random()}" if spec.shuffle else ""
            engine.write_parquet(f"{output_sql}{order}", staged, params)
            engine.register_file(checked, staged, format="parquet")
        check, histogram = check_release(engine, checked, qi_names, sensitive)
        if check.k < model.k or (model.l is not None and sensitive is not None and (check.l or 0) < model.l):
            raise HogoError("出力の検証に失敗しました。", "the release failed its k-anonymity check")
        risk_after = risk_from_histogram(histogram, sampling_fraction=spec.sampling_fraction)
        id_handling = (
            "該当なし"
            if not spec.id_column
            else ("無作為な提供用IDに置換" if spec.id_mode == "random" else "削除")
        )
        levels = {qi.name: lvl for qi, lvl in zip(qis, node, strict=True)}
        out_columns = (
            [OutputColumn(name=spec.id_output, role="release_id")]
            if spec.id_column and spec.id_mode == "random"
            else []
        )
        out_columns += [
            OutputColumn(name=qi.name, role="quasi_identifier", level=lvl, height=qi.hierarchy.height)
            for qi, lvl in zip(qis, node, strict=True)
        ]
        out_columns += [OutputColumn(name=c, role="sensitive") for c in spec.sensitive]
        out_columns += [OutputColumn(name=c, role="kept") for c in spec.keep]
        manifest = ReleaseManifest(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source=source_label,
            output=out.name if out else None,
            engine=engine.dialect.name,
            rows_in=rows_in,
            rows_out=check.rows,
            suppressed=result.stats.suppressed,
            unusual=unusual,
            model=model.describe(),
            metric=spec.metric.value,
            metric_value=metric_value(spec.metric, result.stats, len(qis)),
            metric_figures=metric_figures(spec.metric, result.stats, len(qis)),
            levels=levels,
            heights={qi.name: qi.hierarchy.height for qi in qis},
            k_achieved=check.k,
            l_achieved=check.l,
            lattice_size=result.lattice_size,
            nodes_evaluated=result.evaluated,
            search_seconds=round(seconds, 3),
            columns=out_columns,
            dropped=dropped,
            id_handling=id_handling,
            risk_before=risk_before,
            risk_after=risk_after,
            checklist=build_checklist(
                dropped=dropped,
                id_handling=id_handling,
                unusual=unusual,
                k_achieved=check.k,
                k=model.k,
                suppressed=result.stats.suppressed,
                levels=levels,
                l_achieved=check.l,
            ),
        )
        announcement = announcement_text(manifest, spec.business_name, spec.provision_method, spec.recipient)
        if out is None or staged is None:
            return AnonymizationResult(manifest, announcement, None, None, None)
        engine.drop(checked)
        os.replace(staged, out)
        staged = None
        return _write_outputs(out, manifest, announcement)
    finally:
        if evaluator is not None:
            evaluator.close()
        for name in temps:
            engine.drop(name)
        if staged is not None:
            _remove(staged)


def make_evaluator(
    engine: SqlEngine,
    source: str,
    qis: list[QuasiIdentifier],
    model: PrivacyModel,
    metric: Metric,
    sensitive: str | None,
    *,
    rows: int | None = None,
    limit: int | None = None,
) -> Evaluator:
    """The numpy evaluator when the frequency table fits in memory, else the SQL one.

    A table of ``rows`` rows has at most that many distinct combinations; only larger inputs
    have their frequency table counted in the engine first.
    """
    limit = FREQUENCY_LIMIT if limit is None else limit
    if rows is not None and rows <= limit:
        return FrequencyEvaluator(engine, source, qis, model, metric, sensitive)
    evaluator = FrequencyEvaluator(engine, source, qis, model, metric, sensitive, max_rows=limit)
    if evaluator.loaded:
        return evaluator
    evaluator.close()
    return NodeEvaluator(engine, source, qis, model, metric, sensitive)


def search_lattice(
    evaluator: Evaluator,
    qis: list[QuasiIdentifier],
    spec: AnonymizationSpec,
    progress: Progress | None = None,
) -> SearchResult:
    """The optimal generalisation over an evaluator already built: the search without the input.

    Separate from ``make_evaluator`` (which reads the input into a frequency table) so that the
    benchmarks can time the two apart; ``anonymize`` times both as ``search_seconds``.
    """
    bottom = [qi.min_level for qi in qis]
    top = [qi.top for qi in qis]
    size = lattice_size(bottom, top)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, size)

    model = evaluator.model
    in_memory = isinstance(evaluator, FrequencyEvaluator)
    if spec.metric.needs_cell_costs and size <= SEPARABLE_LIMIT:
        check: Callable[[Sequence[tuple[int, ...]]], list[bool]]
        if isinstance(evaluator, FrequencyEvaluator):
            check = evaluator.check
        else:
            sql = evaluator

            def check(nodes: Sequence[tuple[int, ...]]) -> list[bool]:
                # sizes and suppression only; full statistics for the nodes that pass
                return [s.anonymous(model.suppression_limit) for s in sql.evaluate(nodes, full=False)]

        return separable_search(
            evaluator.evaluate,
            bottom,
            top,
            evaluator.level_bounds(),
            spec.metric,
            model.suppression_limit,
            monotone=model.monotone,
            check=check,
            # the floor of the remaining nodes costs a pass over them: only where a roll-up may pay
            rollup=evaluator.roll_up if evaluator.rolls_up else None,
            # One node at a time in numpy: every result prunes before the next node is chosen.
            batch=1 if in_memory else 32,
            progress=tick,
        )
    return optimal_search(
        evaluator.evaluate,
        bottom,
        top,
        spec.metric,
        model.suppression_limit,
        batch=1 if in_memory else 48,
        progress=tick,
    )


def _output_sql(
    engine: SqlEngine,
    ev: Evaluator,
    work: str,
    spec: AnonymizationSpec,
    node: tuple[int, ...],
    temps: list[str],
) -> tuple[str, dict[str, object]]:
    """Generalised rows of the classes that pass; a fresh random id per row when asked.

    Rows are read once, generalised through the hierarchy tables, and those of failing classes are
    left out by an anti-join on the level codes: the failing classes are few (they are bounded by
    the suppression limit), so they are the small side of the join.
    """
    e, d = engine, engine.dialect
    select, joins, on = [], [], []
    if spec.id_column and spec.id_mode == "random":
        select.append(f"{d.uuid()} AS {e.ident(spec.id_output)}")
    for i, (qi, level) in enumerate(zip(ev.qis, node, strict=True)):
        h = e.ident(f"h{i}")
        joins.append(
            f"JOIN {e.ident(ev.hier_names[i])} AS {h} ON {d.cast_string('w.' + e.ident(qi.name))} = {h}.v"
        )
        select.append(f"{h}.{e.ident(f'g{level}')} AS {e.ident(qi.name)}")
        on.append(f"{h}.{e.ident(f'k{level}')} = x.{e.ident(f'kc{i}')}")
    select += [f"w.{e.ident(c)}" for c in [*spec.sensitive, *spec.keep]]
    params: dict[str, object] = {}
    failing: str | None
    if isinstance(ev, FrequencyEvaluator):
        table = ev.failing_classes(node)
        failing = None
        if table is not None:
            name = e.temp_name("hogo_fail")
            temps.append(name)
            e.register_arrow(name, table)
            failing = f"SELECT * FROM {e.ident(name)}"
    else:
        failing, params = ev.failing_classes_sql(node)
    sql = f"SELECT {', '.join(select)} FROM {e.ident(work)} AS w {' '.join(joins)}"
    if failing is not None:
        sql += f" LEFT JOIN ({failing}) AS x ON {' AND '.join(on)} WHERE x.{e.ident('kc0')} IS NULL"
    return sql, params


def _write_outputs(out: Path, manifest: ReleaseManifest, announcement: str) -> AnonymizationResult:
    """After the data (in place and checked): the manifest and announcement; undo all if they fail."""
    manifest_path = out.with_name(out.name + ".manifest.json")
    announcement_path = out.with_name(out.name + ".公表事項.txt")
    try:
        with atomic_text(manifest_path) as fh:
            fh.write(manifest.model_dump_json(indent=2))
        with atomic_text(announcement_path) as fh:
            fh.write(announcement)
    except BaseException:
        _remove(out)
        manifest_path.unlink(missing_ok=True)
        raise
    return AnonymizationResult(manifest, announcement, out, manifest_path, announcement_path)


def _remove(path: Path) -> None:
    """Remove an output file, or the directory of part files a distributed engine writes."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
