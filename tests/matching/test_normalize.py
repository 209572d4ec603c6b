"""The vectorised normalisers must agree with the scalar definitions on every input."""

from __future__ import annotations

import unicodedata

import phonenumbers
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.matching.normalize import (
    EmailRules,
    normalize_email,
    normalize_email_array,
    normalize_phone,
    normalize_phone_array,
)

FULL_WIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")
SEPARATORS = ["", "-", " ", "　", "－", "ー", "−", "‐", "(", ")", "（", "）", ".", "/", "--", "x", "#"]
PREFIXES = ["090", "080", "070", "060", "03", "06", "011", "045", "0466", "04992", "0120", "0800",
            "050", "0570", "020", "0990", "00", "01", "0", "1", "81", "+81", "+810", "+1", "+44", "0081"]  # fmt: skip


def _assigned(c: str) -> bool:
    # Characters this Python's Unicode database does not know may normalise differently in Arrow.
    return unicodedata.category(c) != "Cn" and not ("\ud800" <= c <= "\udfff")


messy_text = st.text(st.characters(exclude_categories=("Cn", "Cs")).filter(_assigned), max_size=20)


@st.composite
def japanese_phone(draw: st.DrawFn) -> str:
    """A Japanese-looking number written as people do: full-width, hyphens, brackets, +81."""
    prefix = draw(st.sampled_from(PREFIXES))
    rest = draw(st.text("0123456789", min_size=4, max_size=11))
    digits = list(prefix + rest)
    out = []
    for ch in digits:
        out.append(ch)
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(SEPARATORS)))
    text = "".join(out)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    pad = draw(st.sampled_from(["", " ", "　", "\t"]))
    return pad + text + pad


@st.composite
def valid_japanese_phone(draw: st.DrawFn) -> str:
    """A number phonenumbers accepts, formatted in one of the ways partners write it."""
    national = draw(
        st.one_of(
            st.from_regex(r"\A[7-9]0[1-9][0-9]{7}\Z"),
            st.from_regex(r"\A3[1-9][0-9]{7}\Z"),
            st.from_regex(r"\A120[0-9]{6}\Z"),
            st.from_regex(r"\A50[1-9][0-9]{7}\Z"),
        )
    )
    style = draw(st.integers(0, 3))
    text = {
        0: "0" + national,
        1: "+81" + national,
        2: "+81 " + national,
        3: "0" + national[:2] + "-" + national[2:],
    }[style]
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


phones = st.lists(st.one_of(japanese_phone(), valid_japanese_phone(), messy_text, st.none()), max_size=40)


@settings(max_examples=150, deadline=None)
@given(phones)
def test_phone_fast_path_agrees_with_phonenumbers(values: list[str | None]) -> None:
    result = normalize_phone_array(values)
    assert result.values.to_pylist() == [normalize_phone(v) for v in values]


@settings(max_examples=60, deadline=None)
@given(st.lists(valid_japanese_phone(), min_size=1, max_size=30))
def test_valid_numbers_take_the_fast_path_and_are_e164(values: list[str]) -> None:
    result = normalize_phone_array(values)
    assert result.fallback_rows == 0
    for out in result.values.to_pylist():
        assert out is not None and out.startswith("+81")
        assert phonenumbers.is_valid_number(phonenumbers.parse(out))


def test_phone_examples_and_invalid_rows_are_reported_by_position() -> None:
    values = [
        "０９０－１２３４－５６７８",
        "+81 3-1234-5678",
        "03(1234)5678",
        "abc",
        "",
        None,
        "090-1234-567",
    ]
    result = normalize_phone_array(values)
    assert result.values.to_pylist()[:3] == ["+819012345678", "+81312345678", "+81312345678"]
    assert result.invalid_rows.to_pylist() == [3, 6]
    assert result.missing == 2
    assert result.valid == 3


def test_foreign_region_uses_phonenumbers_for_everything() -> None:
    result = normalize_phone_array(["650 253 0000", "03-1234-5678"], region="US")
    assert result.values.to_pylist() == [
        normalize_phone("650 253 0000", "US"),
        normalize_phone("03-1234-5678", "US"),
    ]
    assert result.fallback_rows == 2


local_chars = st.text("abcXYZ019.+_-ＡＢｃ１", min_size=0, max_size=10)
domains = st.sampled_from(
    [
        "gmail.com",
        "GMail.com",
        "googlemail.com",
        "yahoo.co.jp",
        "docomo.ne.jp",
        "ｅｚｗｅｂ．ｎｅ．ｊｐ",
        "x",
        "a..b",
        "",
    ]
)


@st.composite
def emails(draw: st.DrawFn) -> str:
    at = draw(st.sampled_from(["@", "＠", "@@", ""]))
    pad = draw(st.sampled_from(["", " ", "　", "\n"]))
    return pad + draw(local_chars) + at + draw(domains) + pad


rule_sets = st.sampled_from(
    [EmailRules(), EmailRules.gmail(), EmailRules(plus_tag_domains=frozenset({"yahoo.co.jp"}))]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(emails(), messy_text, st.none()), max_size=40), rule_sets)
def test_email_array_agrees_with_scalar(values: list[str | None], rules: EmailRules) -> None:
    result = normalize_email_array(values, rules)
    assert result.values.to_pylist() == [normalize_email(v, rules) for v in values]


def test_email_rules_apply_only_when_enabled() -> None:
    raw = " Taro.Sato+news@GoogleMail.com "
    assert normalize_email(raw) == "taro.sato+news@googlemail.com"
    assert normalize_email(raw, EmailRules.gmail()) == "tarosato@gmail.com"
    assert normalize_email("ＴＡＲＯ＠ｙａｈｏｏ．ｃｏ．ｊｐ") == "taro@yahoo.co.jp"
    assert normalize_email("a..b.@docomo.ne.jp") == "a..b.@docomo.ne.jp"  # real carrier addresses
    assert normalize_email("no-at-sign") is None
    assert normalize_email("+tag@gmail.com", EmailRules.gmail()) is None


def test_chunked_and_large_string_inputs() -> None:
    chunked = pa.chunked_array([["A@B.JP"], [None, "x@y.jp"]], type=pa.large_string())
    assert normalize_email_array(chunked).values.to_pylist() == ["a@b.jp", None, "x@y.jp"]
