"""`hogo request …` — rights requests (本人からの請求, 法32条〜35条) handled as tracked cases:
file, verify the person's identity, decide (with the statutory ground of a refusal), carry out,
answer (HTML, PDF or JSON), extend the deadline; the board lists open requests, overdue first."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from hogo.cli.context import optional_instant, parse_at, reading, unit_of_work
from hogo.cli.options import JSON, SUBJECT_ID, VIEW_AT
from hogo.cli.output import console, print_json, user_errors
from hogo.config import load_settings
from hogo.domain.clock import to_jst
from hogo.domain.rights.kinds import (
    DisclosureMethod,
    RequestChannel,
    RequestClaim,
    Requester,
    RequestKind,
    RequestOutcome,
    VerificationLevel,
)
from hogo.domain.rights.request import Decision
from hogo.errors import InputError
from hogo.files.atomic import atomic_path
from hogo.reports.rights.render import render_bytes
from hogo.services import ledger_tree
from hogo.services import rights_requests as svc
from hogo.services.mail import Sender, smtp_sender

app = typer.Typer(help="本人からの請求(開示・訂正・利用停止等)/ rights requests", no_args_is_help=True)

REQUEST_ID = typer.Argument(..., help="受付番号(RR-2026-0001 など)")


def as_dict(view: svc.RequestView, now: datetime) -> dict[str, Any]:
    """A request for `--json`: the case as stored, with where it stands now."""
    return {
        "request_id": view.request_id,
        "subject_id": view.subject_id,
        "channel": view.channel.value,
        "overdue": view.overdue(now),
        "days_left": view.days_left(now),
        **view.case.model_dump(mode="json"),
        "deadline": view.deadline.isoformat(),
    }


def _print(view: svc.RequestView, now: datetime) -> None:
    c = view.case
    console.print(f"[bold]{view.request_id}[/] {c.kind.ja} — {c.state.ja}")
    console.print(f"  本人: {view.subject_id or '(消去済み)'}  受付: {to_jst(c.received_at):%Y-%m-%d %H:%M}")
    late = "[red]期限超過[/]" if view.overdue(now) else f"あと{view.days_left(now)}日"
    console.print(f"  期限: {to_jst(view.deadline):%Y-%m-%d %H:%M} ({late})")
    if c.verification is not None:
        console.print(f"  本人確認: {c.verification.ja}")
    if c.decision is not None:
        grounds = "、".join(c.decision.grounds) or "-"
        console.print(f"  決定: {c.decision.outcome.ja}  根拠: {grounds}")


def _show(view: svc.RequestView, as_json: bool) -> None:
    now = datetime.now(view.received_at.tzinfo)
    if as_json:
        print_json(as_dict(view, now))
    else:
        _print(view, now)


def _corrections(values: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter("項目=値 / field=value", param_hint="--correct")
        found[name.strip()] = value.strip() or None
    return found


@app.command("file")
def file_cmd(
    subject: str = typer.Argument(..., help="本人ID", callback=SUBJECT_ID),
    kind: RequestKind = typer.Option(..., "--kind", help="請求の種類"),
    claim: RequestClaim | None = typer.Option(None, "--claim", help="法35条の請求の理由"),
    purpose: list[str] = typer.Option([], "--purpose", help="停止を求める利用目的(複数可、省略時はすべて)"),
    correct: list[str] = typer.Option([], "--correct", help="訂正等: 項目=値(birth_date / email / phone)"),
    method: DisclosureMethod = typer.Option(DisclosureMethod.electronic, "--method", help="開示の方法"),
    requester: Requester = typer.Option(Requester.person, "--requester", help="請求者(法37条3項)"),
    text: str = typer.Option("", "--text", help="請求の内容(本人の記載)"),
    verified: VerificationLevel | None = typer.Option(None, "--verified", help="受付時の本人確認の方法"),
    channel: RequestChannel = typer.Option(RequestChannel.post, "--channel", help="受付の経路"),
    at: str | None = typer.Option(None, "--at", help="受付日時(省略時は現在)"),
    as_json: bool = JSON,
) -> None:
    """請求を受け付けます。期限はポリシーの rights_request_days(既定14日)後です。"""
    with user_errors():
        details = svc.details_of(
            {
                "claim": claim,
                "purposes": tuple(purpose),
                "corrections": _corrections(correct),
                "method": method,
                "requester": requester,
                "text": text,
            }
        )
        with unit_of_work() as session:
            view = svc.file_request(
                session, subject, kind, details, verified, channel, received_at=optional_instant(at, "--at")
            )
    _show(view, as_json)


@app.command("list")
def list_cmd(
    at: str | None = VIEW_AT,
    include_answered: bool = typer.Option(False, "--all", help="回答済みの請求も表示"),
    as_json: bool = JSON,
) -> None:
    """請求の一覧: 期限超過を先に、期限の近い順。"""
    now = parse_at(at)
    with user_errors(), reading() as session:
        lines = svc.board(session, now, include_answered=include_answered)
    if as_json:
        print_json([as_dict(line.view, now) for line in lines])
        return
    table = Table("受付番号", "種類", "段階", "期限", "残り", title="本人からの請求 / rights requests")
    for line in lines:
        v = line.view
        left = f"[red]{-line.days_left}日超過[/]" if line.overdue else f"あと{line.days_left}日"
        table.add_row(v.request_id, v.kind.ja, v.state.ja, f"{to_jst(v.deadline):%Y-%m-%d}", left)
    console.print(table)


@app.command("show")
def show_cmd(request_id: str = REQUEST_ID, as_json: bool = JSON) -> None:
    """請求の内容・段階・期限と、各段階の記録(台帳の記録番号つき)を表示します。"""
    with user_errors(), reading() as session:
        view = svc.get(session, request_id)
        entries = svc.steps(session, request_id)
    now = datetime.now(view.received_at.tzinfo)
    if as_json:
        print_json({**as_dict(view, now), "steps": [e.__dict__ for e in entries]})
        return
    _print(view, now)
    for e in entries:
        console.print(f"  {to_jst(e.at):%Y-%m-%d %H:%M}  {e.summary_ja}  [dim]#{e.ledger_seq}[/]")


@app.command("verify")
def verify_cmd(
    request_id: str = REQUEST_ID,
    level: VerificationLevel = typer.Option(..., "--level", help="本人確認の方法"),
    at: str | None = typer.Option(None, "--at", help="確認日時(省略時は現在)"),
    as_json: bool = JSON,
) -> None:
    """本人確認の方法を記録します(法33条・37条、通則編3-8)。"""
    with user_errors(), unit_of_work() as session:
        view = svc.verify(session, request_id, level, at=optional_instant(at, "--at"))
    _show(view, as_json)


@app.command("decide")
def decide_cmd(
    request_id: str = REQUEST_ID,
    outcome: RequestOutcome = typer.Option(..., "--outcome", help="allowed / partly / refused"),
    ground: list[str] = typer.Option([], "--ground", help="行わない根拠のコード(複数可、法36条)"),
    note: str = typer.Option("", "--note", help="本人への説明"),
    at: str | None = typer.Option(None, "--at", help="決定日時(省略時は現在)"),
    as_json: bool = JSON,
) -> None:
    """請求どおり行う・一部を行わない・行わないを、行わない根拠(条文)とともに決定します。"""
    with user_errors():
        try:
            decision = Decision(outcome=outcome, grounds=tuple(ground), note=note)
        except ValueError:
            raise InputError("決定の内容が正しくありません。", "the decision is not valid.") from None
        with unit_of_work() as session:
            view = svc.decide_request(session, request_id, decision, at=optional_instant(at, "--at"))
    _show(view, as_json)


@app.command("carry-out")
def carry_out_cmd(
    request_id: str = REQUEST_ID,
    field: list[str] = typer.Option([], "--field", help="一部を行わない場合: 訂正する項目(訂正等)"),
    purpose: list[str] = typer.Option(
        [], "--purpose", help="一部を行わない場合: 停止する利用目的(利用停止等)"
    ),
    withhold: list[str] = typer.Option([], "--withhold", help="一部を行わない場合: 開示しない項目(開示)"),
    at: str | None = typer.Option(None, "--at", help="実施日時(省略時は現在)"),
    as_json: bool = JSON,
) -> None:
    """決定した内容を実施します(停止: 停止の求めを記録、訂正: 本人情報を更新、消去: 本人のデータを消去、
    開示・通知: 回答の内容を作成)。法35条の請求では提供先の一覧を示します。"""
    with user_errors():
        key_file = load_settings().ledger_signing_key_file
        key = None if key_file is None else ledger_tree.load_signing_key(key_file)
        part = svc.partial_of(
            {"fields": tuple(field) or None, "purposes": tuple(purpose) or None, "withhold": tuple(withhold)}
        )
        with unit_of_work() as session:
            view = svc.carry_out(
                session, request_id, at=optional_instant(at, "--at"), partial=part, signing_key=key
            )
    _show(view, as_json)
    if not as_json:
        for r in view.case.result.get("recipients", []):
            console.print(f"  提供先に連絡してください: {r['name']}(最後の提供 {r['last_provided_on']})")


@app.command("answer")
def answer_cmd(
    request_id: str = REQUEST_ID,
    out: Path | None = typer.Option(None, "--out", help="回答の出力先(.html / .pdf / .json)"),
    at: str | None = typer.Option(None, "--at", help="回答日時(省略時は現在)"),
    as_json: bool = JSON,
) -> None:
    """回答を記録し(法32条3項・33条3項・34条3項・35条7項、理由は法36条)、回答書を書き出します。"""
    with user_errors():
        notice = _notice_mail()
        with unit_of_work() as session:
            view = svc.answer(session, request_id, at=optional_instant(at, "--at"))
            document = svc.answer_of(session, request_id)
            mailed = None if notice is None else svc.notify_answered(session, request_id, *notice)
        if out is not None:
            fmt = {".pdf": "pdf", ".json": "json"}.get(out.suffix.lower(), "html")
            data = render_bytes(fmt, document.notice, document.content, document.organization)
            with atomic_path(out) as path:
                path.write_bytes(data)
                path.chmod(0o600)
    _show(view, as_json)
    if out is not None and not as_json:
        console.print(f"回答書を書き出しました: {out}")
    if mailed is not None and not as_json:
        console.print(f"回答の準備ができた旨のメール: {mailed.value}")


def _notice_mail() -> tuple[Sender | None, str] | None:
    """The sender and the privacy center's address for the "answer is ready" e-mail, when
    HOGO_PUBLIC_URL says where the privacy center is (the console and the API know it)."""
    settings = load_settings()
    if not settings.public_url:
        return None
    sender = smtp_sender(
        settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_user,
        settings.smtp_password_file, settings.smtp_starttls,
    )  # fmt: skip
    return sender, settings.public_url.rstrip("/") + "/privacy"


@app.command("extend")
def extend_cmd(
    request_id: str = REQUEST_ID,
    until: str = typer.Option(..., "--until", help="延長後の期限(ISO-8601)"),
    reason: str = typer.Option(..., "--reason", help="延長の理由"),
    as_json: bool = JSON,
) -> None:
    """期限を延長します(理由を記録します。短縮はできません)。"""
    when = optional_instant(until, "--until")
    assert when is not None
    with user_errors(), unit_of_work() as session:
        view = svc.extend(session, request_id, when, reason)
    _show(view, as_json)
