"""The password policy refuses short, blank, common and guessable passwords (issue 10.7)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hogo.auth.passwords import check_password
from hogo.auth.roles import Role
from hogo.errors import InputError
from hogo.services import auth
from hogo.store.database import write_scope


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",  # one character repeated
        "password1234",  # a common password and digits
        " " * 12,  # blanks only
        "\t \u3000" * 4,  # blanks, including the ideographic space
        "qwertyuiop12",  # a keyboard walk
        "iloveyou2024",  # breached-list favourite and a year
        "short",
        "x" * 1025,  # longer than the log-in form accepts
    ],
)
def test_weak_passwords_are_refused_without_echo(password: str) -> None:
    with pytest.raises(InputError) as refused:
        check_password(password)
    assert refused.value.field == "password"
    assert password.strip() not in str(refused.value) or not password.strip()


def test_the_user_name_is_not_a_password() -> None:
    check_password("tanaka.ichiro99")  # fine for someone else
    with pytest.raises(InputError):
        check_password("tanaka.ichiro99", username="tanaka.ichiro99")


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "Hx7!vq2#Lm9@", "川の流れのように穏やかに"]
)
def test_strong_passwords_pass(password: str) -> None:
    check_password(password)


def test_create_user_applies_the_policy(sqlite_engine: Engine) -> None:
    with write_scope(sqlite_engine) as session, pytest.raises(InputError):
        auth.create_user(session, "weak", "password1234", Role.operator)
    with write_scope(sqlite_engine) as session:
        assert auth.list_users(session) == []
