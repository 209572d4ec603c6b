"""The 法31条 segment export pipeline: keep only identifiers whose confirmation holds, write them.

Planned once before any data is read (`plan_segments`: the recipient and its country from the
policy, every item a 個人関連情報 category, the folder free), then run in a data engine
(`prepare_segments`): the segment file is streamed into the engine; a row without an identifier
or an identifier on two rows refuses the export (rows named, never values); each confirmation is
judged (`hogo.domain.related_info.judge`) and joined on the identifier; only confirmed identifiers
are written, the others counted by reason. Like the release pipeline, it reads no store and records
nothing: `hogo.services.segments` records and publishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from hogo.domain import reasons as R
from hogo.domain import related_info as RI
from hogo.domain.clock import as_aware
from hogo.domain.policy import AppiClass, Policy, Recipient
from hogo.domain.related_info import Confirmation, ProvisionCase, case_of, judge
from hogo.engines import SqlEngine
from hogo.errors import Conflict, InputError
from hogo.files.people_csv import spreadsheet_csv
from hogo.matching.inputs import open_input
from hogo.matching.keys import ROW_COLUMN, tokenize_into
from hogo.matching.tokens import TokenKey
from hogo.release.plan import free_folder
from hogo.release.run import refuse_repeated, repeated_rows
from hogo.segments.spec import SegmentSpec

Step = Callable[[str], None]
_SEG, _CONF = "seg_rows", "seg_confirmations"
OUTPUT = {"csv": "segments.csv", "parquet": "segments.parquet"}


@dataclass(frozen=True)
class SegmentPlan:
    spec: SegmentSpec
    at: datetime
    recipient: Recipient
    #: The recipient is abroad in 法28条1項's sense: 法31条1項2号 applies.
    foreign: bool
    directory: Path


@dataclass(frozen=True)
class Checked:
    """One identifier of the segment file that had a confirmation, with the confirmation result."""

    token: str
    confirmation: Confirmation
    result: str


@dataclass(frozen=True)
class PreparedSegments:
    counts: dict[str, int]
    manifest: dict[str, Any]
    #: The identifiers confirmed or refused on their confirmation: the 法31条3項 record's rows.
    checked: list[Checked]


def plan_segments(spec: SegmentSpec, policy: Policy, now: datetime) -> SegmentPlan:
    """Refuse before reading anything: an unknown recipient, an item that is not 個人関連情報
    (personal data linked to a member goes as a personal release: 法27条1項), a taken folder."""
    recipient = policy.recipient(spec.recipient)
    if recipient is None:
        r = R.RECIPIENT_UNKNOWN
        raise InputError(
            f"{r.ja.format(recipient=spec.recipient)}({r.article})", r.en.format(recipient=spec.recipient),
            field="recipient",
        )  # fmt: skip
    for item, category_id in spec.items.items():
        category = policy.category(category_id)
        if category is None or category.appi_class is not AppiClass.personal_related:
            raise InputError(
                "項目は個人関連情報のデータ区分にしてください。会員に結び付けて提供する個人データは、"
                "提供(release)の output.key で個人データの第三者提供として行います(法27条1項)。",
                "an item's category must be personal-related information; personal data linked to "
                "members goes as a personal release with output.key (art. 27(1)).",
                field=f"items.{item}",
            )
    directory = spec.output.dir / spec.id
    free_folder(directory, Conflict("同じIDの出力が既にあります。", "an export with this id already exists."))
    at = as_aware(spec.at) if spec.at else now
    return SegmentPlan(spec, at, recipient, recipient.needs_foreign_transfer_consent, directory)


def prepare_segments(
    plan: SegmentPlan,
    confirmations: dict[str, Confirmation],
    key: TokenKey,
    engine: SqlEngine,
    work: Path,
    step: Step | None = None,
) -> PreparedSegments:
    """Run the export of ``plan`` in ``engine``, writing the output file into ``work``."""
    say = step or (lambda _: None)
    spec, i = plan.spec, engine.ident
    say("セグメントを読み込み中 / reading segments")
    items = list(spec.items)
    rows, _ = tokenize_into(engine, _SEG, open_input(spec.segments), key, {}, keep=["identifier", *items])
    _refuse_bad_identifiers(engine)
    say("確認結果を照合中 / checking confirmations")
    results = {c.identifier: judge(c, plan.at, plan.foreign).code for c in confirmations.values()}
    engine.register_arrow(
        _CONF,
        pa.table({"identifier": list(results), "result": list(results.values())}, schema=_CONF_SCHEMA),
    )
    ident, missing = _identifier(engine, "s"), engine.dialect.param("missing")
    not_confirmed = {"missing": RI.NOT_CONFIRMED.code}
    joined = engine.create_table_as(
        engine.temp_name("seg_judged"),
        f"SELECT s.*, {ident} AS id_, COALESCE(c.result, {missing}) AS result_ FROM {i(_SEG)} AS s "
        f"LEFT JOIN {i(_CONF)} AS c ON c.identifier = {ident}",
        not_confirmed,
    )
    by_result = {
        str(r["result_"]): int(r["n"])
        for r in engine.query(f"SELECT result_, COUNT(*) AS n FROM {i(joined)} GROUP BY result_").to_pylist()
    }
    confirmed = by_result.pop(RI.CONFIRMED.code, 0)
    found = engine.query(f"SELECT id_ FROM {i(joined)} WHERE result_ <> {missing}", not_confirmed)
    identifiers = found.column("id_").to_pylist()
    checked = [
        Checked(key.token(spec.identifier_kind.value, ident_), confirmations[ident_], results[ident_])
        for ident_ in sorted(identifiers)
    ]
    say("書き出し中 / writing")
    column = spec.identifier_kind.column
    select = (
        f"SELECT id_ AS {i(column)}{''.join(f', {i(c)}' for c in items)} FROM {i(joined)} "
        f"WHERE result_ = {engine.dialect.param('ok')} ORDER BY {i(ROW_COLUMN)}"
    )
    _write(engine, select, {"ok": RI.CONFIRMED.code}, work / OUTPUT[spec.output.format])
    counts = {"segment_rows": rows, "confirmations": len(confirmations), "exported": confirmed,
              "excluded": rows - confirmed}  # fmt: skip
    manifest = {
        "case": case_of(ProvisionCase.related_info),
        "identifier_kind": spec.identifier_kind.value,
        "items": dict(spec.items),
        "foreign_recipient": plan.foreign,
        "excluded_by_reason": dict(sorted(by_result.items())),
    }  # fmt: skip
    return PreparedSegments(counts, manifest, checked)


_CONF_SCHEMA = pa.schema([("identifier", pa.string()), ("result", pa.string())])


def _identifier(engine: SqlEngine, alias: str) -> str:
    """The identifier as trimmed text (a Parquet file may hold it as a number)."""
    column = f"{alias}.{engine.ident('identifier')}"
    return f"TRIM({engine.dialect.cast_string(column)})"


def _refuse_bad_identifiers(engine: SqlEngine) -> None:
    """A row without an identifier, or an identifier on two rows, refuses the export: which row's
    data would go is not for hogo to guess. Rows are named, never identifiers."""
    i, ident = engine.ident, _identifier(engine, "t")
    empty = engine.scalar(
        f"SELECT MIN({i(ROW_COLUMN)}) FROM {i(_SEG)} AS t WHERE {ident} IS NULL OR {ident} = ''"
    )
    if empty is not None:
        raise InputError(
            "識別子が空欄です。", "the identifier is empty.", row=int(empty), field="segments.identifier"
        )
    refuse_repeated(repeated_rows(engine, _SEG, ident), ("識別子", "identifier"), "segments.identifier")


def _write(engine: SqlEngine, sql: str, params: dict[str, Any], path: Path) -> None:
    """Parquet as the engine writes it, or CSV for people: UTF-8 with BOM, every cell formula-safe
    (a segment value chosen by a site visitor must not run in the recipient's spreadsheet),
    converted from the engine's Parquet a row batch at a time."""
    if path.suffix == ".parquet":
        engine.write_parquet(sql, path, params)
        return
    staging = path.with_name(f".{path.stem}.parquet")
    engine.write_parquet(sql, staging, params)
    try:
        with path.open("wb") as out:
            for chunk in spreadsheet_csv(staging):
                out.write(chunk)
    finally:
        staging.unlink(missing_ok=True)
