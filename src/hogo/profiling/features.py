"""Features compiled to one SQL statement for the data engine: a row per person profiled.

Over `w` (the purchases of the persons profiled, up to the run time, as whole epoch seconds `t`)
each feature is an aggregate per person; windows count the last `window_days` before the run time.
Shares are rounded to 9 decimals so DuckDB and Spark, which sum in different orders, write the
same file. A person profiled without purchases gets a row (frequency 0, recency and shares NULL).
"""

from __future__ import annotations

import re
from typing import Any

from hogo.engines import SqlEngine
from hogo.profiling.spec import FeatureKind, FeatureSpec

_DAY, _JST = 86_400, 9 * 3_600


def _rounded(share: str) -> str:
    """A share to 9 decimals, half up, the same on every engine: DuckDB's and Spark's ROUND differ
    on exact ties (0.2990234375 is a double), which a million persons do produce."""
    return f"FLOOR(({share}) * 1000000000 + 0.5) / 1000000000"


class _Compiler:
    def __init__(self, engine: SqlEngine, at_epoch: int) -> None:
        self.engine = engine
        self.params: dict[str, Any] = {"at_epoch": at_epoch}
        self.at = engine.dialect.param("at_epoch")
        self.population: list[str] = []  # one-row CTE columns: the shares over everyone profiled

    def value(self, n: int, value: str | None) -> str:
        """A bound parameter for feature ``n``'s category or channel (never spliced into SQL)."""
        self.params[f"v{n}"] = value
        return self.engine.dialect.param(f"v{n}")

    def window(self, f: FeatureSpec) -> str:
        return "w.t IS NOT NULL" if f.window_days is None else f"w.t > {self.at} - {f.window_days * _DAY}"

    def share(self, f: FeatureSpec, condition: str, amount: bool) -> str:
        w, value = self.window(f), "w.amount" if amount else "1"
        top = f"COALESCE(SUM(CASE WHEN {w} AND {condition} THEN {value} END), 0)"
        return f"CAST({top} AS DOUBLE) / NULLIF(SUM(CASE WHEN {w} THEN {value} END), 0)"

    def expression(self, f: FeatureSpec, n: int) -> str:
        w = self.window(f)
        if f.kind is FeatureKind.recency:
            return f"CAST(FLOOR(({self.at} - MAX(CASE WHEN {w} THEN w.t END)) / {_DAY}) AS BIGINT)"
        if f.kind is FeatureKind.frequency:
            return f"COUNT(CASE WHEN {w} THEN 1 END)"
        if f.kind is FeatureKind.monetary:
            return f"COALESCE(SUM(CASE WHEN {w} THEN w.amount END), 0)"
        if f.kind is FeatureKind.time_of_day:
            assert f.hours is not None
            hour = f"CAST(FLOOR(((w.t + {_JST}) % {_DAY}) / 3600) AS BIGINT)"
            a, b = f.hours
            inside = f"({hour} >= {a} AND {hour} < {b})" if a < b else f"({hour} >= {a} OR {hour} < {b})"
            return _rounded(self.share(f, inside, amount=False))
        if f.kind is FeatureKind.channel_share:
            return _rounded(self.share(f, f"w.channel = {self.value(n, f.channel)}", amount=False))
        share = self.share(f, f"w.category = {self.value(n, f.category)}", amount=True)
        if f.kind is FeatureKind.spend_share:
            return _rounded(share)
        column = self.engine.ident(f"p{n}")  # affinity: the person's share over everyone's
        self.population.append(f"{share} AS {column}")
        return _rounded(f"({share}) / NULLIF(MAX(pop.{column}), 0)")


def features_sql(
    engine: SqlEngine, features: tuple[FeatureSpec, ...], purchases: str, profiled: str, at_epoch: int
) -> tuple[str, dict[str, Any]]:
    """SELECT subject_id and every feature, one row per person in ``profiled``, in id order.

    The shares over everyone that affinities divide by are computed first into a one-row table:
    the purchases are then read by one pass only (a CTE read twice is held whole by the engine,
    which at 100M purchases outgrows its memory limit instead of spilling)."""
    i = engine.ident
    c = _Compiler(engine, at_epoch)
    columns = [f"{c.expression(f, n)} AS {i(f.name)}" for n, f in enumerate(features)]
    t = engine.dialect.epoch_seconds("p.purchased_at")
    w = (
        f"SELECT p.member_id AS subject_id, {t} AS t, p.amount_yen AS amount"
        + (", p.category" if "category" in engine.columns(purchases) else ", NULL AS category")
        + (", p.channel" if "channel" in engine.columns(purchases) else ", NULL AS channel")
        + f" FROM {i(purchases)} AS p JOIN {i(profiled)} AS a ON a.subject_id = p.member_id"
        f" WHERE {t} <= {c.at}"
    )
    population = f"{profiled}_population"
    pop = f"SELECT {', '.join(c.population)} FROM ({w}) AS w" if c.population else "SELECT 1 AS one"
    # Only the parameters the statement names: engines refuse extras (and $v1 is not $v10).
    used = {k: v for k, v in c.params.items() if re.search(re.escape(engine.dialect.param(k)) + r"\b", pop)}
    engine.create_table_as(population, pop, used)
    sql = (
        f"SELECT a.subject_id, {', '.join(columns)} FROM {i(profiled)} AS a "
        f"LEFT JOIN ({w}) AS w ON w.subject_id = a.subject_id CROSS JOIN {i(population)} AS pop "
        "GROUP BY a.subject_id ORDER BY a.subject_id"
    )
    return sql, c.params
