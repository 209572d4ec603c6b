"""Synthetic members and partner customers, generated a chunk at a time with numpy and Arrow.

Why vectorised: the release benchmark needs ten million members; a per-row Python generator
(Faker-style) runs at ~50k rows/s and would take an hour. Here every column is built with numpy
draws and Arrow string kernels over whole chunks; Python touches single values only in the few
per-cent of partner rows given full-width characters.

Partner rows are what a partner company really sends: the same people written differently
(upper case, padding spaces, full-width digits and letters, hyphens as ー or ‐, brackets, +81),
some with a changed address or number, a few unusable values, and customers who are not members.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from hogo.synth.vocab import (
    FEMALE_GIVEN,
    LANDLINE_AREAS,
    MAIL_DOMAINS,
    MALE_GIVEN,
    SURNAMES,
    postal_table,
    zipf_weights,
)

IntArray = npt.NDArray[np.int64]
_FULL_WIDTH = str.maketrans(
    {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}  # ASCII → full width
)


def ids(prefix: str, start: int, n: int, width: int = 10) -> pa.Array:
    """``prefix`` + zero-padded sequence numbers: M0000000001, …"""
    numbers = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


def digits(rng: np.random.Generator, n: int, width: int, first_nonzero: bool = False) -> pa.Array:
    low = 10 ** (width - 1) if first_nonzero else 0
    numbers = pc.cast(pa.array(rng.integers(low, 10**width, n, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(numbers, width, "0")


def pick(values: list[str], index: IntArray) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


def join(*parts: pa.Array | str) -> pa.Array:
    result: pa.Array = pc.binary_join_element_wise(*parts, "")
    return result


def member_id_width(members: int) -> int:
    """Digits of a member id for a data set of ``members``: seven up to 9,999,999, more beyond.

    Shared with the demo (`hogo.demo`), which numbers its members the same way from 1, so
    `hogo synth --members N` makes members and partner files whose ids are a demo of N members'.
    """
    return max(7, len(str(members)))


def member_id(number: int, width: int) -> str:
    return f"M{number:0{width}d}"


#: Strangers (partner customers who are not members) take line numbers from this index on (or
#: after the last member, in larger data sets), so they never share a number with a member.
STRANGER_BASE = 45_000_000


def stranger_base(members: int) -> int:
    """The first line number of strangers in a data set of ``members``."""
    return max(STRANGER_BASE, members)


def members_chunk(
    rng: np.random.Generator, start: int, n: int, as_of: date, phone_offset: int = 0, id_width: int = 10
) -> pa.Table:
    """``n`` members numbered from ``start``: names, contact details, address, birth date, sex.

    ``phone_offset`` (fixed per data set) shifts the line numbers so seeds differ while members
    of one data set never share a number by accident.
    """
    female = rng.random(n) < 0.51
    family = rng.choice(len(SURNAMES), n, p=zipf_weights(len(SURNAMES)))
    given_m = rng.choice(len(MALE_GIVEN), n, p=zipf_weights(len(MALE_GIVEN), 0.6))
    given_f = rng.choice(len(FEMALE_GIVEN), n, p=zipf_weights(len(FEMALE_GIVEN), 0.6))

    def given(col: int) -> pa.Array:
        return pc.if_else(
            pa.array(female),
            pick([g[col] for g in FEMALE_GIVEN], given_f),
            pick([g[col] for g in MALE_GIVEN], given_m),
        )

    fam = [pick([s[col] for s in SURNAMES], family) for col in range(3)]
    giv = [given(col) for col in range(3)]
    postal = postal_table()
    where = pa.array(postal.sample(rng, n))
    prefecture = postal.prefecture.take(where)
    born = _birth_dates(rng, n, as_of)
    joined = _join_dates(rng, born, as_of)
    return pa.table(
        {
            "member_id": ids("M", start, n, id_width),
            "name": join(fam[0], "\u3000", giv[0]),
            "name_kana": join(fam[1], "\u3000", giv[1]),
            "email": _emails(rng, n, fam[2], giv[2], born),
            "phone": _phones(rng, start, n, prefecture, phone_offset),
            "postal_code": _postal_codes(postal.code.take(where)),
            "prefecture": prefecture,
            "city": postal.city.take(where),
            "address_line": _address_lines(rng, n, postal.neighborhood.take(where)),
            "birth_date": pa.array(born, pa.date32()),
            "sex": pick(["M", "F"], female.astype(np.int64)),
            "joined_on": pa.array(joined, pa.date32()),
            "identity_verified": pa.array(rng.random(n) < 0.95),
        }
    )


def _postal_codes(codes: pa.Array) -> pa.Array:
    """123-4567, as people write it."""
    return join(pc.utf8_slice_codeunits(codes, 0, 3), "-", pc.utf8_slice_codeunits(codes, 3, 7))


def _birth_dates(rng: np.random.Generator, n: int, as_of: date) -> npt.NDArray[np.datetime64]:
    """Ages 10–95: a membership skewed to adults, with some children and very old members."""
    ages = np.arange(10, 96)
    weights = np.where(ages < 18, 0.5, np.where(ages < 80, 1.0, np.maximum(0.05, (96 - ages) / 16)))
    age = rng.choice(ages, n, p=weights / weights.sum())
    days = (age * 365.25 + rng.random(n) * 365).astype(np.int64)
    out: npt.NDArray[np.datetime64] = np.datetime64(as_of, "D") - days.astype("timedelta64[D]")
    return out


def _join_dates(
    rng: np.random.Generator, born: npt.NDArray[np.datetime64], as_of: date
) -> npt.NDArray[np.datetime64]:
    """Joined between 2016 and ``as_of``, never before the member's eighth birthday."""
    first = np.maximum(np.datetime64("2016-01-01", "D"), born + np.timedelta64(8 * 365, "D"))
    span = (np.datetime64(as_of, "D") - first).astype(np.int64)
    offset = (rng.random(len(born)) * np.maximum(span, 1)).astype(np.int64)
    out: npt.NDArray[np.datetime64] = first + offset.astype("timedelta64[D]")
    return out


