"""Match partner rows to members by token, and report what matched and what was ambiguous.

Why a report before any release: a token shared by several members (a family e-mail address, a
recycled phone number) or a partner row whose e-mail and phone point at different members cannot
be attributed to one person, and giving the partner data about the wrong person is a provision of
someone else's personal data. Such links are counted as conflicts and excluded from
:func:`resolve_matches`; the report shows how many there were, never who.

All work is SQL run by the engine; table, column and key names are quoted with ``engine.ident``
and key labels are bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from hogo.engines import SqlEngine


class KeyStats(BaseModel):
    """Counts for one match key (one token column present on both sides)."""

    model_config = ConfigDict(frozen=True)

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


class MatchReport(BaseModel):
    model_config = ConfigDict(frozen=True)

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
    """
    i = engine.ident
    sql = (
        f"SELECT partner_id, MIN(member_id) AS member_id, COUNT(DISTINCT match_key) AS keys_matched "
        f"FROM {i(pairs)} GROUP BY partner_id HAVING COUNT(DISTINCT member_id) = 1"
    )
    return engine.create_table_as(out or engine.temp_name("hogo_matches"), sql)


def _key_stats(
    engine: SqlEngine, members: str, partner: str, pairs: str, key: str, member_id: str, partner_id: str
) -> KeyStats:
    i = engine.ident
    k, mid, pid = i(key), i(member_id), i(partner_id)
    side = "SELECT COUNT(*) AS n, COUNT(DISTINCT {k}) AS d FROM {t} WHERE {k} IS NOT NULL"
    m = engine.query(side.format(k=k, t=i(members))).to_pylist()[0]
    p = engine.query(side.format(k=k, t=i(partner))).to_pylist()[0]
    overlap = engine.scalar(
        f"SELECT COUNT(*) FROM (SELECT DISTINCT {k} FROM {i(members)} WHERE {k} IS NOT NULL) AS a "
        f"JOIN (SELECT DISTINCT {k} FROM {i(partner)} WHERE {k} IS NOT NULL) AS b USING ({k})"
    )
    matched = engine.query(
        f"SELECT COUNT(DISTINCT member_id) AS members, COUNT(DISTINCT partner_id) AS rows "
        f"FROM {i(pairs)} WHERE match_key = {engine.dialect.param('key')}",
        {"key": key},
    ).to_pylist()[0]
    conflicts = engine.query(
        f"SELECT COUNT(*) AS tokens, COALESCE(SUM(n), 0) AS members FROM ("
        f"SELECT {k}, COUNT(DISTINCT {mid}) AS n FROM {i(members)} WHERE {k} IS NOT NULL "
        f"GROUP BY {k} HAVING COUNT(DISTINCT {mid}) > 1) AS c"
    ).to_pylist()[0]
    duplicates = engine.scalar(
        f"SELECT COUNT(*) FROM (SELECT {k} FROM {i(partner)} WHERE {k} IS NOT NULL "
        f"GROUP BY {k} HAVING COUNT(DISTINCT {pid}) > 1) AS d"
    )
    return KeyStats(
        key=key,
        member_rows_with_key=int(m["n"]),
        member_distinct_tokens=int(m["d"]),
        partner_rows_with_key=int(p["n"]),
        partner_distinct_tokens=int(p["d"]),
        overlapping_tokens=int(overlap),
        matched_members=int(matched["members"]),
        matched_partner_rows=int(matched["rows"]),
        member_conflict_tokens=int(conflicts["tokens"]),
        members_in_conflicts=int(conflicts["members"]),
        partner_duplicate_tokens=int(duplicates),
    )


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
    """Counts by key, overlaps between keys, and conflicts; builds the pairs table if not given."""
    own_pairs = pairs is None
    pairs_name = pairs or build_match_pairs(
        engine, members, partner, keys, member_id=member_id, partner_id=partner_id
    )
    try:
        per_key = [_key_stats(engine, members, partner, pairs_name, k, member_id, partner_id) for k in keys]
        i = engine.ident
        summary = engine.query(
            f"SELECT COUNT(*) AS matched, "
            f"COALESCE(SUM(CASE WHEN n = 1 THEN 1 ELSE 0 END), 0) AS unambiguous, "
            f"COALESCE(SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END), 0) AS ambiguous FROM ("
            f"SELECT partner_id, COUNT(DISTINCT member_id) AS n FROM {i(pairs_name)} "
            f"GROUP BY partner_id) AS s"
        ).to_pylist()[0]
        cross = engine.scalar(
            f"SELECT COUNT(DISTINCT a.partner_id) FROM {i(pairs_name)} AS a JOIN {i(pairs_name)} AS b "
            f"ON a.partner_id = b.partner_id AND a.match_key < b.match_key AND a.member_id <> b.member_id"
        )
        flags = ", ".join(
            f"MAX(CASE WHEN match_key = {engine.dialect.param(f'key_{n}')} THEN 1 ELSE 0 END) AS k{n}"
            for n in range(len(keys))
        )
        groups = ", ".join(f"k{n}" for n in range(len(keys)))
        combos = engine.query(
            f"SELECT {groups}, COUNT(*) AS n FROM (SELECT partner_id, {flags} FROM {i(pairs_name)} "
            f"GROUP BY partner_id) AS s GROUP BY {groups}",
            {f"key_{n}": key for n, key in enumerate(keys)},
        ).to_pylist()
        totals = engine.query(
            f"SELECT (SELECT COUNT(*) FROM {i(members)}) AS members, "
            f"(SELECT COUNT(*) FROM {i(partner)}) AS partner, "
            f"(SELECT COUNT(DISTINCT member_id) FROM {i(pairs_name)}) AS matched_members"
        ).to_pylist()[0]
    finally:
        if own_pairs:
            engine.drop(pairs_name)
    return MatchReport(
        members=int(totals["members"]),
        partner_rows=int(totals["partner"]),
        keys=per_key,
        matched_partner_rows=int(summary["matched"]),
        unambiguous_partner_rows=int(summary["unambiguous"]),
        ambiguous_partner_rows=int(summary["ambiguous"]),
        cross_key_conflicts=int(cross),
        overlaps=dict(
            sorted(("+".join(k for n, k in enumerate(keys) if r[f"k{n}"]), int(r["n"])) for r in combos)
        ),
        matched_members=int(totals["matched_members"]),
    )
