"""Match partner rows to members by token, and report what matched and what was ambiguous.

Why a report before any release: a token shared by several members (a family e-mail address, a
recycled phone number) or a partner row whose e-mail and phone point at different members cannot
be attributed to one person, and giving the partner data about the wrong person is a provision of
someone else's personal data. Such links are counted as conflicts and excluded from
:func:`resolve_matches`; the report shows how many there were, never who.

All work is SQL run by the engine; table, column and key names are quoted with ``engine.ident``
and key labels are bound parameters.

Why the SQL is shaped as it is (10M members x 10M partner rows must take seconds): every count is
exact, but none is a ``COUNT(DISTINCT ...)`` over all tokens or ids, and nothing is a self-join.
Per key, each side is grouped once by a 64-bit hash of the token only to find the few rows whose
token may repeat; those rows alone are grouped by the token itself (see :func:`_key_stats` for why
the result never depends on the hash). The pairs are grouped once by partner row ("several
members" is ``MIN(member_id) <> MAX(member_id)``) and once by member, and the summary, overlaps,
cross-key conflicts and per-key matched counts are sums over those groups.
``tests/matching/test_match_properties.py`` checks all of it against the plain definitions on
random tables, also with deliberately colliding hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hogo.domain.model import Frozen
from hogo.engines import SqlEngine


class KeyStats(Frozen):
    """Counts for one match key (one token column present on both sides)."""

    key: str
    member_rows_with_key: int
    member_distinct_tokens: int
    partner_rows_with_key: int
    partner_distinct_tokens: int
    overlapping_tokens: int
    matched_members: int
    matched_partner_rows: int
    #: Tokens held by two or more members (one token → several members).
    member_conflict_tokens: int
    members_in_conflicts: int
    #: Tokens held by two or more partner rows (duplicates on the partner side).
    partner_duplicate_tokens: int


class MatchReport(Frozen):
    members: int
    partner_rows: int
    keys: list[KeyStats]
    #: Partner rows linked to at least one member by any key.
    matched_partner_rows: int
    #: Partner rows linked to exactly one member (what a release may use).
    unambiguous_partner_rows: int
    #: Partner rows linked to several members (by one key or by different keys).
    ambiguous_partner_rows: int
    #: Partner rows whose keys point at different members (e-mail → A, phone → B).
    cross_key_conflicts: int
    #: Partner rows matched by each combination of keys, e.g. {"email_token+phone_token": 812}.
    overlaps: dict[str, int]
    matched_members: int


def build_match_pairs(
    engine: SqlEngine,
    members: str,
    partner: str,
    keys: Sequence[str],
    *,
    member_id: str = "member_id",
    partner_id: str = "row",
    out: str | None = None,
) -> str:
    """Create a table of (partner_id, member_id, key) for every token equality; returns its name."""
    if not keys:
        raise ValueError("at least one match key is needed")
    i = engine.ident
    parts: list[str] = []
    params: dict[str, str] = {}
    for n, key in enumerate(keys):
        label = f"key_{n}"
        params[label] = key
        parts.append(
            f"SELECT p.{i(partner_id)} AS partner_id, m.{i(member_id)} AS member_id, "
            f"{engine.dialect.param(label)} AS match_key "
            f"FROM {i(partner)} AS p JOIN {i(members)} AS m ON p.{i(key)} = m.{i(key)}"
        )
    name = out or engine.temp_name("hogo_pairs")
    return engine.create_table_as(name, " UNION ALL ".join(parts), params)


def resolve_matches(engine: SqlEngine, pairs: str, *, out: str | None = None) -> str:
    """Keep partner rows that link to exactly one member; returns the table's name.

    Columns: ``partner_id``, ``member_id``, ``keys_matched`` (how many keys agreed).

    One pass over the pairs: "exactly one member" is ``MIN(member_id) = MAX(member_id)`` (NULL,
    so the row is dropped, when every member id is NULL, just as ``COUNT(DISTINCT member_id) = 1``
    would drop it), and the number of keys is a sum of per-key flags, not a distinct count.
    """
    i = engine.ident
    labels = _labels_in(engine, pairs)
    if labels is None:  # an unusual pairs table with many labels: count them the plain way
        keys_matched = "COUNT(DISTINCT match_key)"
        params: dict[str, Any] = {}
    else:
        params = {f"key_{n}": label for n, label in enumerate(labels)}
        flags = [f"MAX({_is_key(engine, f'key_{n}')})" for n in range(len(labels))]
        keys_matched = f"CAST({' + '.join(flags) or '0'} AS BIGINT)"
    sql = (
        f"SELECT partner_id, MIN(member_id) AS member_id, {keys_matched} AS keys_matched "
        f"FROM {i(pairs)} GROUP BY partner_id HAVING MIN(member_id) = MAX(member_id)"
    )
    return engine.create_table_as(out or engine.temp_name("hogo_matches"), sql, params or None)


#: Above this many distinct labels in a pairs table, keys are counted with COUNT(DISTINCT).
_MAX_FLAG_LABELS = 32


def _labels_in(engine: SqlEngine, pairs: str) -> list[Any] | None:
    """The distinct non-NULL match keys of a pairs table (a cheap scan), or None if there are many."""
    sql = f"SELECT DISTINCT match_key FROM {engine.ident(pairs)} WHERE match_key IS NOT NULL"
    labels: list[Any] = engine.query(sql).column(0).to_pylist()
    return None if len(labels) > _MAX_FLAG_LABELS else labels


def _is_key(engine: SqlEngine, param: str, extra: str = "") -> str:
    """``1`` when the pair's match key is the bound label ``param`` (and ``extra`` holds), else ``0``."""
    return f"CASE WHEN match_key = {engine.dialect.param(param)}{extra} THEN 1 ELSE 0 END"