def _emails(
    rng: np.random.Generator, n: int, family: pa.Array, given: pa.Array, born: npt.NDArray[np.datetime64]
) -> pa.Array:
    style = rng.choice(4, n, p=[0.35, 0.25, 0.2, 0.2])
    yy = pc.utf8_slice_codeunits(
        pc.cast(pa.array(born.astype("datetime64[Y]").astype(np.int64) + 1970), pa.string()), 2
    )
    # Enough random digits that strangers rarely share an address even among ten million.
    candidates = [
        join(given, ".", family, digits(rng, n, 5)),
        join(family, pc.utf8_slice_codeunits(given, 0, 1), digits(rng, n, 6)),
        join(given, "_", family, yy, digits(rng, n, 4)),
        join(family, digits(rng, n, 7)),
    ]
    local = pc.choose(pa.array(style), *candidates)
    domain = pick(
        [d for d, _ in MAIL_DOMAINS], rng.choice(len(MAIL_DOMAINS), n, p=_norm([w for _, w in MAIL_DOMAINS]))
    )
    email = join(local, "@", domain)
    # Families share an address now and then: the same token for two members (a conflict).
    shared = np.flatnonzero(rng.random(n) < 0.01)
    shared = shared[shared > 0]
    return _put(email, shared, email.take(pa.array(shared - 1)))


#: Eight-digit subscriber numbers make 90 million distinct lines per kind of number.
SUBSCRIBERS = 90_000_000
#: Line numbers past the first 90 million are IP phones (050, a prefix members below never get),
#: so every person of a 70-million-member data set with its strangers keeps a number of their own.
IP_PHONE = "050"


