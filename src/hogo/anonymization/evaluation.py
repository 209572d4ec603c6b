"""Evaluate lattice nodes inside the engine: one group-by per node, many nodes per query.

Why a frequency base table: the input is first reduced to one row per distinct combination of
quasi-identifiers (and the sensitive value) with its count ``n``, joined once to every hierarchy
level and per-cell cost. Evaluating a node is then a GROUP BY over that small table on the
generalised columns of the node's levels, so even 10M input rows are scanned only once.
Releases use this evaluator when the frequency table is too large to hold in memory; otherwise
:mod:`hogo.anonymization.frequency` evaluates the same nodes in numpy with the same results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hogo.anonymization.hierarchy import Hierarchy
from hogo.anonymization.metrics import Metric, NodeStats
from hogo.anonymization.models import PrivacyModel
from hogo.engines.base import SqlEngine
from hogo.errors import InputError

# Frequency tables smaller than this are not rolled up: a pass to group them costs what it saves.
ROLLUP_MIN_ROWS = 50_000


@dataclass(frozen=True)
class QuasiIdentifier:
    name: str
    hierarchy: Hierarchy
    min_level: int = 0
    max_level: int | None = None

    @property
    def top(self) -> int:
        return self.hierarchy.height if self.max_level is None else min(self.max_level, self.hierarchy.height)


def level_codes(h: Hierarchy) -> list[npt.NDArray[np.int64]]:
    """Per level, the code of each hierarchy row: the rank of its value among the level's values.

    The SQL tables (``k<j>`` columns) and the numpy evaluator use these same codes, so a class key
    computed on either side names the same class.
    """
    out = []
    for j in range(h.height + 1):
        codes = {value: code for code, value in enumerate(sorted({row[j] for row in h.rows}))}
        out.append(np.fromiter((codes[row[j]] for row in h.rows), dtype=np.int64, count=len(h.rows)))
    return out


def hierarchy_table(h: Hierarchy, metric: Metric) -> pa.Table:
    """The lookup table with per-level cell costs that depend only on the hierarchy."""
    table = h.to_arrow()
    domain = len(h.rows)
    for j, codes in enumerate(level_codes(h)):
        table = table.append_column(f"k{j}", pa.array(codes, pa.int64()))
        if metric == Metric.loss:
            leaves: dict[str, int] = {}
            for row in h.rows:
                leaves[row[j]] = leaves.get(row[j], 0) + 1
            costs = [(leaves[row[j]] - 1) / (domain - 1) if domain > 1 else 0.0 for row in h.rows]
        else:
            costs = [j / h.height if h.height else 0.0] * domain
        table = table.append_column(f"c{j}", pa.array(costs, pa.float64()))
    return table


class SearchTables:
    """What every node evaluator shares: the model, the hierarchies registered in the engine, and
    the temporary tables it must drop when the search ends."""

    def __init__(
        self,
        engine: SqlEngine,
        qis: Sequence[QuasiIdentifier],
        model: PrivacyModel,
        metric: Metric,
        sensitive: str | None = None,
    ) -> None:
        if model.needs_sensitive and sensitive is None:
            raise InputError(
                "l多様性・t近接性には機微属性の指定が必要です。",
                "l-diversity and t-closeness need a sensitive attribute",
                field="sensitive",
            )
        self.engine = engine
        self.qis = list(qis)
        self.model = model
        self.metric = metric
        self.sensitive = sensitive if model.needs_sensitive else None
        self.tables: list[str] = []
        self.hier_names = [self._temp(f"hogo_h{i}") for i in range(len(self.qis))]
        for name, qi in zip(self.hier_names, self.qis, strict=True):
            engine.register_arrow(name, hierarchy_table(qi.hierarchy, metric))

    def _temp(self, prefix: str) -> str:
        name = self.engine.temp_name(prefix)
        self.tables.append(name)
        return name

    def close(self) -> None:
        for name in self.tables:
            self.engine.drop(name)
        self.tables.clear()


class NodeEvaluator(SearchTables):
    """Owns the temporary tables of one search; ``evaluate`` returns stats for lattice nodes."""

    def __init__(
        self,
        engine: SqlEngine,
        source: str,
        qis: Sequence[QuasiIdentifier],
        model: PrivacyModel,
        metric: Metric,
        sensitive: str | None = None,
    ) -> None:
        super().__init__(engine, qis, model, metric, sensitive)
        self.cardinality = [
            [len({row[j] for row in qi.hierarchy.rows}) for j in range(qi.hierarchy.height + 1)]
            for qi in self.qis
        ]
        self.base = self._temp("hogo_base")
        self._build_base(source)
        self.current, self.floor = self.base, [0] * len(self.qis)
        self.current_rows = self.base_rows = engine.count(self.base)
        self.dist = self._temp("hogo_dist") if model.t is not None else None
        if self.dist is not None:
            e = engine
            engine.create_table_as(
                self.dist,
                f"SELECT s, CAST(SUM(n) AS DOUBLE) / (SELECT SUM(n) FROM {e.ident(self.base)}) AS p "
                f"FROM {e.ident(self.base)} GROUP BY s",
            )

    def _build_base(self, source: str) -> None:
        e, d = self.engine, self.engine.dialect
        cast = [d.cast_string(e.ident(qi.name)) + f" AS {e.ident(f'v{i}')}" for i, qi in enumerate(self.qis)]
        if self.sensitive is not None:
            cast.append(d.cast_string(e.ident(self.sensitive)) + " AS s")
        groups = ", ".join(str(i + 1) for i in range(len(cast)))
        freq = f"SELECT {', '.join(cast)}, COUNT(*) AS n FROM {e.ident(source)} GROUP BY {groups}"
        select = ["f.n AS n"] + (["f.s AS s"] if self.sensitive is not None else [])
        joins = []
        for i, (qi, hname) in enumerate(zip(self.qis, self.hier_names, strict=True)):
            alias = e.ident(f"h{i}")
            joins.append(f"LEFT JOIN {e.ident(hname)} AS {alias} ON f.{e.ident(f'v{i}')} = {alias}.v")
            select.append(f"{alias}.v AS {e.ident(f'hv{i}')}")
            for j in range(qi.hierarchy.height + 1):
                select.append(f"{alias}.{e.ident(f'k{j}')} AS {e.ident(f'q{i}_{j}')}")
                if self.metric in (Metric.loss, Metric.precision):
                    # costs are stored pre-multiplied by the count n (summed as they are)
                    select.append(f"{alias}.{e.ident(f'c{j}')} * f.n AS {e.ident(f'c{i}_{j}')}")
        if self.metric in (Metric.loss, Metric.precision):
            tops = " + ".join(
                f"{e.ident(f'h{i}')}.{e.ident(f'c{qi.hierarchy.height}')}" for i, qi in enumerate(self.qis)
            )
            select.append(f"({tops}) * f.n AS ctop")
        elif self.metric != Metric.entropy:
            select.append("0.0 AS ctop")
        joined = f"SELECT {', '.join(select)} FROM ({freq}) AS f {' '.join(joins)}"
        # one pass builds the final table, except for entropy which needs window sums over it
        staged = self.base if self.metric != Metric.entropy else self._temp("hogo_joined")
        e.create_table_as(staged, joined)
        self._refuse_values_outside_hierarchies(staged)
        if self.metric == Metric.entropy:
            self._add_entropy_costs(staged)

    def _refuse_values_outside_hierarchies(self, staged: str) -> None:
        """Every value of a quasi-identifier must be in its hierarchy (blanks included)."""
        e = self.engine
        for i, qi in enumerate(self.qis):
            missing = e.scalar(f"SELECT SUM(n) FROM {e.ident(staged)} WHERE {e.ident(f'hv{i}')} IS NULL")
            if missing:
                raise InputError(
                    f"階層にない値（空欄を含む）が {int(missing)} 件あります。",
                    f"{int(missing)} values (including blanks) are not in the hierarchy",
                    field=qi.name,
                )

    def _add_entropy_costs(self, staged: str) -> None:
        """Non-uniform entropy's cell costs need window sums over the joined table: build the base
        table from ``staged`` with them, then drop ``staged``."""
        e, d = self.engine, self.engine.dialect
        extra = []
        for i, qi in enumerate(self.qis):
            base_freq = f"SUM(n) OVER (PARTITION BY {e.ident(f'q{i}_0')})"
            for j in range(qi.hierarchy.height + 1):
                level_freq = f"SUM(n) OVER (PARTITION BY {e.ident(f'q{i}_{j}')})"
                ratio = f"CAST({base_freq} AS DOUBLE) / {level_freq}"
                extra.append(f"-n * {d.ln(ratio)} / {d.ln('2.0')} AS {e.ident(f'c{i}_{j}')}")
        top = " + ".join(e.ident(f"c{i}_{qi.hierarchy.height}") for i, qi in enumerate(self.qis))
        costed = f"SELECT *, {', '.join(extra)} FROM {e.ident(staged)}"
        e.create_table_as(self.base, f"SELECT *, {top} AS ctop FROM ({costed}) AS c")
        e.drop(staged)

    @property
    def heights(self) -> list[int]:
        return [qi.hierarchy.height for qi in self.qis]

    def level_bounds(self) -> list[list[float]]:
        """Per attribute and level, the metric's share of the lower bound (one query).

        For loss and precision the node bound is Σ cost / (records × attributes); for
        non-uniform entropy it is Σ cost in bits. Summing these per-level parts gives it.
        """
        e = self.engine
        exprs = [
            f"CAST(SUM({e.ident(f'c{i}_{j}')}) AS DOUBLE)"
            for i, qi in enumerate(self.qis)
            for j in range(qi.hierarchy.height + 1)
        ]
        row = self.engine.query(
            f"SELECT CAST(SUM(n) AS DOUBLE), {', '.join(exprs)} FROM {e.ident(self.base)}"
        )
        values = [row.column(c)[0].as_py() or 0.0 for c in range(row.num_columns)]
        total, sums = values[0] or 1.0, values[1:]
        scale = 1.0 if self.metric == Metric.entropy else 1.0 / (total * len(self.qis))
        out, pos = [], 0
        for qi in self.qis:
            out.append([s * scale for s in sums[pos : pos + qi.hierarchy.height + 1]])
            pos += qi.hierarchy.height + 1
        return out

    @property
    def rolls_up(self) -> bool:
        """Whether ``roll_up`` with its default threshold can ever shrink the table."""
        return self.base_rows >= ROLLUP_MIN_ROWS

    def roll_up(self, floor: Sequence[int], min_rows: int = ROLLUP_MIN_ROWS) -> None:
        """Pre-aggregate the frequency table to ``floor`` levels; later nodes must be at or above it.

        Every column of a level at or above the floor is a function of the floor level, so
        grouping by the floor codes loses nothing the remaining nodes need. Skipped for small tables.
        """
        floor = list(floor)
        if floor == self.floor or (self.current_rows < min_rows and self.current == self.base):
            return
        above = all(f >= c for f, c in zip(floor, self.floor, strict=True))
        source = self.current if above else self.base
        if not above and self.current_rows < min_rows:
            return
        source_rows = self.current_rows if above else self.base_rows
        classes_at_floor = math.prod(self.cardinality[i][f] for i, f in enumerate(floor))
        if min_rows and classes_at_floor * 2 > source_rows:
            return  # grouping could not halve the table: not worth a pass over it
        e, d = self.engine, self.engine.dialect
        codes = [e.ident(f"q{i}_{f}") for i, f in enumerate(floor)]
        radix = [self.cardinality[i][f] for i, f in enumerate(floor)]
        params: dict[str, Any] = {}
        if math.prod(radix) < 2**62:
            # group on one BIGINT key (as in node queries); the codes ride along via MIN
            terms, multiplier = [], 1
            for i, col in enumerate(codes):
                params[f"u_{i}"] = multiplier
                terms.append(f"{col} * {d.param(f'u_{i}')}")
                multiplier *= radix[i]
            keys = ["(" + " + ".join(terms) + ")"]
            select = [f"MIN({c}) AS {c}" for c in codes]
        else:
            keys, select = list(codes), list(codes)
        if self.sensitive is not None:
            keys.append("s")
            select.append("s")
        select.append("SUM(n) AS n")
        select.extend(self._levels_above(floor))
        select.append("SUM(ctop) AS ctop")
        rolled = self._temp("hogo_rolled")
        e.create_table_as(
            rolled,
            f"SELECT {', '.join(select)} FROM {e.ident(source)} GROUP BY {', '.join(keys)}",
            params or None,
        )
        if self.current != self.base:
            e.drop(self.current)
        self.current, self.floor = rolled, floor
        self.current_rows = e.count(rolled)

    def _levels_above(self, floor: Sequence[int]) -> list[str]:
        """What a roll-up to ``floor`` keeps of the levels above it: their codes (functions of the
        floor's) and, for metrics with cell costs, the costs from the floor up, summed."""
        e = self.engine
        select = []
        for i, (qi, f) in enumerate(zip(self.qis, floor, strict=True)):
            for j in range(f + 1, qi.hierarchy.height + 1):
                select.append(f"MIN({e.ident(f'q{i}_{j}')}) AS {e.ident(f'q{i}_{j}')}")
            if self.metric.needs_cell_costs:
                for j in range(f, qi.hierarchy.height + 1):
                    select.append(f"SUM({e.ident(f'c{i}_{j}')}) AS {e.ident(f'c{i}_{j}')}")
        return select

    def _classes_sql(
        self, node: Sequence[int], index: int, full: bool, codes: bool = False
    ) -> tuple[str, dict[str, Any], str]:
        """One row per equivalence class of ``node``: size, sensitive stats, costs; and the fail test.

        With ``codes`` the class's level code per attribute is included as ``kc0``, ``kc1``, ….
        """
        e, d = self.engine, self.engine.dialect
        cols = [e.ident(f"q{i}_{lvl}") for i, lvl in enumerate(node)]
        radix = [self.cardinality[i][lvl] for i, lvl in enumerate(node)]
        key_params: dict[str, Any] = {}
        if math.prod(radix) < 2**62:
            # One BIGINT key per class (mixed radix over the level codes) groups ~10x faster
            # than several columns; the multipliers are bound parameters.
            terms, multiplier = [], 1
            for i, col in enumerate(cols):
                name = f"r{index}_{i}"
                key_params[name] = multiplier
                terms.append(f"{col} * {d.param(name)}")
                multiplier *= radix[i]
            group = "(" + " + ".join(terms) + ")"
            key_select, key_cols = f"{group} AS ckey", "ckey"
        else:
            group = ", ".join(cols)
            key_select = ", ".join(f"{c} AS {e.ident(f'kc{i}')}" for i, c in enumerate(cols))
            key_cols = ", ".join(e.ident(f"kc{i}") for i in range(len(cols)))
        if self.metric.needs_cell_costs and full:
            cost = " + ".join(e.ident(f"c{i}_{lvl}") for i, lvl in enumerate(node))
            top = "ctop"
        else:
            cost, top = "0.0", "0.0"
        fail, params = self.model.fail_condition(d)
        use_base = codes or any(lvl < f for lvl, f in zip(node, self.floor, strict=True))
        src = e.ident(self.base if use_base else self.current)
        code_cols = ""
        if codes:
            source_cols = cols if self.sensitive is None else [e.ident(f"kc{i}") for i in range(len(cols))]
            code_cols = "".join(f"MIN({c}) AS {e.ident(f'kc{i}')}, " for i, c in enumerate(source_cols))
            if self.sensitive is not None and key_cols == "ckey":
                key_select += ", " + ", ".join(f"{c} AS {e.ident(f'kc{i}')}" for i, c in enumerate(cols))
                group_extra = ", " + ", ".join(cols)
            else:
                group_extra = ""
        else:
            group_extra = ""
        if self.sensitive is None:
            classes = (
                f"SELECT {code_cols}CAST(SUM(n) AS BIGINT) AS size, SUM({cost}) AS cost, "
                f"SUM({top}) AS tcost "
                f"FROM {src} GROUP BY {group}"
            )
        else:
            per_value = (
                f"SELECT {key_select}, s, SUM(n) AS m, SUM({cost}) AS cost, SUM({top}) AS tcost "
                f"FROM {src} GROUP BY {group}, s{group_extra}"
            )
            tcl = "0.0 AS tcl"
            if self.dist is not None:
                per_value = (
                    f"SELECT pv.*, CAST(pv.m AS DOUBLE) / SUM(pv.m) OVER (PARTITION BY {key_cols}) AS share, "
                    f"dist.p AS p FROM ({per_value}) AS pv JOIN {e.ident(self.dist)} AS dist "
                    # a missing sensitive value is a value of its own, as in the distribution
                    f"ON pv.s IS NOT DISTINCT FROM dist.s"
                )
                tcl = "0.5 * (SUM(ABS(share - p)) + 1.0 - SUM(p)) AS tcl"
            classes = (
                f"SELECT {code_cols}CAST(SUM(m) AS BIGINT) AS size, COUNT(*) AS dl, "
                f"SUM(m * {d.ln('m')}) AS sml, {tcl}, "
                f"SUM(cost) AS cost, SUM(tcost) AS tcost FROM ({per_value}) AS pv2 GROUP BY {key_cols}"
            )
        params.update(key_params)
        return classes, params, fail

    def failing_classes_sql(self, node: Sequence[int]) -> tuple[str, dict[str, Any]]:
        """The level codes (``kc0`` …) of the classes of ``node`` that fail the privacy model."""
        classes, params, fail = self._classes_sql(node, 0, full=False, codes=True)
        cols = ", ".join(self.engine.ident(f"kc{i}") for i in range(len(node)))
        return f"SELECT {cols} FROM ({classes}) AS c0 WHERE {fail}", params

    def _node_sql(self, node: Sequence[int], index: int, full: bool = True) -> tuple[str, dict[str, Any]]:
        d = self.engine.dialect
        classes, params, fail = self._classes_sql(node, index, full)
        node_param = f"node_{index}"
        params[node_param] = index
        flagged = f"SELECT size, cost, tcost, CASE WHEN {fail} THEN 1 ELSE 0 END AS f FROM ({classes}) AS c0"
        sql = (
            f"SELECT CAST({d.param(node_param)} AS INTEGER) AS node, COUNT(*) AS classes, "
            f"CAST(SUM(1 - f) AS BIGINT) AS kept_classes, CAST(SUM(size) AS BIGINT) AS total, "
            f"CAST(SUM(f * size) AS BIGINT) AS suppressed, "
            f"CAST(MIN(CASE WHEN f = 1 THEN NULL ELSE size END) AS BIGINT) AS min_kept, "
            f"CAST(SUM(cost) AS DOUBLE) AS cost_all, "
            f"CAST(SUM(CASE WHEN f = 1 THEN tcost ELSE cost END) AS DOUBLE) AS cost_final, "
            f"CAST(SUM(size * size) AS BIGINT) AS sq_all, "
            f"CAST(SUM((1 - f) * size * size) AS BIGINT) AS sq_kept "
            f"FROM ({flagged}) AS cls"
        )
        return sql, params

    def evaluate(self, nodes: Sequence[tuple[int, ...]], full: bool = True) -> list[NodeStats]:
        """Stats for each node, in the given order, from one UNION ALL query.

        ``full=False`` is the cheaper anonymity check: sizes and suppression only, costs zero.
        """
        if not nodes:
            return []
        parts, params = [], {}
        for index, node in enumerate(nodes):
            sql, p = self._node_sql(node, index, full)
            parts.append(sql)
            params.update(p)
        rows = self.engine.query(" UNION ALL ".join(parts), params).to_pylist()
        by_index = {int(r["node"]): r for r in rows}
        out = []
        for index, node in enumerate(nodes):
            r = by_index[index]
            out.append(
                NodeStats(
                    node=tuple(node),
                    classes=int(r["classes"]),
                    kept_classes=int(r["kept_classes"] or 0),
                    total=int(r["total"] or 0),
                    suppressed=int(r["suppressed"] or 0),
                    min_kept_size=None if r["min_kept"] is None else int(r["min_kept"]),
                    cost_all=float(r["cost_all"] or 0.0),
                    cost_final=float(r["cost_final"] or 0.0),
                    sq_all=int(r["sq_all"] or 0),
                    sq_kept=int(r["sq_kept"] or 0),
                )
            )
        return out
