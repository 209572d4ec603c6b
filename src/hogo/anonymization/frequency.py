"""Evaluate lattice nodes in numpy from a frequency table that the engine computes once.

Why: evaluating a node is a regrouping of the input by the generalised values of its levels. The
engine reduces the input, however large, to one row per distinct combination of level-0 codes
(and the sensitive value) with its count, in one GROUP BY. Regrouping that table by a mixed-radix
class key is then a bincount (or one sort) in numpy: about 0.2 ms per node on Adult, where a
planned SQL query per batch of nodes costs tens. For k-anonymity the key comes from a few cached
block columns (:mod:`hogo.anonymization.blocks`), and ``check`` settles the many nodes that are
not anonymous from class sizes alone, before any class is named or costed. Cell costs are held per
generalised value and weighted by exact integer counts, so metric values do not depend on the
order in which the engine returns rows (DuckDB and Spark agree). Frequency tables too large for
memory are evaluated in SQL instead (:mod:`hogo.anonymization.evaluation`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from hogo.anonymization.blocks import KEY_LIMIT, BlockCodes, BlockKey, dense_limit
from hogo.anonymization.evaluation import ROLLUP_MIN_ROWS, QuasiIdentifier, SearchTables, level_codes
from hogo.anonymization.metrics import Metric, NodeStats, suppression_allowed
from hogo.anonymization.models import LVariant, PrivacyModel
from hogo.engines.base import SqlEngine
from hogo.errors import InputError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
SORT_WORTH_AVOIDING = 1 << 17  # rows from which a node's sort costs more than a cheap bound
# Tables up to this many rows get block columns (``blocks``): one column per block plus a cache.
# Larger ones keep per-attribute keys until a roll-up has shrunk them: a search over them checks
# few nodes, each dominated by its sort, and the columns would only add memory (measured at 1M).
BLOCK_ROWS = 1 << 18
COUNT_DENSE = 1 << 18  # key range up to which counting class sizes densely beats a sort


def _starts(sorted_keys: I64) -> I64:
    """Index of the first element of each run of equal values."""
    if not len(sorted_keys):
        return np.zeros(0, np.int64)
    change = np.empty(len(sorted_keys), dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def _mixed_key(cols: Sequence[I64], cards: Sequence[int]) -> tuple[I64, list[int], int] | None:
    """One int64 key per row (attribute 0 least significant, as in SQL), or None if too wide."""
    if math.prod(cards) >= KEY_LIMIT:
        return None
    mults: list[int] = []
    key: I64 | None = None
    m = 1
    for col, card in zip(cols, cards, strict=True):
        mults.append(m)
        if key is None:
            key = col.astype(np.int64, copy=True)
        elif card > 1:
            key += col * m
        m *= card
    assert key is not None
    return key, mults, m


def sum_by_key(key: I64, weights: I64, key_range: int) -> tuple[I64, I64]:
    """Distinct keys in ascending order and the sum of ``weights`` (positive counts) per key.

    A dense bincount when the key range is small, else one sort of keys packed with their weights.
    """
    if not len(key):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if key_range <= dense_limit(len(key)):
        sums = np.bincount(key, weights=weights, minlength=key_range)  # exact: integers below 2**53
        present = np.flatnonzero(sums)
        return present, sums[present].astype(np.int64)
    bits = max(int(weights.max()), 1).bit_length()
    if (key_range - 1).bit_length() + bits <= 62:
        packed = np.sort((key << bits) | weights)
        keys = packed >> bits
        starts = _starts(keys)
        return keys[starts], np.add.reduceat(packed & ((1 << bits) - 1), starts)
    order = np.argsort(key, kind="stable")
    keys = key[order]
    starts = _starts(keys)
    return keys[starts], np.add.reduceat(weights[order], starts)


def _int64(column: pa.ChunkedArray) -> I64:
    """A column without nulls as one int64 array (no copy beyond joining the chunks)."""
    return np.asarray(column.to_numpy(), dtype=np.int64)


@dataclass
class _Rows:
    """The frequency table grouped at ``floor``: one level code per attribute, count, sensitive code."""

    codes: list[I64]
    n: I64
    s: I64 | None
    floor: list[int]
    blocks: BlockCodes | None = None  # built on first use, for k-anonymity (no sensitive codes)

    @functools.cached_property
    def weights(self) -> F64:
        """The counts as float64, as ``np.bincount`` takes weights (exact: integers below 2**53)."""
        return self.n.astype(np.float64)


@dataclass
class _Classes:
    """The equivalence classes of one node: sizes, which fail the model, and how to name them."""

    sizes: I64
    fail: Mask
    keys: I64 | None  # mixed-radix class keys, or None when ``codes`` holds the codes directly
    mults: list[int]
    cards: list[int]
    codes: list[I64] | None = None
    decode: Callable[[I64], list[I64]] | None = None  # for keys made from block columns

    def class_codes(self, mask: Mask) -> list[I64]:
        """The level code of each attribute for the classes selected by ``mask``."""
        if self.codes is not None:
            return [c[mask] for c in self.codes]
        assert self.keys is not None
        keys = self.keys[mask]
        if self.decode is not None:
            return self.decode(keys)
        return [(keys // m) % c for m, c in zip(self.mults, self.cards, strict=True)]


class FrequencyEvaluator(SearchTables):
    """Node statistics computed in numpy; same interface and results as ``NodeEvaluator``."""

    def __init__(
        self,
        engine: SqlEngine,
        source: str,
        qis: Sequence[QuasiIdentifier],
        model: PrivacyModel,
        metric: Metric,
        sensitive: str | None = None,
        *,
        max_rows: int | None = None,
    ) -> None:
        super().__init__(engine, qis, model, metric, sensitive)
        codes = [level_codes(qi.hierarchy) for qi in self.qis]
        self.cards = [[int(c.max()) + 1 for c in per_level] for per_level in codes]
        # up[i][(f, l)][code at level f] = code at level l (the hierarchy is a tree)
        self.up: list[dict[tuple[int, int], I64]] = []
        for per_level, cards in zip(codes, self.cards, strict=True):
            maps: dict[tuple[int, int], I64] = {}
            for f in range(len(per_level)):
                for lvl in range(f + 1, len(per_level)):
                    lift = np.zeros(cards[f], np.int64)
                    lift[per_level[f]] = per_level[lvl]
                    maps[(f, lvl)] = lift
            self.up.append(maps)
        self._checked: dict[tuple[int, ...], NodeStats] = {}
        try:
            frequencies = self._fetch(source, max_rows)
            self.loaded = frequencies is not None
            if frequencies is None:
                return  # too large for memory: the caller evaluates in SQL instead
            self.base = self._load(frequencies)
        except BaseException:
            self.close()  # the caller gets no evaluator to close
            raise
        self.rolled = self.base
        self._tried_floors: set[tuple[int, ...]] = set()
        self.total = int(self.base.n.sum())
        self.leaf_freq = [
            np.bincount(q, weights=self.base.n, minlength=self.cards[i][0]).astype(np.int64)
            for i, q in enumerate(self.base.codes)
        ]
        self._costs(codes)
        self.p: F64 | None = None
        if model.t is not None and self.base.s is not None:
            self.p = np.bincount(self.base.s, weights=self.base.n, minlength=self.s_card) / max(self.total, 1)

    def frequency_sql(self, source: str) -> str:
        """Counts per distinct combination of level-0 codes (NULL for a value not in the hierarchy).

        Rows are coded through the hierarchy tables before grouping: grouping integer codes is
        cheaper than grouping the values as strings, and equal codes mean equal strings.
        """
        e, d = self.engine, self.engine.dialect
        select, joins = [], []
        for i, (qi, hname) in enumerate(zip(self.qis, self.hier_names, strict=True)):
            alias = e.ident(f"h{i}")
            value = d.cast_string(f"w.{e.ident(qi.name)}")
            joins.append(f"LEFT JOIN {e.ident(hname)} AS {alias} ON {value} = {alias}.v")
            select.append(f"{alias}.{e.ident('k0')} AS {e.ident(f'q{i}')}")
        if self.sensitive is not None:
            select.append(d.cast_string(f"w.{e.ident(self.sensitive)}") + " AS s")
        groups = ", ".join(str(i + 1) for i in range(len(select)))
        return (
            f"SELECT {', '.join(select)}, COUNT(*) AS n FROM {e.ident(source)} AS w {' '.join(joins)} "
            f"GROUP BY {groups}"
        )

    def _fetch(self, source: str, max_rows: int | None) -> pa.Table | None:
        """The frequency table as Arrow; None if it has more than ``max_rows`` rows."""
        sql = self.frequency_sql(source)
        if max_rows is None:
            return self.engine.query(sql)
        name = self.engine.temp_name("hogo_freq")
        try:
            self.engine.create_table_as(name, sql)
            if self.engine.count(name) > max_rows:
                return None
            return self.engine.query(f"SELECT * FROM {self.engine.ident(name)}")
        finally:
            self.engine.drop(name)

    def _load(self, table: pa.Table) -> _Rows:
        n = _int64(table.column("n"))
        codes = []
        for i, qi in enumerate(self.qis):
            col = table.column(f"q{i}")
            if col.null_count:
                missing = int(pc.sum(pc.filter(table.column("n"), pc.is_null(col))).as_py() or 0)
                raise InputError(
                    f"階層にない値（空欄を含む）が {missing} 件あります。",
                    f"{missing} values (including blanks) are not in the hierarchy",
                    field=qi.name,
                )
            codes.append(_int64(col))
        s = None
        self.s_card = 1
        if self.sensitive is not None:
            encoded = pc.dictionary_encode(table.column("s").combine_chunks(), null_encoding="encode")
            s = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            self.s_card = max(len(encoded.dictionary), 1)
        return _Rows(codes, n, s, [0] * len(self.qis))

    def _costs(self, codes: list[list[I64]]) -> None:
        """Per attribute and level: the summed cell cost, and per value the cost of suppressing it.

        ``gain[i][j][g]`` is the cost of one record at the top level minus its cost at value ``g``
        of level ``j``: what a suppressed record adds to the metric over its generalised cost.
        """
        self.level_sum: list[list[float]] = []
        self.gain: list[list[F64]] = []
        for i, (qi, per_level) in enumerate(zip(self.qis, codes, strict=True)):
            height, domain = qi.hierarchy.height, len(qi.hierarchy.rows)
            freq0 = self.leaf_freq[i]
            sums: list[float] = []
            gains: list[F64] = []
            for j in range(height + 1):
                card = self.cards[i][j]
                leaf_to_level = per_level[j][np.argsort(per_level[0])]  # indexed by level-0 code
                if self.metric == Metric.loss:
                    leaves = np.bincount(per_level[j], minlength=card)
                    unit = (leaves - 1) / (domain - 1) if domain > 1 else np.zeros(card)
                    sums.append(float(np.dot(freq0, unit[leaf_to_level])))
                    gains.append((1.0 if domain > 1 else 0.0) - unit)
                elif self.metric == Metric.precision:
                    share = j / height if height else 0.0
                    sums.append(share * self.total)
                    gains.append(np.full(card, (1.0 if height else 0.0) - share))
                elif self.metric == Metric.entropy:
                    level_freq = np.bincount(leaf_to_level, weights=freq0, minlength=card)
                    seen = freq0 > 0
                    ratio = freq0[seen] / level_freq[leaf_to_level[seen]]
                    sums.append(float(np.dot(freq0[seen], -np.log(ratio) / np.log(2.0))))
                    gain = np.zeros(card)
                    present = level_freq > 0
                    gain[present] = (math.log(max(self.total, 1)) - np.log(level_freq[present])) / np.log(2.0)
                    gains.append(gain)
                else:
                    sums.append(0.0)
                    gains.append(np.zeros(card))
            self.level_sum.append(sums)
            self.gain.append(gains)

    @property
    def heights(self) -> list[int]:
        return [qi.hierarchy.height for qi in self.qis]

    def level_bounds(self) -> list[list[float]]:
        """Per attribute and level, the metric's share of the lower bound (see ``NodeEvaluator``)."""
        scale = 1.0 if self.metric == Metric.entropy else 1.0 / ((self.total or 1.0) * len(self.qis))
        return [[s * scale for s in sums] for sums in self.level_sum]

    def _lift(self, i: int, floor: int, level: int, col: I64) -> I64:
        return col if level == floor else self.up[i][(floor, level)][col]

    def _rows_for(self, node: Sequence[int]) -> _Rows:
        if self.rolled is self.base or all(lvl >= f for lvl, f in zip(node, self.rolled.floor, strict=True)):
            return self.rolled
        return self.base

    @property
    def rolls_up(self) -> bool:
        """Whether ``roll_up`` with its default threshold can ever shrink the table."""
        return len(self.base.n) >= ROLLUP_MIN_ROWS

    def roll_up(self, floor: Sequence[int], min_rows: int = ROLLUP_MIN_ROWS) -> None:
        """Pre-aggregate the table to ``floor`` levels; nodes below the floor still use the base.

        Skipped for small tables; kept only when grouping at least halved the table. The key range
        says little about the distinct combinations that occur (near-unique rows at the bottom,
        a few thousand classes higher up), so grouping is tried, once per floor: it costs what
        one node costs, and every later node above the floor then reads the smaller table.
        """
        floor = list(floor)
        if floor == self.rolled.floor or tuple(floor) in self._tried_floors:
            return
        above = all(f >= c for f, c in zip(floor, self.rolled.floor, strict=True))
        source = self.rolled if above else self.base
        if len(source.n) < min_rows:
            return
        self._tried_floors.add(tuple(floor))
        cards = [self.cards[i][f] for i, f in enumerate(floor)]
        cols = [self._lift(i, source.floor[i], f, source.codes[i]) for i, f in enumerate(floor)]
        if source.s is not None:
            cols.append(source.s)
            cards.append(self.s_card)
        mixed = _mixed_key(cols, cards)
        if mixed is None:
            return
        key, mults, key_range = mixed
        keys, sums = sum_by_key(key, source.n, key_range)
        if min_rows and len(sums) * 2 > len(source.n):
            return
        decoded = [(keys // m) % c for m, c in zip(mults, cards, strict=True)]
        s = decoded.pop() if source.s is not None else None
        self.rolled = _Rows(decoded, sums, s, floor)

    def _node_key(self, rows: _Rows, node: Sequence[int], cards: Sequence[int]) -> tuple[I64, list[int], int]:
        """The mixed-radix class key of each row at ``node``, as ``_mixed_key`` of the lifted codes.

        Each attribute costs one gather from its small level map pre-multiplied by the attribute's
        radix, into reused buffers: several times faster than gathering, multiplying and adding.
        """
        key = np.zeros(len(rows.n), np.int64)
        part = np.empty_like(key)
        mults, m, first = [], 1, True
        for i, (lvl, card) in enumerate(zip(node, cards, strict=True)):
            mults.append(m)
            if card > 1:
                f = rows.floor[i]
                lift = self.up[i][(f, lvl)] if lvl != f else np.arange(self.cards[i][f], dtype=np.int64)
                np.take(lift * m, rows.codes[i], out=key if first else part, mode="clip")
                if not first:
                    key += part
                first = False
            m *= card
        return key, mults, m

    def _block_key(self, rows: _Rows, node: Sequence[int]) -> BlockKey | None:
        """The node's class key from block columns (k-anonymity on tables that fit), else None."""
        if rows.s is not None or len(rows.n) > BLOCK_ROWS:
            return None
        if rows.blocks is None:
            rows.blocks = BlockCodes(rows.codes, rows.floor, self.cards, self.up)
        return rows.blocks.key(node)

    def _classes(self, node: Sequence[int]) -> _Classes:
        rows = self._rows_for(node)
        cards = [self.cards[i][lvl] for i, lvl in enumerate(node)]
        blocked = self._block_key(rows, node)
        if blocked is not None:
            key, key_range, decode = blocked
            keys, sizes = sum_by_key(key, rows.n, key_range)
            return _Classes(sizes, self.model.fails(sizes), keys, [], cards, decode=decode)
        width = math.prod(cards)
        if width < KEY_LIMIT and (rows.s is None or width * self.s_card < KEY_LIMIT):
            key, mults, key_range = self._node_key(rows, node, cards)
            if rows.s is None:
                keys, sizes = sum_by_key(key, rows.n, key_range)
                return _Classes(sizes, self.model.fails(sizes), keys, mults, cards)
            key *= self.s_card
            key += rows.s
            pair_keys, counts = sum_by_key(key, rows.n, key_range * self.s_card)
            class_of_pair, s_of_pair = np.divmod(pair_keys, self.s_card)
            starts = _starts(class_of_pair)
            sizes, fail = self._judge_pairs(starts, counts, s_of_pair)
            return _Classes(sizes, fail, class_of_pair[starts], mults, cards)
        # Keys too wide for one int64: group the code columns themselves (slower, rarely needed).
        cols = [self._lift(i, rows.floor[i], lvl, rows.codes[i]) for i, lvl in enumerate(node)]
        stacked = np.stack([*cols, *([rows.s] if rows.s is not None else [])], axis=1)
        uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=rows.n, minlength=len(uniq)).astype(np.int64)
        if rows.s is None:
            codes = [uniq[:, i] for i in range(len(cols))]
            return _Classes(counts, self.model.fails(counts), None, [], cards, codes)
        part = uniq[:, :-1]
        change = np.ones(len(uniq), dtype=bool)
        change[1:] = (part[1:] != part[:-1]).any(axis=1)
        starts = np.flatnonzero(change)
        sizes, fail = self._judge_pairs(starts, counts, uniq[:, -1])
        codes = [part[starts, i] for i in range(len(cols))]
        return _Classes(sizes, fail, None, [], cards, codes)

    def _judge_pairs(self, starts: I64, counts: I64, s: I64) -> tuple[I64, Mask]:
        """Class sizes and model failures from (class, sensitive value) counts grouped by class."""
        if not len(counts):
            return np.zeros(0, np.int64), np.zeros(0, dtype=bool)
        sizes = np.add.reduceat(counts, starts)
        dl = np.diff(np.append(starts, len(counts)))
        sml = tcl = None
        if self.model.l is not None and self.model.l_variant == LVariant.entropy:
            sml = np.add.reduceat(counts * np.log(counts), starts)
        if self.p is not None:
            share = counts / np.repeat(sizes, dl)
            p = self.p[s]
            tcl = 0.5 * (np.add.reduceat(np.abs(share - p), starts) + 1.0 - np.add.reduceat(p, starts))
        return sizes, self.model.fails(sizes, dl, sml, tcl)

    def _stats(self, node: Sequence[int], c: _Classes) -> NodeStats:
        sizes, fail = c.sizes, c.fail
        kept = sizes[~fail]
        failed = sizes[fail]
        suppressed = int(failed.sum())
        cost_all = 0.0
        for i, lvl in enumerate(node):
            cost_all += self.level_sum[i][lvl]
        cost_final = cost_all
        if suppressed and self.metric.needs_cell_costs:
            for i, (lvl, codes) in enumerate(zip(node, c.class_codes(fail), strict=True)):
                freq = np.bincount(codes, weights=failed, minlength=self.cards[i][lvl])
                cost_final += float(np.dot(freq, self.gain[i][lvl]))
        return NodeStats(
            node=tuple(node),
            classes=len(sizes),
            kept_classes=len(kept),
            total=int(sizes.sum()),
            suppressed=suppressed,
            min_kept_size=int(kept.min()) if len(kept) else None,
            cost_all=cost_all,
            cost_final=cost_final,
            sq_all=int(np.dot(sizes, sizes)),
            sq_kept=int(np.dot(kept, kept)),
        )

    def evaluate(self, nodes: Sequence[tuple[int, ...]], full: bool = True) -> list[NodeStats]:
        """Stats for each node, in the given order (``full`` is accepted for interface parity)."""
        out = []
        for node in nodes:
            stats = self._checked.pop(tuple(node), None)
            out.append(stats if stats is not None else self._stats(node, self._classes(node)))
        return out

    def check(self, nodes: Sequence[tuple[int, ...]]) -> list[bool]:
        """Whether each node may be anonymous; False only when it provably is not.

        A node whose classes need a sort to count is first tested with a bound that needs only a
        bincount: kept classes hold at least k records each, so at most ⌊N/k⌋ classes are kept and
        every other class loses at least one record. Classes only merge as levels rise, so the
        number of classes of the node with some attributes raised to the top (the distinct
        combinations of the others) is a lower bound on the node's own. If even that count leaves
        more suppressed records than the limit allows, the node fails, whatever the model adds.
        Nodes not ruled out are evaluated in full here, and ``evaluate`` returns those statistics.
        """
        out = []
        for node in nodes:
            if self._ruled_out(node) or self._fails_by_count(node):
                out.append(False)
                continue
            stats = self._stats(node, self._classes(node))
            self._checked[tuple(node)] = stats
            out.append(stats.anonymous(self.model.suppression_limit))
        return out

    def _fails_by_count(self, node: Sequence[int]) -> bool:
        """Whether k-anonymity alone fails, from class sizes only (most nodes a search checks fail).

        The exact test of ``NodeStats.anonymous``, without naming the classes or costing them: a
        dense count per key when the key range is small, where empty keys count as suppressing 0.
        """
        rows = self._rows_for(node)
        blocked = self._block_key(rows, node)
        if blocked is None:
            return False
        key, key_range, _ = blocked
        if key_range <= max(8 * len(key), COUNT_DENSE):
            sizes = np.bincount(key, weights=rows.weights, minlength=key_range)  # exact below 2**53
        else:
            sizes = sum_by_key(key, rows.n, key_range)[1].astype(np.float64)
        np.copyto(sizes, 0.0, where=sizes >= self.model.k)  # what is left is suppressed
        suppressed = int(sizes.sum())
        allowed = suppression_allowed(self.total, self.model.suppression_limit)
        return suppressed > allowed or suppressed >= self.total  # or no class kept at all

    def _ruled_out(self, node: Sequence[int]) -> bool:
        rows = self._rows_for(node)
        if len(rows.n) < SORT_WORTH_AVOIDING:
            return False  # the node is cheap to count exactly
        total, dense = self.total, dense_limit(len(rows.n))
        allowed = suppression_allowed(total, self.model.suppression_limit)
        cards = [self.cards[i][lvl] for i, lvl in enumerate(node)]
        if math.prod(cards) <= dense:
            return False  # so is this one
        if total // self.model.k + allowed >= len(rows.n):
            return False  # even one class per row would not prove it
        chosen, width = [], 1
        for i in sorted(range(len(node)), key=lambda a: -cards[a]):
            if cards[i] > 1 and width * cards[i] <= dense:
                chosen.append(i)
                width *= cards[i]
        if not chosen:
            return False
        mixed = _mixed_key(
            [self._lift(i, rows.floor[i], node[i], rows.codes[i]) for i in chosen], [cards[i] for i in chosen]
        )
        assert mixed is not None
        present = np.zeros(mixed[2], dtype=bool)
        present[mixed[0]] = True
        return int(np.count_nonzero(present)) - total // self.model.k > allowed

    def failing_classes(self, node: Sequence[int]) -> pa.Table | None:
        """The level codes (``kc0`` …) of the classes of ``node`` that fail the model; None if none do."""
        c = self._classes(node)
        if not c.fail.any():
            return None
        codes = c.class_codes(c.fail)
        return pa.table({f"kc{i}": pa.array(col, pa.int64()) for i, col in enumerate(codes)})

    def class_size_histogram(self) -> list[tuple[int, int]]:
        """(class size, number of classes) over the original quasi-identifier values."""
        if self.base.s is None:
            sizes = self.base.n
        else:
            cards = [self.cards[i][0] for i in range(len(self.qis))]
            mixed = _mixed_key(self.base.codes, cards)
            if mixed is not None:
                sizes = sum_by_key(mixed[0], self.base.n, mixed[2])[1]
            else:
                stacked = np.stack(self.base.codes, axis=1)
                inverse = np.unique(stacked, axis=0, return_inverse=True)[1].ravel()
                sizes = np.bincount(inverse, weights=self.base.n).astype(np.int64)
        values, counts = np.unique(sizes, return_counts=True)
        return [(int(v), int(c)) for v, c in zip(values, counts, strict=True) if v > 0]
