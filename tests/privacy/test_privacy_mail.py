"""One-time codes by e-mail through a real SMTP server on loopback (aiosmtpd): the person asks for
a code with their member number and address, reads it from the message, and gets in; the SMTP
sender logs in when a user is set and refuses a server without STARTTLS when it is required."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default
from typing import Any

import pytest
from sqlalchemy import select

pytest.importorskip("aiosmtpd", reason="pip install aiosmtpd (test extra)")
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hogo.auth.roles import Role
from hogo.domain.consent import SubjectPatch
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestKind,
    RequestOutcome,
    RequestState,
    VerificationLevel,
)
from hogo.domain.rights.request import Decision
from hogo.services import rights_requests as rights
from hogo.services.mail import Mail, MailFailed, SmtpSender, smtp_sender
from hogo.services.subjects import patch_subjects
from hogo.store.database import read_scope, write_scope
from hogo.store.privacy_center import EmailCodeRow
from hogo.web.privacy_session import FORM_CSRF_COOKIE
from tests.api.env import Env, client, login
from tests.privacy.helpers import form_token


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture()
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _text(message: Message) -> str:
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def test_a_code_by_email_opens_the_privacy_center(env: Env, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    subject = env.uncovered_subject()
    with write_scope(env.db) as s:
        patch_subjects(s, [SubjectPatch(subject_id=subject, email="hanako@example.jp")])
    env.app.state.mail_sender = SmtpSender("127.0.0.1", port, "privacy@hogo.example.jp", starttls=False)
    try:
        with client(env) as c:
            page = c.get("/privacy")
            token = form_token(page.text)
            wrong = c.post(
                "/privacy/code", data={"csrf_token": token, "subject_id": subject, "email": "x@example.jp"}
            )
            assert wrong.status_code == 200 and 'name="challenge"' in wrong.text and not inbox.messages
            asked = c.post(
                "/privacy/code",
                data={"csrf_token": token, "subject_id": subject, "email": "Hanako@Example.JP"},
            )
            assert asked.status_code == 200 and "確認コードを送りました" in asked.text
            [message] = inbox.messages
            assert message["To"] == "hanako@example.jp" and message["From"] == "privacy@hogo.example.jp"
            found = re.search(r"\b(\d{6})\b", _text(message))
            assert found is not None
            challenge = asked.text.split('name="challenge" value="')[1].split('"')[0]
            data = {"csrf_token": form_token(asked.text), "challenge": challenge}
            bad = c.post("/privacy/code/verify", data={**data, "code": "abcdef"})
            assert bad.status_code == 401 and "確認コードが正しくない" in bad.text
            with read_scope(env.db) as s:
                assert s.scalars(select(EmailCodeRow.attempts)).all() == [1]  # the wrong try was kept
            r = c.post("/privacy/code/verify", data={**data, "code": found.group(1)}, follow_redirects=False)
            assert r.status_code == 303 and "hogo_privacy=" in r.headers["set-cookie"]
            html = c.get("/privacy").text
            assert 'id="purposes"' in html and "登録メールアドレスに送った確認コード" in html
            assert found.group(1) not in html
        with client(env) as other:  # the code cannot be used twice
            fresh = form_token(other.get("/privacy").text)
            again = other.post(
                "/privacy/code/verify",
                data={"csrf_token": fresh, "challenge": challenge, "code": found.group(1)},
            )
            assert again.status_code == 401 and "hogo_privacy=" not in again.headers.get("set-cookie", "")
    finally:
        env.app.state.mail_sender = None


def test_without_smtp_the_code_form_says_so(env: Env) -> None:
    """Without e-mail the way in by code is closed: the page does not offer the form, and a code
    asked for anyway is refused in the person's words, not by the setting an operator makes."""
    env.app.state.mail_sender = None
    with client(env) as c:
        entry = c.get("/privacy").text
        token = c.cookies[FORM_CSRF_COOKIE]  # the page has no form to carry it
        assert 'action="/privacy/code"' not in entry and "現在ご利用いただけません" in entry
        r = c.post("/privacy/code", data={"csrf_token": token, "subject_id": "M0000001", "email": "a@b.jp"})
        assert (
            r.status_code == 422 and "現在ご利用いただけません" in r.text and "HOGO_SMTP_HOST" not in r.text
        )
        assert c.post("/privacy/code", data={"subject_id": "M0000001", "email": "a@b.jp"}).status_code == 403


