"""Synthetic purchases and consent histories for a chunk of members.

Consent histories follow the domain (`hogo.domain.consent`): every member accepted the terms
version in force when they joined as one bundled event (purpose ``*``, see
``ALL_PURPOSES_IN_TERMS``): "2020-04" before 2021-07-01, "2021-07" after; many earlier members
later accepted "2021-07" too. Some members then granted or denied individual purposes, some
withdrew a grant or objected to provision (法27条2項, 法35条). Members under the guardian age at
the time of an event have a guardian recorded on most of their events but not all, so the
eligibility rules have both cases to decide.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentMethod
from hogo.synth.people import ids, join, pick
from hogo.synth.vocab import FEMALE_GIVEN, MALE_GIVEN

TERMS_2020 = "2020-04"
TERMS_2021 = "2021-07"
TERMS_2021_FROM = np.datetime64("2021-07-01", "D")
DEFAULT_PURPOSES = ("marketing_email", "partner_provision", "targeted_ads")
GUARDIAN_AGE = 16
CATEGORIES = ["食品", "日用品", "衣料品", "家電", "書籍", "化粧品", "医薬品", "酒類", "玩具", "スポーツ用品"]
_METHODS = [
    m.value for m in (ConsentMethod.web_form, ConsentMethod.app, ConsentMethod.paper, ConsentMethod.email)
]
_DAY_US = 86_400_000_000
IntArray = npt.NDArray[np.int64]


def _timestamps(days: npt.NDArray[np.datetime64], rng: np.random.Generator) -> pa.Array:
    """A time of day (09:00–21:00 JST, stored in UTC) on each date."""
    micros = days.astype("datetime64[us]").astype(np.int64)
    seconds = rng.integers(0, 12 * 3600, len(days))
    micros = micros + seconds * 1_000_000
    return pa.array(micros, pa.timestamp("us", tz="UTC"))


def _days_after(
    rng: np.random.Generator, start: npt.NDArray[np.datetime64], end: np.datetime64
) -> npt.NDArray[np.datetime64]:
    span = np.maximum((end - start).astype(np.int64), 0)
    out: npt.NDArray[np.datetime64] = start + (rng.random(len(start)) * span).astype("timedelta64[D]")
    return out


def purchases_chunk(
    rng: np.random.Generator, members: pa.Table, start: int, per_member: float, as_of: date
) -> pa.Table:
    """Purchase facts: a Poisson number per member, dated between joining and ``as_of``."""
    counts = rng.poisson(per_member, members.num_rows)
    owner = np.repeat(np.arange(members.num_rows), counts)
    n = len(owner)
    joined = members["joined_on"].to_numpy().astype("datetime64[D]")[owner]
    days = _days_after(rng, joined, np.datetime64(as_of, "D"))
    amount = np.round(rng.lognormal(7.8, 0.9, n), -1).astype(np.int64) + 100
    return pa.table(
        {
            "purchase_id": ids("P", start, n, width=12),
            "member_id": members["member_id"].take(pa.array(owner)),
            "purchased_at": _timestamps(days, rng),
            "category": pick(CATEGORIES, rng.integers(0, len(CATEGORIES), n)),
            "amount_yen": pa.array(amount),
            "prefecture": members["prefecture"].take(pa.array(owner)),
        }
    )


class _Events:
    """Columns of consent events, appended a batch at a time."""

    def __init__(self) -> None:
        self.owner: list[IntArray] = []
        self.day: list[npt.NDArray[np.datetime64]] = []
        self.purpose: list[pa.Array] = []
        self.action: list[str] = []
        self.sizes: list[int] = []
        self.terms: list[pa.Array] = []
        self.info: list[npt.NDArray[np.bool_]] = []

    def add(
        self,
        owner: IntArray,
        day: npt.NDArray[np.datetime64],
        purpose: pa.Array,
        action: str,
        terms: pa.Array,
        foreign_info: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        self.owner.append(owner)
        self.day.append(day)
        self.purpose.append(purpose)
        self.action.append(action)
        self.sizes.append(len(owner))
        self.terms.append(terms)
        self.info.append(foreign_info if foreign_info is not None else np.zeros(len(owner), bool))


def consent_chunk(
    rng: np.random.Generator,
    members: pa.Table,
    start: int,
    as_of: date,
    purposes: tuple[str, ...] = DEFAULT_PURPOSES,
) -> pa.Table:
    """Consent events for ``members`` (ids numbered from ``start``)."""
    n = members.num_rows
    end = np.datetime64(as_of, "D")
    joined = members["joined_on"].to_numpy().astype("datetime64[D]")
    born = members["birth_date"].to_numpy().astype("datetime64[D]")
    everyone = np.arange(n)
    ev = _Events()

    def terms_at(day: npt.NDArray[np.datetime64]) -> pa.Array:
        return pick([TERMS_2020, TERMS_2021], (day >= TERMS_2021_FROM).astype(np.int64))

    def const(value: str, size: int) -> pa.Array:
        return pa.repeat(pa.scalar(value, pa.string()), size)

    # Bundled acceptance of the terms in force on joining.
    ev.add(everyone, joined, const(ALL_PURPOSES_IN_TERMS, n), "grant", terms_at(joined))
    # Many early members accepted the 2021 terms later.
    early = np.flatnonzero((joined < TERMS_2021_FROM) & (rng.random(n) < 0.6))
    later = _days_after(rng, np.full(len(early), TERMS_2021_FROM), end)
    ev.add(early, later, const(ALL_PURPOSES_IN_TERMS, len(early)), "grant", const(TERMS_2021, len(early)))
    for purpose in purposes:
        u = rng.random(n)
        for action, rows in (
            ("grant", np.flatnonzero(u < 0.4)),
            ("deny", np.flatnonzero((u >= 0.4) & (u < 0.6))),
        ):
            day = _days_after(rng, joined[rows], end)
            info = (
                rng.random(len(rows)) < 0.3 if purpose == "partner_provision" and action == "grant" else None
            )
            ev.add(rows, day, const(purpose, len(rows)), action, terms_at(day), info)
            if action == "grant":
                gone = rng.random(len(rows)) < 0.08
                withdrawn = _days_after(rng, day[gone], end)
                ev.add(
                    rows[gone], withdrawn, const(purpose, int(gone.sum())), "withdraw", terms_at(withdrawn)
                )
        if purpose == "partner_provision":
            objecting = np.flatnonzero(rng.random(n) < 0.03)
            day = _days_after(rng, joined[objecting], end)
            ev.add(objecting, day, const(purpose, len(objecting)), "object", terms_at(day))
    return _table(rng, ev, members, born, start)


def _table(
    rng: np.random.Generator, ev: _Events, members: pa.Table, born: npt.NDArray[np.datetime64], start: int
) -> pa.Table:
    owner = np.concatenate(ev.owner)
    day = np.concatenate(ev.day)
    total = len(owner)
    action = pa.concat_arrays(
        [pa.repeat(pa.scalar(a, pa.string()), k) for a, k in zip(ev.action, ev.sizes, strict=True)]
    )
    # Age at the event, in whole years (close enough for the guardian threshold's purpose).
    age = (day - born[owner]).astype(np.int64) * 4 // 1461
    minor = age < GUARDIAN_AGE
    with_guardian = minor & (rng.random(total) < 0.7)
    surname = pc.list_element(pc.split_pattern(members["name"].combine_chunks(), "\u3000"), 0)
    family = surname.take(pa.array(owner))
    given = pick(
        [g[0] for g in FEMALE_GIVEN + MALE_GIVEN], rng.integers(0, len(FEMALE_GIVEN) + len(MALE_GIVEN), total)
    )
    guardian = join(family, "\u3000", given)
    relation = pick(["母", "父", "祖母"], rng.choice(3, total, p=[0.6, 0.35, 0.05]))
    none = pa.scalar(None, pa.string())
    method = pick(_METHODS, rng.choice(len(_METHODS), total, p=[0.5, 0.35, 0.1, 0.05]))
    return pa.table(
        {
            "event_id": ids("E", start, total, width=12),
            "subject_id": members["member_id"].take(pa.array(owner)),
            "purpose_id": pa.concat_arrays(ev.purpose),
            "action": action,
            "collected_at": _timestamps(day, rng),
            "terms_version": pa.concat_arrays(ev.terms),
            "method": method,
            "guardian_name": pc.if_else(pa.array(with_guardian), guardian, none),
            "guardian_relation": pc.if_else(pa.array(with_guardian), relation, none),
            "foreign_transfer_info_given": pa.array(np.concatenate(ev.info)),
        }
    )
