"""Suppression entries (法35条): a stopped or erased person must not come back silently.

When a 利用停止・消去・第三者提供の停止 request is carried out, hogo keeps keyed HMAC tokens of the
person's identifiers (subject id, normalised e-mail and phone; `matching.tokens`, under the
token key `HOGO_TOKEN_KEY`), never the identifiers. A later subject registration that would
re-create an erased person, or a consent import that would grant consent again for a stopped
one, is refused naming the row and field, with no personal value in the message. Tokens made
under another key (the key's fingerprint is kept) no longer match: rotate the key knowingly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hogo.domain.consent import SubjectPatch
from hogo.errors import InputError
from hogo.matching.normalize import normalize_email, normalize_phone
from hogo.matching.tokens import TokenKey, load_key
from hogo.store.rights_requests import SuppressionRow

SUBJECT_ID, EMAIL, PHONE = "subject_id", "email", "phone"

SUPPRESSED = (
    "本人の請求(法35条)により利用停止・消去した本人に当たるため、取り込みません。",
    "this person was stopped or erased on their request (art. 35); not imported.",
)


@dataclass(frozen=True)
class Suppressed:
    """The tokens in force, by token: whether the person was erased (else only stopped)."""

    key: TokenKey
    erased: dict[str, bool]

    def hit(self, kind: str, value: str | None) -> bool | None:
        """None: no entry; else whether the entry is an erasure."""
        normalised = _normalise(kind, value)
        if normalised is None:
            return None
        return self.erased.get(self.key.token(kind, normalised))


def _normalise(kind: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if kind == EMAIL:
        return normalize_email(value)
    if kind == PHONE:
        return normalize_phone(value)
    return value


def token_key() -> TokenKey:
    return load_key(file_hint="HOGO_TOKEN_KEY")


def tokens_of(key: TokenKey, subject_id: str, email: str | None, phone: str | None) -> list[tuple[str, str]]:
    """(kind, token) for each identifier the person has."""
    found = []
    for kind, value in ((SUBJECT_ID, subject_id), (EMAIL, email), (PHONE, phone)):
        normalised = _normalise(kind, value)
        if normalised is not None:
            found.append((kind, key.token(kind, normalised)))
    return found


def add(
    session: Session, request_id: str, tokens: Iterable[tuple[str, str]], key: TokenKey, *, erased: bool
) -> int:
    """Keep the tokens (an entry already kept becomes an erasure if this one is)."""
    now = datetime.now(UTC)
    count = 0
    for kind, token in tokens:
        row = session.get(SuppressionRow, token)
        if row is None:
            session.add(
                SuppressionRow(
                    token=token,
                    kind=kind,
                    request_id=request_id,
                    key_fingerprint=key.fingerprint,
                    erased=erased,
                    created_at=now,
                )
            )
        elif erased and not row.erased:
            row.erased, row.request_id = True, request_id
        count += 1
    session.flush()
    return count


def in_force(session: Session) -> Suppressed | None:
    """The entries to check against, or None when there are none (no key is needed then)."""
    rows = session.execute(select(SuppressionRow.token, SuppressionRow.erased)).all()
    if not rows:
        return None
    return Suppressed(token_key(), {str(token): bool(erased) for token, erased in rows})


def check_new_subjects(
    session: Session, patches: Sequence[SubjectPatch], rows: Sequence[int] | None = None
) -> None:
    """Refuse registering again a person erased on their request; names the row and field."""
    found = in_force(session)
    if found is None:
        return
    for i, patch in enumerate(patches):
        for kind in (SUBJECT_ID, EMAIL, PHONE):
            value = patch.subject_id if kind == SUBJECT_ID else getattr(patch, kind)
            if found.hit(kind, value):
                raise InputError(*SUPPRESSED, row=rows[i] if rows is not None else None, field=kind)