def _sum(expr: str) -> str:
    return f"COALESCE(SUM({expr}), 0)"


def _key_stats(
    engine: SqlEngine, members: str, partner: str, key: str, member_id: str, partner_id: str
) -> dict[str, int]:
    """Both sides' counts for one key, exact, with one cheap grouping per side.

    Most tokens occur once on each side. Grouping on a 64-bit hash of the token (the dialect's
    ``hash64``, a fixed-width
    integer, much cheaper to group than a 32-byte token) finds the hash values that occur on
    two or more rows of a side. A row whose hash occurs once on its side holds a token no other row
    of that side holds — true for any hash function, so nothing depends on the hash being free of
    collisions. Only rows whose hash repeats on either side (``c`` below: duplicates, shared
    tokens, and any collisions) are grouped again by the token itself, where distinct ids are
    counted directly. The once-only rows then add one distinct token each and no conflict; the
    tokens they share between the sides are the pairs the exact part does not explain, which the
    caller supplies from the pairs table (``overlap_rest = pairs - pairs_in_repeats``).
    """
    i = engine.ident
    k, mid, pid = i(key), i(member_id), i(partner_id)
    hm, hp = engine.dialect.hash64(f"m.{k}"), engine.dialect.hash64(f"p.{k}")
    sql = (
        f"WITH c AS (SELECT {hm} AS h FROM {i(members)} AS m WHERE m.{k} IS NOT NULL "
        f"GROUP BY {hm} HAVING COUNT(*) > 1 "
        f"UNION SELECT {hp} AS h FROM {i(partner)} AS p WHERE p.{k} IS NOT NULL "
        f"GROUP BY {hp} HAVING COUNT(*) > 1), "
        f"r AS (SELECT m.{k} AS t, m.{mid} AS mid, NULL AS pid, 1 AS side FROM {i(members)} AS m "
        f"WHERE m.{k} IS NOT NULL AND {hm} IN (SELECT h FROM c) "
        f"UNION ALL SELECT p.{k} AS t, NULL AS mid, p.{pid} AS pid, 0 AS side FROM {i(partner)} AS p "
        f"WHERE p.{k} IS NOT NULL AND {hp} IN (SELECT h FROM c)), "
        f"g AS (SELECT t, SUM(side) AS mn, COUNT(DISTINCT mid) AS md, SUM(1 - side) AS pn, "
        f"COUNT(DISTINCT pid) AS pd FROM r GROUP BY t) "
        f"SELECT (SELECT COUNT({k}) FROM {i(members)}) AS member_rows, "
        f"(SELECT COUNT({k}) FROM {i(partner)}) AS partner_rows, "
        f"{_sum('mn')} AS member_rows_in_repeats, "
        f"{_sum('CASE WHEN mn > 0 THEN 1 ELSE 0 END')} AS member_tokens_in_repeats, "
        f"{_sum('pn')} AS partner_rows_in_repeats, "
        f"{_sum('CASE WHEN pn > 0 THEN 1 ELSE 0 END')} AS partner_tokens_in_repeats, "
        f"{_sum('CASE WHEN mn > 0 AND pn > 0 THEN 1 ELSE 0 END')} AS overlap_in_repeats, "
        f"{_sum('mn * pn')} AS pairs_in_repeats, "
        f"{_sum('CASE WHEN md > 1 THEN 1 ELSE 0 END')} AS conflict_tokens, "
        f"{_sum('CASE WHEN md > 1 THEN md ELSE 0 END')} AS members_in_conflicts, "
        f"{_sum('CASE WHEN pd > 1 THEN 1 ELSE 0 END')} AS duplicates FROM g"
    )
    row = {name: int(value or 0) for name, value in engine.query(sql).to_pylist()[0].items()}
    once_m = row["member_rows"] - row["member_rows_in_repeats"]
    once_p = row["partner_rows"] - row["partner_rows_in_repeats"]
    return {
        "member_rows": row["member_rows"],
        "member_tokens": once_m + row["member_tokens_in_repeats"],
        "partner_rows": row["partner_rows"],
        "partner_tokens": once_p + row["partner_tokens_in_repeats"],
        "overlap_in_repeats": row["overlap_in_repeats"],
        "pairs_in_repeats": row["pairs_in_repeats"],
        "conflict_tokens": row["conflict_tokens"],
        "members_in_conflicts": row["members_in_conflicts"],
        "duplicates": row["duplicates"],
    }


