"""What hogo keeps as a person's e-mail address and telephone number: the one definition that the
person's model (`consent.SubjectPatch`: every front end), matching (`matching.normalize`) and the
erasure's keep-out list share, so an address hogo keeps is one it can match and keep out."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Trimming uses an explicit ASCII class so that Python's `re` and Arrow's RE2 (matching's array
# path) agree exactly (NFKC has already turned ideographic and no-break spaces into U+0020).
TRIM_PATTERN = r"^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$"
# Lenient on the local part on purpose: Japanese carrier addresses with ".." or a dot before "@"
# were issued for years and are real. Only ASCII addresses (lower-cased) match.
EMAIL_PATTERN = (
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
#: Where a number without a country code is dialled.
PHONE_REGION = "JP"
_TRIM_RE = re.compile(TRIM_PATTERN)
_EMAIL_RE = re.compile(EMAIL_PATTERN)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def email_text(value: str) -> str | None:
    """The address as hogo compares it (NFKC, trimmed, ASCII lower case), or None if it is not one.

    The one definition: an address hogo keeps is one it can match (`matching.normalize`) and keep
    out after an erasure (`services.suppression`)."""
    text = _TRIM_RE.sub("", unicodedata.normalize("NFKC", value)).translate(_ASCII_LOWER)
    return text if _EMAIL_RE.match(text) else None


def checked_email(value: str | None) -> str | None:
    """An address hogo can keep (`email_text`), within the store's column."""
    if value is not None and (len(value) > 320 or email_text(value) is None):  # 320: the store's column
        raise ValueError("メールアドレスの形式ではありません / not an e-mail address")
    return value


def checked_phone(value: str | None) -> str | None:
    """A number as people write it, of a length some number can have (`phonenumbers`, which reads
    separators, +81 or 0…, as matching does); whether it is in service is for matching to judge
    (`matching.normalize.normalize_phone`), so a number matching can use is never refused."""
    if value is None:
        return None
    possible = len(value) <= 32  # the store's column
    if possible:
        try:
            number = phonenumbers.parse(unicodedata.normalize("NFKC", value).strip(), PHONE_REGION)
            possible = phonenumbers.is_possible_number(number)
        except phonenumbers.NumberParseException:
            possible = False
    if not possible:
        raise ValueError("電話番号の形式ではありません / not a telephone number")
    return value
