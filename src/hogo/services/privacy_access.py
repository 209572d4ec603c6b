"""How a person gets into the privacy center: a signed link or a one-time code by e-mail.

hogo runs no member accounts, so a person is identified by what the business already knows:
- **signed link**: the member site, where the person is logged in, mints a short-lived JWT for
  them with audience `PRIVACY_CENTER_AUDIENCE` (verified and spent by
  `services.sites.verify_member_token`, the one verifier of member tokens), or asks hogo's API
  for a link (`mint_link`: a hogo ticket for the same audience, `services.tickets`);
- **one-time code**: the person gives their member id and e-mail address; if the address is the
  one registered for that id, a six-digit code is sent there (`services.mail.Sender`). Codes are
  kept as HMACs, expire after ten minutes, allow five tries, and an address gets at most
  `per_hour` codes an hour. The answer never says whether the id and address matched.

Either way a server-side session is opened: the browser holds a random id (in its own cookie,
apart from the officer console's), the store its digest, the subject, how they were identified
(`IdentityCheck`, kept so each action can record it) and the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hogo.auth.secrets import digest, new_secret, same
from hogo.domain.consent import IdentityCheck
from hogo.domain.ids import is_record_id
from hogo.errors import HogoError
from hogo.services import sites, tickets
from hogo.services.mail import Mail, Sender
from hogo.services.subjects import get_subject
from hogo.store.database import one_at_a_time
from hogo.store.privacy_center import EmailCodeRow, PersonSessionRow
from hogo.store.tables import SubjectRow

#: A link minted over the API lives this long (a member site's own token: at most the same).
LINK_LIFETIME = timedelta(minutes=15)
CODE_LIFETIME = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_DIGITS = 6


class CodeRefused(HogoError):
    """One message for a wrong, expired, used-up or unknown code."""

    def __init__(self) -> None:
        super().__init__(
            "確認コードが正しくないか、有効期限が切れています。もう一度コードを請求してください。",
            "the code is not correct or has expired; please ask for a new code.",
        )


class TooManyCodes(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "確認コードの請求が多すぎます。1時間ほどおいてから再度お試しください。",
            "too many codes were asked for; please try again in an hour.",
        )


@dataclass(frozen=True)
class PersonSession:
    """Who is in the privacy center, how they were identified, and the session's CSRF token."""

    subject_id: str
    identity_check: IdentityCheck
    site_id: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Opened:
    session_id: str  # for the cookie; only its digest is stored
    person: PersonSession


@dataclass(frozen=True)
class Link:
    token: str
    expires_at: datetime


def _hmac_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hogo privacy codes/1").derive(
        secret_key.encode("utf-8")
    )


def _keyed(secret_key: str, value: str) -> str:
    return hmac.new(_hmac_key(secret_key), value.encode("utf-8"), sha256).hexdigest()


def _normal_address(address: str) -> str:
    return address.strip().casefold()


