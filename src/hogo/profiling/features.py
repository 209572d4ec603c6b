"""Features compiled to SQL for the data engine: a row per person profiled.

Over the purchases of the persons profiled up to the run time (as whole epoch seconds `t`), each
feature is an aggregate per person; windows count the last `window_days` before the run time.
Shares are rounded to 9 decimals so DuckDB and Spark, which sum in different orders, write the
same file. A person profiled without purchases gets a row (frequency 0, recency and shares NULL).

Two levels, so that the one pass over the purchases is a plain GROUP BY of sums, counts and
maxima, which an engine spills past its memory limit (at 100M purchases, DuckDB's 1 GiB default):

1. per person profiled, the parts each feature is made of (the newest instant, counts and sums in
   its window, the numerator and denominator of each share), purchases joined to the persons
   profiled before anything is aggregated;
2. for affinities, the shares over everyone profiled: sums of those parts, a one-row table;
3. the features from the parts, for every person profiled, in id order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hogo.engines import SqlEngine
from hogo.profiling.spec import FeatureKind, FeatureSpec

_DAY, _JST = 86_400, 9 * 3_600
#: The column of the per-person table counting all of a person's purchases, at any time.
PURCHASES = "n_purchases"


def _rounded(share: str) -> str:
    """A share to 9 decimals, half up, the same on every engine: DuckDB's and Spark's ROUND differ
    on exact ties (0.2990234375 is a double), which a million persons do produce."""
    return f"FLOOR(({share}) * 1000000000 + 0.5) / 1000000000"


def _share(top: str, bottom: str) -> str:
    return f"CAST(COALESCE({top}, 0) AS DOUBLE) / NULLIF({bottom}, 0)"


@dataclass(frozen=True)
class _Parts:
    """What feature ``n`` is made of: aggregates over one person's purchases (columns of the
    per-person table) and the feature computed from them (``g``: that table, ``pop``: the shares
    over everyone)."""

    aggregates: dict[str, str]
    feature: str
    population: str | None = None


class _Compiler:
    def __init__(self, engine: SqlEngine, at_epoch: int) -> None:
        self.engine = engine
        self.params: dict[str, Any] = {"at_epoch": at_epoch}
        self.at = engine.dialect.param("at_epoch")

    def value(self, n: int, value: str | None) -> str:
        """A bound parameter for feature ``n``'s category or channel (never spliced into SQL)."""
        self.params[f"v{n}"] = value
        return self.engine.dialect.param(f"v{n}")

    def window(self, f: FeatureSpec) -> str:
        up_to = f"w.t <= {self.at}"
        return up_to if f.window_days is None else f"{up_to} AND w.t > {self.at} - {f.window_days * _DAY}"

    def parts(self, f: FeatureSpec, n: int) -> _Parts:
        i, w = self.engine.ident, self.window(f)
        a, b = f"f{n}", f"f{n}_of"  # the columns of the per-person table
        if f.kind is FeatureKind.recency:
            newest = {a: f"MAX(CASE WHEN {w} THEN w.t END)"}
            return _Parts(newest, f"CAST(FLOOR(({self.at} - g.{i(a)}) / {_DAY}) AS BIGINT)")
        if f.kind is FeatureKind.frequency:
            return _Parts({a: f"COUNT(CASE WHEN {w} THEN 1 END)"}, f"COALESCE(g.{i(a)}, 0)")
        if f.kind is FeatureKind.monetary:
            return _Parts({a: f"SUM(CASE WHEN {w} THEN w.amount END)"}, f"COALESCE(g.{i(a)}, 0)")
        if f.kind is FeatureKind.time_of_day:
            assert f.hours is not None
            hour = f"CAST(FLOOR(((w.t + {_JST}) % {_DAY}) / 3600) AS BIGINT)"
            start, end = f.hours
            inside = (
                f"({hour} >= {start} AND {hour} < {end})"
                if start < end
                else f"({hour} >= {start} OR {hour} < {end})"
            )
            condition, value = inside, "1"
        elif f.kind is FeatureKind.channel_share:
            condition, value = f"w.channel = {self.value(n, f.channel)}", "1"
        else:
            condition, value = f"w.category = {self.value(n, f.category)}", "w.amount"
        aggregates = {
            a: f"SUM(CASE WHEN {w} AND {condition} THEN {value} END)",
            b: f"SUM(CASE WHEN {w} THEN {value} END)",
        }
        share = _share(f"g.{i(a)}", f"g.{i(b)}")
        if f.kind is not FeatureKind.affinity:
            return _Parts(aggregates, _rounded(share))
        # affinity: the person's share over everyone's, the sums of everyone's parts
        everyone = _share(f"SUM({i(a)})", f"SUM({i(b)})")
        return _Parts(aggregates, _rounded(f"({share}) / NULLIF(pop.{i(f'p{n}')}, 0)"), everyone)


def _used(params: dict[str, Any], sql: str, engine: SqlEngine) -> dict[str, Any]:
    """Only the parameters the statement names: engines refuse extras (and $v1 is not $v10)."""
    return {k: v for k, v in params.items() if re.search(re.escape(engine.dialect.param(k)) + r"\b", sql)}


def features_sql(
    engine: SqlEngine,
    features: tuple[FeatureSpec, ...],
    purchases: str,
    profiled: str,
    at_epoch: int,
    per_person: str,
) -> tuple[str, dict[str, Any]]:
    """SELECT subject_id and every feature, one row per person in ``profiled``, in id order.

    Before it returns, the purchases are read once into table ``per_person`` (a row per person
    profiled with purchases: the parts of every feature and `PURCHASES`) and, for affinities, the
    shares over everyone into ``{per_person}_population``; the statement returned reads those."""
    i = engine.ident
    c = _Compiler(engine, at_epoch)
    parts = [c.parts(f, n) for n, f in enumerate(features)]
    aggregates = {k: v for p in parts for k, v in p.aggregates.items()}
    t = engine.dialect.epoch_seconds("p.purchased_at")
    columns = engine.columns(purchases)
    w = (
        f"SELECT p.member_id AS subject_id, {t} AS t, p.amount_yen AS amount"
        + (", p.category" if "category" in columns else ", NULL AS category")
        + (", p.channel" if "channel" in columns else ", NULL AS channel")
        + f" FROM {i(purchases)} AS p JOIN {i(profiled)} AS a ON a.subject_id = p.member_id"
    )
    select = ", ".join(f"{v} AS {i(k)}" for k, v in aggregates.items())
    grouped = (
        f"SELECT w.subject_id, COUNT(*) AS {i(PURCHASES)}, {select} FROM ({w}) AS w GROUP BY w.subject_id"
    )
    engine.create_table_as(per_person, grouped, _used(c.params, grouped, engine))
    everyone = [f"{p.population} AS {i(f'p{n}')}" for n, p in enumerate(parts) if p.population is not None]
    across = ""
    if everyone:
        population = engine.create_table_as(
            f"{per_person}_population", f"SELECT {', '.join(everyone)} FROM {i(per_person)}"
        )
        across = f" CROSS JOIN {i(population)} AS pop"
    named = ", ".join(f"{p.feature} AS {i(f.name)}" for p, f in zip(parts, features, strict=True))
    sql = (
        f"SELECT a.subject_id, {named} FROM {i(profiled)} AS a"
        f" LEFT JOIN {i(per_person)} AS g ON g.subject_id = a.subject_id{across} ORDER BY a.subject_id"
    )
    return sql, _used(c.params, sql, engine)