def match_report(
    engine: SqlEngine,
    members: str,
    partner: str,
    keys: Sequence[str],
    *,
    member_id: str = "member_id",
    partner_id: str = "row",
    pairs: str | None = None,
) -> MatchReport:
    """Counts by key, overlaps between keys, and conflicts; builds the pairs table if not given.

    A given ``pairs`` table must be what :func:`build_match_pairs` made from the same tables, keys
    and id columns: besides the matched counts, the overlap of tokens held once on each side is
    read from its row count per key.

    Work: per key one statement over both inputs (:func:`_key_stats`); then the pairs are grouped
    once by partner row (members as MIN/MAX, one flag per key) and once by member, and the
    summary, overlaps, cross-key conflicts and per-key matched counts are sums over those groups.
    """
    if not keys:
        raise ValueError("at least one match key is needed")
    own_pairs = pairs is None
    pairs_name = pairs or build_match_pairs(
        engine, members, partner, keys, member_id=member_id, partner_id=partner_id
    )
    try:
        return _report(engine, members, partner, keys, pairs_name, member_id, partner_id, by_row=None)
    finally:
        if own_pairs:
            engine.drop(pairs_name)


def report_and_resolve(
    engine: SqlEngine,
    members: str,
    partner: str,
    keys: Sequence[str],
    pairs: str,
    *,
    member_id: str = "member_id",
    partner_id: str = "row",
) -> tuple[MatchReport, str]:
    """:func:`match_report` and :func:`resolve_matches` of one ``pairs`` table (made by
    :func:`build_match_pairs` from the same tables, keys and id columns), the same results as the
    two calls give.

    Why one call: both group the pairs by partner row (10M rows at scale); here that grouping is
    made once, as a table, and both read it: the report sums over it, the matches are its rows
    with one member.
    """
    if not keys:
        raise ValueError("at least one match key is needed")
    labels = list(dict.fromkeys(keys))
    if len(labels) > _MAX_FLAG_LABELS:  # an unusual number of keys: the plain two calls
        return match_report(engine, members, partner, keys, member_id=member_id, partner_id=partner_id,
                            pairs=pairs), resolve_matches(engine, pairs)  # fmt: skip
    i = engine.ident
    by_row = engine.create_table_as(engine.temp_name("hogo_by_row"), *_by_partner_row(engine, pairs, labels))
    try:
        report = _report(engine, members, partner, keys, pairs, member_id, partner_id, by_row=by_row)
        matched = " + ".join(f"f{n}" for n in range(len(labels)))
        matches = engine.create_table_as(
            engine.temp_name("hogo_matches"),
            f"SELECT partner_id, lo AS member_id, CAST({matched} AS BIGINT) AS keys_matched "
            f"FROM {i(by_row)} WHERE lo = hi",
        )
    finally:
        engine.drop(by_row)
    return report, matches


def _report(
    engine: SqlEngine,
    members: str,
    partner: str,
    keys: Sequence[str],
    pairs_name: str,
    member_id: str,
    partner_id: str,
    by_row: str | None,
) -> MatchReport:
    stats = [_key_stats(engine, members, partner, k, member_id, partner_id) for k in keys]
    rows, by_member, totals = _pair_groups(engine, members, partner, pairs_name, keys, by_row)
    pair_rows = {
        r["match_key"]: int(r["n"])
        for r in engine.query(
            f"SELECT match_key, COUNT(*) AS n FROM {engine.ident(pairs_name)} GROUP BY match_key"
        ).to_pylist()
    }
    labels = list(dict.fromkeys(keys))
    per_key = [
        KeyStats(
            key=key,
            member_rows_with_key=s["member_rows"],
            member_distinct_tokens=s["member_tokens"],
            partner_rows_with_key=s["partner_rows"],
            partner_distinct_tokens=s["partner_tokens"],
            # Tokens held once on each side pair up one to one; the pairs of repeated tokens are
            # counted exactly in _key_stats, so the rest of the key's pairs are such tokens.
            overlapping_tokens=s["overlap_in_repeats"]
            + pair_rows.get(key, 0) // keys.count(key)
            - s["pairs_in_repeats"],
            matched_members=int(by_member[f"m{labels.index(key)}"] or 0),
            matched_partner_rows=sum(int(r["ids"]) for r in rows if r[f"f{labels.index(key)}"]),
            member_conflict_tokens=s["conflict_tokens"],
            members_in_conflicts=s["members_in_conflicts"],
            partner_duplicate_tokens=s["duplicates"],
        )
        for key, s in zip(keys, stats, strict=True)
    ]
    overlaps: dict[str, int] = {}
    for r in rows:
        combo = "+".join(k for k in keys if r[f"f{labels.index(k)}"])
        overlaps[combo] = overlaps.get(combo, 0) + int(r["n"])
    return MatchReport(
        members=int(totals["members"]),
        partner_rows=int(totals["partner"]),
        keys=per_key,
        matched_partner_rows=sum(int(r["n"]) for r in rows),
        unambiguous_partner_rows=sum(int(r["unambiguous"]) for r in rows),
        ambiguous_partner_rows=sum(int(r["ambiguous"]) for r in rows),
        cross_key_conflicts=sum(int(r["cross_key"]) for r in rows),
        overlaps=dict(sorted(overlaps.items())),
        matched_members=int(by_member["members"]),
    )