def _unique_subscribers(start: int, n: int, offset: int) -> pa.Array:
    """Eight-digit subscriber numbers, distinct for distinct line numbers below 90 million.

    Real numbers belong to one line each; random draws would give strangers the same number.
    Multiplying by a constant coprime to 9·10^7 permutes the range, and a seeded offset varies
    the numbers between seeds. Line numbers 90 million apart share a subscriber number, and
    `_phones` gives them different prefixes.
    """
    index = np.arange(start, start + n, dtype=np.int64)
    value = (index * 7_919 + offset) % SUBSCRIBERS + 10_000_000
    return pc.cast(pa.array(value), pa.string())


def _phones(rng: np.random.Generator, start: int, n: int, prefecture: pa.Array, offset: int) -> pa.Array:
    subscriber = _unique_subscribers(start, n, offset)
    head, tail = pc.utf8_slice_codeunits(subscriber, 0, 4), pc.utf8_slice_codeunits(subscriber, 4, 8)
    mobile = pick(["090", "080", "070"], rng.choice(3, n, p=[0.5, 0.4, 0.1]))
    areas = pa.array(list(LANDLINE_AREAS.values()), pa.string())
    found = pc.index_in(prefecture, value_set=pa.array(list(LANDLINE_AREAS), pa.string()))
    code = pc.fill_null(areas.take(found), "")
    use_landline = pc.and_(pc.not_equal(code, ""), pa.array(rng.random(n) < 0.3))
    prefix = pc.if_else(use_landline, code, mobile)
    if start + n > SUBSCRIBERS:
        second = pa.array(np.arange(start, start + n, dtype=np.int64) >= SUBSCRIBERS)
        prefix = pc.if_else(second, IP_PHONE, prefix)
    phone = join(prefix, "-", head, "-", tail)
    shared = np.flatnonzero(rng.random(n) < 0.005)
    shared = shared[shared > 0]
    return _put(phone, shared, phone.take(pa.array(shared - 1)))


def _address_lines(rng: np.random.Generator, n: int, neighborhood: pa.Array) -> pa.Array:
    def num(low: int, high: int) -> pa.Array:
        return pc.cast(pa.array(rng.integers(low, high, n)), pa.string())

    return join(neighborhood, num(1, 6), "丁目", num(1, 30), "-", num(1, 20))


def _norm(weights: list[float]) -> npt.NDArray[np.float64]:
    w = np.asarray(weights, dtype=np.float64)
    out: npt.NDArray[np.float64] = w / w.sum()
    return out


def _put(base: pa.Array, rows: IntArray, values: pa.Array) -> pa.Array:
    """``base`` with ``values`` at positions ``rows``."""
    if len(rows) == 0:
        return base
    mask = np.zeros(len(base), dtype=bool)
    mask[rows] = True
    order = np.argsort(rows, kind="stable")
    result: pa.Array = pc.replace_with_mask(base, pa.array(mask), values.take(pa.array(order)))
    return result


def _apply(
    rng: np.random.Generator, values: pa.Array, share: float, fn: Callable[[pa.Array], pa.Array]
) -> pa.Array:
    """Apply an Arrow kernel to a random ``share`` of rows."""
    mask = pa.array(rng.random(len(values)) < share)
    result: pa.Array = pc.if_else(mask, fn(values), values)
    return result


def full_width(rng: np.random.Generator, values: pa.Array, share: float) -> pa.Array:
    """Rewrite a random ``share`` of rows in full-width characters (as some forms store them)."""
    rows = np.flatnonzero(rng.random(len(values)) < share)
    picked = values.take(pa.array(rows)).to_pylist()
    converted = pa.array([v.translate(_FULL_WIDTH) if v is not None else None for v in picked], pa.string())
    return _put(values, rows, converted)


