"""`hogo consent record|withdraw|import|check|history|receipt|exception|eligible`."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from hogo.cli.context import at_or_now, opened, parse_at, reading, unit_of_work
from hogo.cli.options import (
    CSV_FILE,
    EVENT_ID,
    JSON,
    NAME_ID,
    PURPOSE_ID,
    REJECT_HEADERS,
    REJECTS,
    SKIP_BAD,
    SUBJECT_ID,
    from_options,
)
from hogo.cli.output import console, print_json, user_errors
from hogo.config import load_settings
from hogo.domain import reasons as R
from hogo.domain.consent import (
    ALL_PURPOSES_IN_TERMS,
    ConsentAction,
    ConsentEvent,
    ConsentMethod,
    ExceptionGround,
    LegalException,
)
from hogo.domain.decision import Decision
from hogo.domain.display import datetime_text
from hogo.domain.receipts import build_receipt
from hogo.errors import InputError, NotFound
from hogo.files.consent_csv import Parsed, settle_problems
from hogo.files.csv_headers import HeaderStyle
from hogo.files.event_columns import iter_event_columns
from hogo.services import consent as svc
from hogo.services import ledger, ledger_tree
from hogo.services.consent_import import EventImport
from hogo.services.database import read_scope
from hogo.services.policy import require_policy
from hogo.services.subjects import get_subject

app = typer.Typer(help="同意の記録と判定 / consent", no_args_is_help=True)


def _event(
    subject: str,
    purpose: str,
    action: ConsentAction,
    at: str | None,
    terms_version: str | None = None,
    method: ConsentMethod = ConsentMethod.other,
    evidence: str | None = None,
    guardian_name: str | None = None,
    guardian_relation: str | None = None,
    foreign_info: bool = False,
    event_id: str | None = None,
) -> ConsentEvent:
    given = {
        "event_id": event_id or str(uuid.uuid4()), "subject_id": subject, "purpose_id": purpose,
        "action": action, "collected_at": parse_at(at), "terms_version": terms_version, "method": method,
        "evidence": evidence, "guardian_name": guardian_name, "guardian_relation": guardian_relation,
        "foreign_transfer_info_given": foreign_info,
    }  # fmt: skip
    return from_options(ConsentEvent, given, _OPTIONS)


#: The option of each event field whose name differs.
_OPTIONS = {
    "subject_id": "--subject", "purpose_id": "--purpose", "collected_at": "--at",
    "foreign_transfer_info_given": "--foreign-info-given",
}  # fmt: skip


@app.command("record")
def record_cmd(
    subject: str = typer.Option(..., help="本人ID", callback=SUBJECT_ID),
    purpose: str = typer.Option(..., help="利用目的ID(規約全体への同意は *)", callback=PURPOSE_ID),
    action: ConsentAction = typer.Option(ConsentAction.grant, help="grant / deny / withdraw / object"),
    terms_version: str | None = typer.Option(None, help="同意時に示した規約版"),
    method: ConsentMethod = typer.Option(ConsentMethod.other, help="取得方法"),
    at: str | None = typer.Option(None, help="取得日時(ISO-8601、オフセットなしはJST)"),
    evidence: str | None = typer.Option(None, help="証跡(表示した通知文のハッシュなど)"),
    guardian_name: str | None = typer.Option(None, help="法定代理人等の氏名"),
    guardian_relation: str | None = typer.Option(None, help="法定代理人等の続柄"),
    foreign_info: bool = typer.Option(False, "--foreign-info-given", help="法28条の情報提供済み"),
    event_id: str | None = typer.Option(None, help="事象ID(再送しても二重記録されない)", callback=EVENT_ID),
    as_json: bool = JSON,
) -> None:
    """同意・拒否・撤回・停止の求めを1件記録します。"""
    with user_errors():
        event = _event(
            subject, purpose, action, at, terms_version, method, evidence,
            guardian_name, guardian_relation, foreign_info, event_id,
        )  # fmt: skip
        with unit_of_work() as session:
            result = svc.record_events(session, [event])
    if as_json:
        print_json({"event_id": event.event_id, **result.__dict__})
    else:
        state = "記録しました" if result.recorded else "記録済みです"
        console.print(f"{state}: {event.event_id}")


@app.command("withdraw")
def withdraw_cmd(
    subject: str = typer.Option(..., help="本人ID", callback=SUBJECT_ID),
    purpose: str = typer.Option(..., help="利用目的ID(* ですべて)", callback=PURPOSE_ID),
    at: str | None = typer.Option(None, help="撤回日時(省略時は現在)"),
    method: ConsentMethod = typer.Option(ConsentMethod.other),
    event_id: str | None = typer.Option(None, callback=EVENT_ID),
    as_json: bool = JSON,
) -> None:
    """同意を撤回します(撤回時点以降、同意に基づく利用・提供はできません)。"""
    with user_errors():
        event = _event(subject, purpose, ConsentAction.withdraw, at, method=method, event_id=event_id)
        with unit_of_work() as session:
            result = svc.record_events(session, [event])
    if as_json:
        print_json({"event_id": event.event_id, **result.__dict__})
    else:
        console.print(f"撤回を記録しました: {event.event_id}")


@app.command("import")
def import_cmd(
    file: Path = CSV_FILE,
    skip_bad: bool = SKIP_BAD,
    rejects: Path | None = REJECTS,
    headers: HeaderStyle = REJECT_HEADERS,
    as_json: bool = JSON,
) -> None:
    """同意事象をCSVから取り込みます(同じファイルの再取込では何も増えません)。"""
    with (
        user_errors(),
        opened() as db,
        EventImport(db) as job,
        Progress(console=console, disable=as_json, transient=True) as bar,
    ):
        task = bar.add_task("取り込み中 / importing", total=None)
        bad: Parsed[ConsentEvent] = Parsed()
        for part in iter_event_columns(file):
            bad.problems.extend(part.problems)
            bad.rejected.extend(part.rejected)
            job.stage_columns(part.columns)
            bar.advance(task, len(part.columns) + len(part.rejected))
        rejects_path = settle_problems(bad, file, rejects, skip_bad, headers)
        bar.update(task, description="記録中 / recording")
        outcome = job.commit()
    # Staged outside the ledger lock, recorded in one short transaction (services.consent_import).
    recorded, present = outcome.recorded, outcome.already_present
    result = {
        "recorded": recorded,
        "already_present": present,
        "rejected": len(bad.rejected),
        "rejects_file": str(rejects_path or ""),
    }
    if as_json:
        print_json(result)
    else:
        console.print(f"記録 {recorded} 件 / 記録済み {present} 件 / 除外 {len(bad.rejected)} 行")


def _print_decision(d: Decision) -> None:
    mark = "[green]可[/]" if d.allowed else "[red]不可[/]"
    console.print(f"{mark}  利用目的 {d.purpose_id}  根拠: {d.basis.value if d.basis else 'なし'}")
    for r in d.reasons:
        console.print(f"  [{r.effect.value}] {r.code} ({r.article}) {r.message_ja}")


@app.command("check")
def check_cmd(
    subject: str = typer.Option(..., help="本人ID", callback=SUBJECT_ID),
    purpose: str = typer.Option(..., help="利用目的ID", callback=PURPOSE_ID),
    recipient: str | None = typer.Option(None, help="提供先ID", callback=NAME_ID),
    at: str | None = typer.Option(None, help="判定時点(ISO-8601、省略時は現在)"),
    as_json: bool = JSON,
) -> None:
    """この本人のデータをこの目的で利用・提供してよいかを、根拠条文とともに答えます。

    終了コード: 0 = 判定した(可・否とも)、2 = 入力の誤り(未知の本人・利用目的・提供先、日時の形式)。
    """
    with user_errors(as_json):
        when = at_or_now(at)
        with reading() as session:
            try:
                decision = svc.check(session, subject, purpose, when, recipient)
            except NotFound as exc:
                raise InputError(exc.ja, exc.en, field="--subject") from None
        _refuse_unknown_input(decision)
    if as_json:
        print_json(decision)
    else:
        _print_decision(decision)


#: Reasons that mean the question named something the policy does not know: an input error,
#: not an answer (a known recipient outside the purpose is an answer: "no").
_UNKNOWN_INPUT = {R.PURPOSE_UNKNOWN.code: "--purpose", R.RECIPIENT_UNKNOWN.code: "--recipient"}


def _refuse_unknown_input(decision: Decision) -> None:
    for r in decision.reasons:
        if r.code in _UNKNOWN_INPUT:
            raise InputError(r.message_ja, r.message_en, field=_UNKNOWN_INPUT[r.code])


@app.command("history")
def history_cmd(
    subject: str = typer.Option(..., help="本人ID", callback=SUBJECT_ID),
    at: str | None = typer.Option(None, help="判定時点(省略時は現在)"),
    as_json: bool = JSON,
) -> None:
    """本人の同意の経過と、各利用目的の現在の判定を表示します。"""
    when = parse_at(at)
    with user_errors(), reading() as session:
        answer = svc.timeline(session, subject, when)
    policy, hist, decisions = answer.policy, answer.history, answer.decisions
    if as_json:
        print_json({"subject": hist.subject, "events": list(hist.events), "exceptions": list(hist.exceptions),
                    "decisions": list(decisions)})  # fmt: skip
        return
    columns = ("日時(JST)", "利用目的", "行為", "規約版", "方法", "事象ID")
    table = Table(*columns, title=f"本人 {subject} の同意履歴")
    for e in hist.events:
        purpose = policy.purpose(e.purpose_id)
        table.add_row(
            datetime_text(e.collected_at),
            "規約全体への同意"
            if e.purpose_id == ALL_PURPOSES_IN_TERMS
            else (purpose.title if purpose else e.purpose_id),
            e.action.ja,
            e.terms_version or "",
            e.method.ja,
            e.event_id,
        )
    console.print(table)
    for d in decisions:
        _print_decision(d)


@app.command("receipt")
def receipt_cmd(event_id: str = typer.Argument(..., help="同意事象ID", callback=EVENT_ID)) -> None:
    """同意の記録証(ISO/IEC TS 27560準拠のJSON、台帳ハッシュと包含証明付き)を出力します。

    署名鍵(HOGO_LEDGER_SIGNING_KEY_FILE)が設定されていれば、記録の包含証明と署名付きツリーヘッドを
    含めます(hogo ledger check-proof で台帳なしに検証できます)。
    """
    with user_errors():
        with reading() as session:
            policy = require_policy(session)
            event, seq = svc.get_event(session, event_id)
            subject = get_subject(session, event.subject_id)
            entry = ledger.entry(session, seq)
            assert entry is not None
        with opened() as db:
            proof = ledger_tree.receipt_proof(db, seq, load_settings().ledger_signing_key_file, full=True)
        print_json(build_receipt(policy, subject, event, seq, entry.hash, personal=True, proof=proof))


@app.command("exception")
def exception_cmd(
    subject: str = typer.Option(..., help="本人ID", callback=SUBJECT_ID),
    purpose: str = typer.Option(..., help="利用目的ID", callback=PURPOSE_ID),
    ground: ExceptionGround = typer.Option(..., help="法27条1項の号"),
    recipient: str | None = typer.Option(
        None, help="提供先ID(省略時は目的のすべての提供先)", callback=NAME_ID
    ),
    at: str | None = typer.Option(None, help="記録日時"),
    valid_until: str | None = typer.Option(None, help="有効期限"),
    note: str = typer.Option("", help="判断の経緯(個人データを書かない)"),
    exception_id: str | None = typer.Option(None, callback=EVENT_ID),
    as_json: bool = JSON,
) -> None:
    """法27条1項の例外(法令に基づく場合等)による提供を記録します。"""
    with user_errors():
        exc = LegalException(
            exception_id=exception_id or str(uuid.uuid4()),
            subject_id=subject,
            purpose_id=purpose,
            recipient_id=recipient,
            ground=ground,
            recorded_at=parse_at(at),
            valid_until=parse_at(valid_until) if valid_until else None,
            note=note,
        )
        with unit_of_work() as session:
            svc.record_exception(session, exc)
    if as_json:
        print_json(exc)
    else:
        console.print(f"例外を記録しました: {exc.exception_id} (法27条1項{exc.ground.item}号)")


@app.command("eligible")
def eligible_cmd(
    purpose: str = typer.Option(..., help="利用目的ID", callback=PURPOSE_ID),
    out: Path = typer.Option(..., help="出力先(Parquet)"),
    recipient: str | None = typer.Option(None, help="提供先ID", callback=NAME_ID),
    at: str | None = typer.Option(None, help="判定時点"),
    snapshot: Path | None = typer.Option(
        None, "--snapshot", help="同意スナップショットのフォルダ(hogo consent snapshot で作成)"
    ),
    as_json: bool = JSON,
) -> None:
    """この目的で利用・提供してよい本人の一覧を、集合演算で一括計算します。"""
    from hogo.eligibility import eligible_subjects
    from hogo.services.snapshots import consent_source

    when: datetime = parse_at(at)
    with user_errors(), opened() as db:
        with read_scope(db) as session:
            policy = require_policy(session, when)
        with Progress(console=console, disable=as_json, transient=True) as bar:
            task = bar.add_task("読み込み中 / loading", total=None)
            tables = consent_source(db, snapshot)
            bar.update(task, description="判定中 / deciding")
            result = eligible_subjects(policy, tables, purpose, when, recipient, out=out)
    if as_json:
        print_json(result.as_dict())
    else:
        console.print(f"対象 {result.allowed:,} 人 / 全 {result.subjects:,} 人 → {out}")


@app.command("snapshot")
def snapshot_cmd(
    out: Path = typer.Argument(..., help="出力先フォルダ(新規)"),
    as_json: bool = JSON,
) -> None:
    """同意データのスナップショット(Parquet、台帳の先頭に紐付け)を書き出します。大規模な提供・一括判定で使います。"""
    from hogo.services.snapshots import write_snapshot

    with user_errors(), opened() as db, Progress(console=console, disable=as_json, transient=True) as bar:
        task = bar.add_task("書き出し中 / writing", total=None)

        def step(file: str, rows: int) -> None:
            bar.update(task, description=f"{file}: {rows:,}")

        info = write_snapshot(db, out, step)
    if as_json:
        print_json(info.model_dump() | {"out": str(out)})
    else:
        counts = " / ".join(f"{name} {n:,}" for name, n in info.rows.items())
        console.print(f"スナップショットを書き出しました(台帳 #{info.ledger_seq}): {counts} → {out}")