def _by_partner_row(engine: SqlEngine, pairs: str, labels: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The pairs grouped by partner row: its least and greatest member (``lo``, ``hi``), whether
    each key matched (``f0`` …) and whether it gave a member (``g0`` …)."""
    params = {f"key_{n}": label for n, label in enumerate(labels)}
    found, with_member = (
        _key_flags(engine, labels, "f"),
        _key_flags(engine, labels, "g", " AND member_id IS NOT NULL"),
    )
    return (
        f"SELECT partner_id, MIN(member_id) AS lo, MAX(member_id) AS hi, {found}, {with_member} "
        f"FROM {engine.ident(pairs)} GROUP BY partner_id",
        params,
    )


def _key_flags(engine: SqlEngine, labels: Sequence[str], alias: str, extra: str = "") -> str:
    """Per key label n (bound as ``key_n``), ``MAX(1 if the pair is by that key [and extra])``
    named ``{alias}n``: over a group of pairs, whether that key matched."""
    return ", ".join(f"MAX({_is_key(engine, f'key_{n}', extra)}) AS {alias}{n}" for n in range(len(labels)))


def _pair_groups(
    engine: SqlEngine, members: str, partner: str, pairs: str, keys: Sequence[str], by_row: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """Partner rows grouped by which keys matched; matched members; input row counts.

    ``by_row`` is the grouping of the pairs by partner row (`_by_partner_row`) when it is made
    already. A partner row links to several members when ``MIN(member_id) <> MAX(member_id)``. Its
    keys disagree (a cross-key conflict: some key gives member A and a different key gives B)
    exactly when it links to several members and at least two different keys gave a non-NULL
    member: if one key alone gave A and B, any other key's member differs from A or from B;
    otherwise each key gave one member and they are not all the same. So no self-join of the
    pairs is needed.
    """
    i = engine.ident
    labels = list(dict.fromkeys(keys))
    grouped, params = _by_partner_row(engine, pairs, labels)
    source = f"({grouped})" if by_row is None else i(by_row)
    flags = ", ".join(f"f{n}" for n in range(len(labels)))
    keys_with_member = " + ".join(f"g{n}" for n in range(len(labels)))
    disagree = f"CASE WHEN partner_id IS NOT NULL AND lo <> hi AND {keys_with_member} >= 2 THEN 1 ELSE 0 END"
    by_rows = engine.query(
        f"SELECT {flags}, COUNT(*) AS n, COUNT(partner_id) AS ids, "
        f"{_sum('CASE WHEN lo = hi THEN 1 ELSE 0 END')} AS unambiguous, "
        f"{_sum('CASE WHEN lo <> hi THEN 1 ELSE 0 END')} AS ambiguous, "
        f"{_sum(disagree)} AS cross_key FROM {source} AS s GROUP BY {flags}",
        params if by_row is None else None,
    ).to_pylist()
    found = _key_flags(engine, labels, "f")
    member_flags = ", ".join(f"SUM(f{n}) AS m{n}" for n in range(len(labels)))
    by_member = engine.query(
        f"SELECT COUNT(*) AS members, {member_flags} FROM (SELECT member_id, {found} "
        f"FROM {i(pairs)} WHERE member_id IS NOT NULL GROUP BY member_id) AS s",
        params,
    ).to_pylist()[0]
    totals = engine.query(
        f"SELECT (SELECT COUNT(*) FROM {i(members)}) AS members, "
        f"(SELECT COUNT(*) FROM {i(partner)}) AS partner"
    ).to_pylist()[0]
    return by_rows, by_member, totals