def messy_emails(rng: np.random.Generator, email: pa.Array) -> pa.Array:
    n = len(email)
    email = _apply(rng, email, 0.10, pc.ascii_upper)
    email = _apply(
        rng, email, 0.04, lambda a: pc.replace_substring_regex(a, "@gmail\\.com$", "+shop@gmail.com")
    )
    email = _apply(rng, email, 0.04, lambda a: join(" ", a, " "))
    email = _apply(rng, email, 0.02, lambda a: join("\u3000", a))
    email = full_width(rng, email, 0.04)
    changed = join(digits(rng, n, 9), "@", pick(["gmail.com", "yahoo.co.jp"], rng.integers(0, 2, n)))
    email = pc.if_else(pa.array(rng.random(n) < 0.08), changed, email)
    email = _apply(rng, email, 0.005, lambda a: pc.replace_substring(a, "@", ""))
    return pc.if_else(pa.array(rng.random(n) < 0.05), pa.scalar(None, pa.string()), email)


def messy_phones(rng: np.random.Generator, phone: pa.Array) -> pa.Array:
    """The hyphenated national form rewritten the ways partners store numbers."""
    n = len(phone)
    plain = pc.replace_substring(phone, "-", "")
    no_zero = pc.utf8_slice_codeunits(phone, 1)
    variants = [
        phone,
        plain,
        pc.replace_substring(phone, "-", " "),
        join("+81-", no_zero),
        join("+81", pc.utf8_slice_codeunits(plain, 1)),
        pc.replace_substring_regex(phone, "^([0-9]+)-", "(\\1)"),
        pc.replace_substring(phone, "-", "ー"),
        pc.replace_substring(phone, "-", "‐"),
        pc.replace_substring(phone, "-", "－"),
    ]
    style = rng.choice(len(variants), n, p=[0.3, 0.25, 0.08, 0.08, 0.05, 0.06, 0.05, 0.05, 0.08])
    out = pc.choose(pa.array(style), *variants)
    out = full_width(rng, out, 0.07)
    changed = join("080-", digits(rng, n, 4, first_nonzero=True), "-", digits(rng, n, 4))
    out = pc.if_else(pa.array(rng.random(n) < 0.06), changed, out)
    out = _apply(rng, out, 0.005, lambda a: pc.utf8_slice_codeunits(a, 0, -1))
    return pc.if_else(pa.array(rng.random(n) < 0.05), pa.scalar(None, pa.string()), out)


def partner_chunk(
    rng: np.random.Generator,
    members: pa.Table,
    n_overlap: int,
    n_new: int,
    start: int,
    as_of: date,
    phone_offset: int = 0,
    strangers_from: int = STRANGER_BASE,
) -> tuple[pa.Table, pa.Table]:
    """Partner customers (Japanese column names, messy values) and the hidden truth table.

    The truth (customer number → member id or null) is for measuring match quality only; it is
    written to its own file and never part of what a partner would send.
    """
    chosen = rng.choice(members.num_rows, size=min(n_overlap, members.num_rows), replace=False)
    known = members.take(pa.array(np.sort(chosen)))
    strangers = members_chunk(rng, strangers_from + start, n_new, as_of, phone_offset)
    people = pa.concat_tables([known, strangers])
    order = rng.permutation(people.num_rows)
    people = people.take(pa.array(order))
    is_member = np.concatenate([np.ones(known.num_rows, bool), np.zeros(n_new, bool)])[order]
    n = people.num_rows
    customer = ids("C", start, n)
    name = pc.if_else(
        pa.array(rng.random(n) < 0.3), pc.replace_substring(people["name"], "\u3000", " "), people["name"]
    )
    postal = _apply(rng, people["postal_code"].combine_chunks(), 0.1, lambda a: join("〒", a))
    table = pa.table(
        {
            "顧客番号": customer,
            "氏名": name,
            "メールアドレス": messy_emails(rng, people["email"].combine_chunks()),
            "電話番号": messy_phones(rng, people["phone"].combine_chunks()),
            "郵便番号": full_width(rng, postal, 0.05),
            "住所": join(
                people["prefecture"].combine_chunks(),
                people["city"].combine_chunks(),
                people["address_line"].combine_chunks(),
            ),
            "生年月日": people["birth_date"],
        }
    )
    truth = pa.table(
        {
            "customer_no": customer,
            "member_id": pc.if_else(pa.array(is_member), people["member_id"], pa.scalar(None, pa.string())),
        }
    )
    return table, truth
