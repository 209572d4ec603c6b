"""The password policy: long enough, not blank, and not a common or easily guessed password.

Common and breached passwords are found offline with zxcvbn, whose frequency lists include the
most common passwords from published breach corpora; it also catches what a list cannot (one
character repeated, keyboard walks, a dictionary word and a year, the user's own name). A
password passes when zxcvbn estimates at least 10^8 guesses (its score 3), which every
12-character random or passphrase-like password reaches.
"""

from __future__ import annotations

import threading
from typing import Any

from hogo.errors import InputError

MIN_PASSWORD_LENGTH = 12
#: The log-in form accepts this many characters; a longer password could never be typed in.
MAX_PASSWORD_LENGTH = 1024
#: zxcvbn's score (0–4) a password needs: 3 means about 10^8 guesses or more.
MIN_SCORE = 3
#: zxcvbn refuses longer input (its matching is quadratic); the rest adds strength anyway.
_ZXCVBN_MAX = 72
#: zxcvbn keeps the user inputs of a call in a module-level dictionary: one call at a time.
_lock = threading.Lock()


def _estimate(password: str, user_inputs: list[str]) -> dict[str, Any]:
    from zxcvbn import zxcvbn  # imported on use: loading its word lists takes ~0.2 s

    with _lock:
        result: dict[str, Any] = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=user_inputs)
    return result


def check_password(password: str, *, username: str = "", display_name: str = "") -> None:
    """Raise InputError (field `password`, never the value) if `password` may not be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。",
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(
            f"パスワードは{MAX_PASSWORD_LENGTH}文字以内にしてください。",
            f"the password may have at most {MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if not password.strip():
        raise InputError(
            "空白だけのパスワードは使えません。", "a password of blanks only is not allowed.",
            field="password",
        )  # fmt: skip
    inputs = [s for s in (username, display_name, "hogo") if s.strip()]
    if _estimate(password, inputs)["score"] < MIN_SCORE:
        raise InputError(
            "よく使われるパスワードや推測されやすいパスワード(同じ文字の繰り返し、並んだキー、"
            "単語と数字の組み合わせ、ユーザー名を含むものなど)は使えません。",
            "this password is common or easy to guess (repeated characters, keyboard patterns, "
            "a word and digits, the user name, …); choose another.",
            field="password",
        )