def open_session(
    session: Session, subject_id: str, check: IdentityCheck, site_id: str, ttl: timedelta, now: datetime
) -> Opened:
    session.execute(delete(PersonSessionRow).where(PersonSessionRow.expires_at < now))
    session_id, csrf = new_secret(), new_secret()
    row = PersonSessionRow(
        id_hash=digest(session_id),
        subject_id=subject_id,
        verification=check.value,
        site_id=site_id,
        csrf_token=csrf,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return Opened(session_id, PersonSession(subject_id, check, site_id, csrf, row.expires_at))


def enter_with_link(
    session: Session, token: str, *, secret_key: str, ttl: timedelta, now: datetime | None = None
) -> Opened:
    """Verify and spend a signed link's token; open a session for the person it names.

    A token with a key id is a member site's (`sites.verify_member_token`); one without is a
    link hogo minted over the API (`tickets.redeem`). Both need the privacy center's audience.
    """
    now = now or datetime.now(UTC)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise sites.TokenRefused() from None
    audience = sites.PRIVACY_CENTER_AUDIENCE
    if "kid" in header:
        member = sites.verify_member_token(session, token, audience, secret_key=secret_key, now=now)
        subject_id, site_id = member.subject_id, member.site_id
    else:
        claims = tickets.redeem(session, token, audience, secret_key=secret_key)
        subject_id, site_id = str(claims["sub"]), ""
        if not is_record_id(subject_id) or session.get(SubjectRow, subject_id) is None:
            raise sites.TokenRefused()
    return open_session(session, subject_id, IdentityCheck.signed_link, site_id, ttl, now)


def mint_link(session: Session, subject_id: str, *, secret_key: str, now: datetime | None = None) -> Link:
    """A single-use link token for this person (the API's `mintPrivacyCenterLink`)."""
    get_subject(session, subject_id)
    token, expires = tickets.issue(
        sites.PRIVACY_CENTER_AUDIENCE,
        subject_id,
        {},
        lifetime=LINK_LIFETIME,
        secret_key=secret_key,
        now=now or datetime.now(UTC),
    )
    return Link(token, expires)


def _code_mail(to: str, code: str, minutes: int) -> Mail:
    text = (
        f"プライバシーセンターの確認コードは {code} です。{minutes}分間有効です。\n"
        "お心当たりのない場合は、このメールを破棄してください。\n\n"
        f"Your privacy center code is {code}. It is valid for {minutes} minutes.\n"
        "If you did not ask for it, please ignore this message.\n"
    )
    return Mail(to=to, subject="確認コード / Your code", text=text)


def request_code(
    session: Session,
    subject_id: str,
    address: str,
    sender: Sender,
    *,
    secret_key: str,
    per_hour: int,
    now: datetime | None = None,
) -> str:
    """Send a one-time code if `address` is the one registered for `subject_id`.

    Returns a challenge id for the code form whether or not anything was sent, so the answer
    does not reveal who is a member or which address they registered."""
    now = now or datetime.now(UTC)
    challenge = new_secret()
    address_hash = _keyed(secret_key, _normal_address(address))
    # Code requests for one address wait for each other: each counts the codes sent before it.
    one_at_a_time(session, f"privacy-code:{address_hash}")
    session.execute(delete(EmailCodeRow).where(EmailCodeRow.expires_at < now - timedelta(hours=1)))
    sent = session.scalar(
        select(func.count())
        .select_from(EmailCodeRow)
        .where(EmailCodeRow.address_hash == address_hash, EmailCodeRow.created_at > now - timedelta(hours=1))
    )
    if (sent or 0) >= per_hour:
        raise TooManyCodes()
    # An id that cannot exist is never sent to the store (PostgreSQL refuses NUL in text).
    row = session.get(SubjectRow, subject_id) if is_record_id(subject_id) else None
    if row is None or not row.email or _normal_address(row.email) != _normal_address(address):
        return challenge
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    session.add(
        EmailCodeRow(
            challenge_hash=digest(challenge),
            subject_id=subject_id,
            code_hash=_keyed(secret_key, f"{challenge}\x1f{code}"),
            address_hash=address_hash,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            attempts=0,
        )
    )
    session.flush()
    sender.send(_code_mail(row.email, code, int(CODE_LIFETIME.total_seconds() // 60)))
    return challenge


def enter_with_code(
    session: Session,
    challenge: str,
    code: str,
    *,
    secret_key: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> Opened:
    """Check the code for the challenge; a wrong one counts against the five tries.

    The caller must keep the transaction when this raises CodeRefused (the count is written).
    The code's row is locked first: tries sent at once would otherwise read the same count (on
    PostgreSQL), so each would be one of the five, and two could both spend the code."""
    now = now or datetime.now(UTC)
    row = session.get(EmailCodeRow, digest(challenge), with_for_update=True) if challenge else None
    if row is None or row.used_at is not None or row.expires_at <= now or row.attempts >= CODE_ATTEMPTS:
        raise CodeRefused()
    if not same(row.code_hash, _keyed(secret_key, f"{challenge}\x1f{code.strip()}")):
        row.attempts += 1
        session.flush()
        raise CodeRefused()
    row.used_at = now
    return open_session(session, row.subject_id, IdentityCheck.email_code, "", ttl, now)


def person_session(session: Session, session_id: str, now: datetime | None = None) -> PersonSession | None:
    """The live privacy-center session with this id, or None."""
    row = session.get(PersonSessionRow, digest(session_id))
    if row is None or row.expires_at <= (now or datetime.now(UTC)):
        return None
    return PersonSession(
        row.subject_id, IdentityCheck(row.verification), row.site_id, row.csrf_token, row.expires_at
    )


def close(session: Session, session_id: str) -> None:
    session.execute(delete(PersonSessionRow).where(PersonSessionRow.id_hash == digest(session_id)))


def forget(session: Session, subject_id: str) -> None:
    """Erasure (法35条): the person's sessions and codes go with them."""
    session.execute(delete(PersonSessionRow).where(PersonSessionRow.subject_id == subject_id))
    session.execute(delete(EmailCodeRow).where(EmailCodeRow.subject_id == subject_id))
