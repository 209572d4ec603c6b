"""Sending e-mail to persons: a small interface and its SMTP implementation.

What hogo sends a person (a one-time code for the privacy center) goes through a `Sender`, so a
deployment can plug in its own (an API-based mail service) and tests can read what was sent.
`SmtpSender` speaks SMTP with the standard library: STARTTLS by default (refused if the server
does not offer it), SMTPS on port 465, log-in when a user is set. Settings: HOGO_SMTP_HOST,
_PORT, _USER, _PASSWORD_FILE (the password is read from a file, never from the environment),
_FROM, _STARTTLS. Nothing about the message (address, body) is logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from hogo.errors import HogoError

log = logging.getLogger(__name__)

#: Seconds to connect and for each SMTP exchange.
SMTP_TIMEOUT = 20.0


class MailNotConfigured(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "電子メールの送信が設定されていません(HOGO_SMTP_HOST)。",
            "sending e-mail is not configured (HOGO_SMTP_HOST).",
        )


class MailFailed(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "電子メールを送信できませんでした。時間をおいて再度お試しください。",
            "the e-mail could not be sent; please try again later.",
        )


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


class Sender(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver the mail or raise MailFailed."""


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(mail.text, charset="utf-8")
        return message

    def _connect(self) -> smtplib.SMTP:
        if self.port == 465:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
        if self.starttls:
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, mail: Mail) -> None:
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(self._message(mail))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail not sent: %s", type(exc).__name__)
            raise MailFailed() from None


def smtp_sender(
    host: str | None,
    port: int,
    sender: str | None,
    user: str | None = None,
    password_file: Path | None = None,
    starttls: bool = True,
) -> SmtpSender | None:
    """The configured SMTP sender, or None when no host is set."""
    if not host:
        return None
    if not sender:
        raise HogoError(
            "送信者アドレス(HOGO_SMTP_FROM)を設定してください。", "set the sender address (HOGO_SMTP_FROM)."
        )
    password = password_file.read_text(encoding="utf-8").strip() if password_file else None
    return SmtpSender(host, port, sender, user, password, starttls)