def test_the_sender_logs_in_when_a_user_is_set(tmp_path: Any) -> None:
    seen: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret")

    inbox, port = Inbox(), _port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        password = tmp_path / "smtp-password"
        password.write_text("s3cret\n", encoding="utf-8")
        sender = smtp_sender("127.0.0.1", port, "noreply@example.jp", "relay-user", password, starttls=False)
        assert sender is not None
        sender.send(Mail("a@example.jp", "件名", "本文"))
        assert seen == [("relay-user", "s3cret")] and _text(inbox.messages[0]).strip() == "本文"
        # STARTTLS is required by default: a server that does not offer it is refused
        with pytest.raises(MailFailed):
            SmtpSender("127.0.0.1", port, "noreply@example.jp").send(Mail("a@example.jp", "s", "t"))
        assert len(inbox.messages) == 1
    finally:
        controller.stop()
    assert smtp_sender(None, 25, None) is None


def _answerable(env: Env, email: str | None) -> tuple[str, str]:
    """A member with `email` whose disclosure request (filed from the privacy center) is carried out."""
    subject = env.uncovered_subject()
    with write_scope(env.db) as s:
        patch_subjects(s, [SubjectPatch(subject_id=subject, email=email, phone="090-1234-5678")])
        rid = rights.file_request(
            s, subject, RequestKind.disclosure, rights.details_of({"text": "開示してください"}),
            VerificationLevel.signed_link, RequestChannel.privacy_center,
        ).request_id  # fmt: skip
        rights.decide_request(s, rid, Decision(outcome=RequestOutcome.allowed))
        rights.carry_out(s, rid)
    return subject, rid


def _console_answer(env: Env, rid: str) -> str:
    with client(env) as officer:
        login(officer, env.usernames[Role.privacy_officer])
        page = officer.get(f"/requests/{rid}")
        r = officer.post(
            f"/requests/{rid}/answer", data={"csrf_token": form_token(page.text)}, follow_redirects=False
        )
        assert r.status_code == 303, r.text
        shown = officer.get(r.headers["location"]).text
    return shown.split('id="answer-mail" data-mail="')[1].split('"')[0]


def test_answering_mails_the_person_that_the_answer_is_ready_not_the_answer(
    env: Env, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    subject, rid = _answerable(env, "taro@example.jp")
    env.app.state.mail_sender = SmtpSender("127.0.0.1", port, "privacy@hogo.example.jp", starttls=False)
    try:
        assert _console_answer(env, rid) == "sent"
    finally:
        env.app.state.mail_sender = None
    [message] = inbox.messages
    text = _text(message)
    assert message["To"] == "taro@example.jp" and "回答" in str(message["Subject"])
    assert rid in text and "http://testserver/privacy" in text
    # Nothing of the answer: not the person's id, contacts, words or what was disclosed.
    for personal in (subject, "090-1234-5678", "taro@example.jp", "開示してください", "法33条"):
        assert personal not in text
    with read_scope(env.db) as s:
        assert rights.get(s, rid).state is RequestState.answered


def test_the_answer_stands_when_the_mail_cannot_be_sent(env: Env) -> None:
    _, rid = _answerable(env, "jiro@example.jp")
    env.app.state.mail_sender = SmtpSender("127.0.0.1", _port(), "privacy@hogo.example.jp", starttls=False)
    try:
        assert _console_answer(env, rid) == "failed"  # nobody listens on that port
    finally:
        env.app.state.mail_sender = None
    with read_scope(env.db) as s:
        assert rights.get(s, rid).state is RequestState.answered
    _, other = _answerable(env, "saburo@example.jp")
    assert _console_answer(env, other) == "not_configured"
