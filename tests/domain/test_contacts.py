"""A person's e-mail address and phone number are checked where every front end builds the person
(`SubjectPatch`: the subject import, `hogo subject add`, a correction request), by the definitions
matching uses: an address hogo keeps is one it can match and keep out after an erasure, and a
number matching can use is never refused (was: any text was kept, "abc" as a phone number)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hogo.domain.consent import SubjectPatch
from hogo.matching.normalize import normalize_email, normalize_phone
from tests.matching.test_normalize import japanese_phone, messy_text, valid_japanese_phone

_local = st.text("abcXYZ019._+-'=", min_size=1, max_size=12)
_domain = st.sampled_from(
    ["example.jp", "Example.co.jp", "docomo.ne.jp", "x", "-a.jp", "a..jp", "例え.jp", ""]
)
addresses = st.builds(
    lambda pad, local, at, domain: f"{pad}{local}{at}{domain}{pad}",
    st.sampled_from(["", " ", "　", "\t"]),
    _local,
    st.sampled_from(["@", "＠", "", "@@"]),
    _domain,
)


def _kept(**given: str) -> bool:
    try:
        SubjectPatch(subject_id="S1", **given)
    except ValidationError as exc:
        assert all(e["loc"] == (next(iter(given)),) for e in exc.errors())
        return False
    return True


@settings(max_examples=300)
@given(st.one_of(addresses, messy_text))
def test_an_address_is_kept_exactly_when_matching_can_use_it(value: str) -> None:
    blank = not value.strip()
    assert _kept(email=value) == (blank or normalize_email(value) is not None)


@settings(max_examples=500)
@given(st.one_of(japanese_phone(), valid_japanese_phone()))
def test_every_number_matching_can_use_is_kept(value: str) -> None:
    if normalize_phone(value) is not None:
        assert _kept(phone=value) == (len(value) <= 32)  # the store's column holds 32 characters


@pytest.mark.parametrize(
    "value", ["abc", "12", "0" * 40, "090-1234-5678 内線", "=HYPERLINK(1)", "@SUM(1)", "+", "090\x001234"]
)
def test_what_is_no_phone_number_is_refused(value: str) -> None:
    assert not _kept(phone=value)


@pytest.mark.parametrize(
    "value", ["yamada@", "@example.jp", "not-an-email", "=1+1@x", "a@b", "a" * 310 + "@example.jp"]
)
def test_what_is_no_address_is_refused(value: str) -> None:
    assert not _kept(email=value)


def test_the_refusal_names_no_value() -> None:
    with pytest.raises(ValidationError) as info:
        SubjectPatch(subject_id="S1", email="secret-hanako", phone="secret-090")
    problems = info.value.errors(include_url=False, include_input=False)
    assert {p["loc"] for p in problems} == {("email",), ("phone",)}
    assert not any("secret" in p["msg"] for p in problems)
