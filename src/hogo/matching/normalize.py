"""Normalise match keys (e-mail, phone) so that the same person's identifiers compare equal.

Why two paths: the scalar functions are the *definition* (NFKC, trimming, lower-casing, optional
provider rules, `phonenumbers` for telephone numbers) and are easy to read and test. Matching runs
over tens of millions of rows, where one `phonenumbers.parse` per row (~20 µs) would take minutes,
so the array functions compute the same result with Arrow compute kernels and hand only the rows
they cannot decide to the scalar definition. A hypothesis test holds the two paths equal.

The phone fast path accepts exactly two shapes after NFKC and removal of separators:
``0`` + national significant number, or ``+81`` + national significant number, and declares the
number valid only if the national number fully matches one of the Japanese number-type patterns
published in `phonenumbers`' own metadata (fixed line, mobile, toll free, IP phone, …). Everything
else (foreign numbers, letters, odd prefixes, invalid numbers) falls back to `phonenumbers`.

Invalid values are never matched: they become null and their row indices are reported, never
their contents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from hogo.domain.contacts import EMAIL_PATTERN as _EMAIL
from hogo.domain.contacts import PHONE_REGION as DEFAULT_REGION
from hogo.domain.contacts import TRIM_PATTERN as _TRIM
from hogo.domain.contacts import email_text

_BLANK = r"^[ \t\r\n\f\v]*$"
# Separators people write inside telephone numbers (after NFKC): spaces, hyphens and dashes,
# the katakana long-vowel mark typed for a hyphen, brackets, dots and slashes.
_PHONE_SEPARATORS = r"[ \t\-‐‑‒–—―−ー()\[\]./]"
_NATIONAL = r"^0[1-9][0-9]{8,9}$"
_INTERNATIONAL_JP = r"^\+81[1-9][0-9]{8,9}$"


@dataclass(frozen=True)
class EmailRules:
    """Provider-specific e-mail rules; all off unless a release spec turns them on.

    ``ignore_dots_domains``: the local part's dots are not significant (``t.aro`` = ``taro``).
    ``plus_tag_domains``: everything from ``+`` in the local part is a tag (``taro+x`` = ``taro``).
    ``domain_aliases``: domains that are the same mailbox provider (``googlemail.com``→``gmail.com``).
    """

    ignore_dots_domains: frozenset[str] = frozenset()
    plus_tag_domains: frozenset[str] = frozenset()
    domain_aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def gmail(cls) -> EmailRules:
        """Google's documented rules: dots ignored, ``+tag`` ignored, googlemail.com = gmail.com."""
        gmail = frozenset({"gmail.com"})
        return cls(gmail, gmail, {"googlemail.com": "gmail.com"})

    @property
    def active(self) -> bool:
        return bool(self.ignore_dots_domains or self.plus_tag_domains or self.domain_aliases)


def nfkc(value: str) -> str:
    """NFKC: full-width digits, letters, spaces and symbols become their ordinary forms."""
    return unicodedata.normalize("NFKC", value)


def normalize_email(value: str | None, rules: EmailRules | None = None) -> str | None:
    """The canonical form of an e-mail address, or None if it is missing or not an address."""
    if value is None:
        return None
    text = email_text(value)
    if text is None:
        return None
    local, domain = text.split("@")
    rules = rules or EmailRules()
    domain = rules.domain_aliases.get(domain, domain)
    if domain in rules.plus_tag_domains:
        local = local.split("+", 1)[0]
    if domain in rules.ignore_dots_domains:
        local = local.replace(".", "")
    if not local:
        return None
    return f"{local}@{domain}"


def normalize_phone(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (``+819012345678``) if `phonenumbers` finds a valid number, else None."""
    if value is None:
        return None
    text = nfkc(value)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    result: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return result


@dataclass(frozen=True)
class NormalizedColumn:
    """Normalised values (null where missing or invalid) and where the invalid ones were.

    ``invalid_rows`` are 0-based positions in the input; callers add their own row offset (for
    example the CSV header line) when they report them.
    """

    values: pa.Array
    missing: int
    invalid_rows: pa.Array
    fallback_rows: int = 0

    @property
    def invalid(self) -> int:
        return len(self.invalid_rows)

    @property
    def valid(self) -> int:
        return len(self.values) - int(self.values.null_count)


def _as_array(values: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    if pa.types.is_large_string(values.type) or pa.types.is_string_view(values.type):
        values = values.cast(pa.string())
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return values


def _result(
    source: pa.Array, nfkc_text: pa.Array | None, values: pa.Array, fallback: int = 0
) -> NormalizedColumn:
    """Blank cells (null, or only spaces after NFKC) are missing; other unusable cells invalid."""
    text = nfkc_text if nfkc_text is not None else pc.utf8_normalize(source, "NFKC")
    blank = pc.fill_null(pc.match_substring_regex(text, _BLANK), True)
    bad = pc.and_(pc.invert(blank), pc.is_null(values))
    rows = pc.indices_nonzero(bad)
    missing = int(pc.sum(pc.cast(blank, pa.int64())).as_py() or 0)
    return NormalizedColumn(values, missing, rows, fallback)


def normalize_email_array(
    values: pa.Array | pa.ChunkedArray | Iterable[str | None], rules: EmailRules | None = None
) -> NormalizedColumn:
    """Vectorised :func:`normalize_email` (same result for every row)."""
    source = _as_array(values)
    rules = rules or EmailRules()
    normalized = pc.utf8_normalize(source, "NFKC")
    text = pc.ascii_lower(pc.replace_substring_regex(normalized, _TRIM, ""))
    ok = pc.match_substring_regex(text, _EMAIL)
    text = pc.if_else(ok, text, pa.scalar(None, pa.string()))
    if rules.active:
        parts = pc.extract_regex(text, r"^(?P<local>[^@]+)@(?P<domain>.+)$")
        local = pc.struct_field(parts, "local")
        domain = pc.struct_field(parts, "domain")
        for alias, canonical in rules.domain_aliases.items():
            domain = pc.if_else(pc.equal(domain, alias), canonical, domain)
        if rules.plus_tag_domains:
            plus = pc.is_in(domain, pa.array(sorted(rules.plus_tag_domains), pa.string()))
            local = pc.if_else(plus, pc.replace_substring_regex(local, r"\+.*$", ""), local)
        if rules.ignore_dots_domains:
            dots = pc.is_in(domain, pa.array(sorted(rules.ignore_dots_domains), pa.string()))
            local = pc.if_else(dots, pc.replace_substring(local, ".", ""), local)
        local = pc.if_else(pc.equal(pc.utf8_length(local), 0), pa.scalar(None, pa.string()), local)
        text = pc.binary_join_element_wise(local, domain, "@")
    return _result(source, normalized, text)


def _jp_national_pattern() -> str:
    """The union of every Japanese number-type pattern in phonenumbers' metadata."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(DEFAULT_REGION)
    kinds = (
        "fixed_line",
        "mobile",
        "toll_free",
        "premium_rate",
        "shared_cost",
        "personal_number",
        "voip",
        "pager",
        "uan",
        "voicemail",
    )
    patterns = [
        d.national_number_pattern
        for k in kinds
        if (d := getattr(meta, k, None)) is not None and d.national_number_pattern
    ]
    return "^(?:" + "|".join(f"(?:{p})" for p in patterns) + ")$"


_JP_VALID = _jp_national_pattern()


def normalize_phone_array(
    values: pa.Array | pa.ChunkedArray | Iterable[str | None], region: str = DEFAULT_REGION
) -> NormalizedColumn:
    """Vectorised :func:`normalize_phone`: Arrow kernels for ordinary Japanese numbers.

    Rows the fast path cannot decide go to :func:`normalize_phone` one by one; their number is
    reported as ``fallback_rows`` so benchmarks can show how much work the fast path saved.
    """
    source = _as_array(values)
    null = pa.scalar(None, pa.string())
    if region != DEFAULT_REGION:
        normalized = None
        decided = pa.nulls(len(source), pa.string())
        undecided = pc.is_valid(source)
    else:
        normalized = pc.utf8_normalize(source, "NFKC")
        text = pc.replace_substring_regex(normalized, _PHONE_SEPARATORS, "")
        national = pc.if_else(
            pc.match_substring_regex(text, _NATIONAL),
            pc.utf8_slice_codeunits(text, 1),
            pc.if_else(
                pc.match_substring_regex(text, _INTERNATIONAL_JP), pc.utf8_slice_codeunits(text, 3), null
            ),
        )
        fast = pc.fill_null(pc.match_substring_regex(national, _JP_VALID), False)
        decided = pc.if_else(fast, pc.binary_join_element_wise("+81", national, ""), null)
        empty = pc.equal(pc.utf8_length(text), 0)
        undecided = pc.and_(pc.invert(fast), pc.invert(pc.fill_null(empty, True)))
    rows = pc.indices_nonzero(undecided).to_numpy()
    if len(rows) == 0:
        return _result(source, normalized, decided)
    raw = source.take(pa.array(rows)).to_pylist()
    slow = pa.array([normalize_phone(v, region) for v in raw], pa.string())
    merged = _scatter(decided, rows, slow)
    return _result(source, normalized, merged, fallback=len(rows))


def _scatter(base: pa.Array, rows: npt.NDArray[np.int64], values: pa.Array) -> pa.Array:
    """``base`` with ``values`` put at positions ``rows`` (Arrow has no in-place assignment)."""
    positions = np.full(len(base), -1, dtype=np.int64)
    positions[rows] = np.arange(len(values), dtype=np.int64)
    mask = pa.array(positions >= 0)
    picked = values.take(pa.array(np.where(positions >= 0, positions, 0)))
    result: pa.Array = pc.if_else(mask, picked, base)
    return result
