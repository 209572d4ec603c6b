"""Class keys of lattice nodes from a few cached block columns instead of one gather per attribute.

Why: the search evaluates hundreds of nodes over the same frequency table, and each node's class
key used to cost a gather, a multiply and an add per attribute over every row. Here attributes are
grouped into a few blocks whose codes at the table's levels combine into at most ``BLOCK_CARD``
values. For each combination of levels that a node asks for, a block is coded once as a dense
column (the rank of its attributes' joint code among those that occur), derived from the floor
column by one gather and cached. A node's key is then a sum of a few cached columns times their
radix, and the dense codes keep its range small enough for a bincount rather than a sort.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
BLOCK_CARD = 1 << 16  # joint codes a block may combine at the table's levels
CACHE_ELEMENTS = 1 << 22  # int64 elements of cached block columns (32 MB); beyond it, not cached
KEY_LIMIT = 1 << 62  # class keys (of blocks, and the mixed-radix ones of `frequency`) stay below this
DENSIFY_LIMIT = 1 << 22  # widest partial key renumbered densely (a pass over its range)


def dense_limit(rows: int) -> int:
    """The widest key range over ``rows`` rows still counted densely (a bincount over the range)
    rather than sorted: about the rows' own number, never below 65,536."""
    return max(2 * rows, 1 << 16)


# A node's class key per row, its range, and a decoder from class keys to the level codes.
BlockKey = tuple[I64, int, Callable[[I64], list[I64]]]


@dataclass(frozen=True)
class _Coded:
    """One block at one combination of its attributes' levels."""

    rows: I64  # the dense code of each table row
    card: int  # how many dense codes occur
    attr_codes: list[I64]  # per attribute of the block: its level code, indexed by dense code


def _dense(raw: I64, key_range: int) -> tuple[I64, I64]:
    """Rank of each possible joint code among those in ``raw`` (a map), and the codes present."""
    present = np.zeros(key_range, dtype=bool)
    present[raw] = True
    values = np.flatnonzero(present)
    rank = np.zeros(key_range, dtype=np.int64)
    rank[values] = np.arange(len(values), dtype=np.int64)
    return rank, values


def _joint(cols: Sequence[I64], cards: Sequence[int]) -> tuple[I64, list[int], int]:
    """Mixed-radix joint code of ``cols`` (first attribute least significant), multipliers, range."""
    key = np.zeros(len(cols[0]), dtype=np.int64)
    mults, m = [], 1
    for col, card in zip(cols, cards, strict=True):
        mults.append(m)
        if card > 1:
            key += col * m
        m *= card
    return key, mults, m


def _decode(values: I64, mults: Sequence[int], cards: Sequence[int]) -> list[I64]:
    return [(values // m) % c for m, c in zip(mults, cards, strict=True)]


class BlockCodes:
    """Dense block columns of one table of level codes, and node keys made from them.

    ``codes[i]`` holds attribute ``i``'s code at level ``floor[i]`` per row; ``cards[i][j]`` is the
    number of codes at level ``j``; ``up[i][(f, j)]`` maps a code at level ``f`` to level ``j``.
    """

    def __init__(
        self,
        codes: Sequence[I64],
        floor: Sequence[int],
        cards: Sequence[Sequence[int]],
        up: Sequence[dict[tuple[int, int], I64]],
    ) -> None:
        self.floor = list(floor)
        self.cards = cards
        self.up = up
        self.rows = len(codes[0]) if codes else 0
        self.groups = self._group([cards[i][f] for i, f in enumerate(floor)])
        self.base: list[_Coded] = [self._floor_block(g, codes) for g in self.groups]
        # the floor columns are entries too (not counted against the budget: they always exist)
        self._cache: dict[tuple[int, tuple[int, ...]], _Coded] = {
            (g, tuple(self.floor[i] for i in group)): b
            for g, (group, b) in enumerate(zip(self.groups, self.base, strict=True))
        }
        self._cached = 0

    @staticmethod
    def _group(floor_cards: Sequence[int]) -> list[list[int]]:
        """Consecutive attributes while their joint range stays within ``BLOCK_CARD``."""
        groups: list[list[int]] = []
        width = BLOCK_CARD + 1
        for i, card in enumerate(floor_cards):
            if width * card > BLOCK_CARD:
                groups.append([])
                width = 1
            groups[-1].append(i)
            width *= card
        return groups

    def _floor_block(self, group: list[int], codes: Sequence[I64]) -> _Coded:
        cards = [self.cards[i][self.floor[i]] for i in group]
        raw, mults, key_range = _joint([codes[i] for i in group], cards)
        rank, values = _dense(raw, key_range)
        return _Coded(rank[raw], len(values), _decode(values, mults, cards))

    def _block(self, g: int, levels: tuple[int, ...]) -> _Coded:
        """Block ``g`` at ``levels``: from its floor column through a map over its dense codes."""
        hit = self._cache.get((g, levels))
        if hit is not None:
            return hit
        group, base = self.groups[g], self.base[g]
        lifted = [
            codes if lvl == self.floor[i] else self.up[i][(self.floor[i], lvl)][codes]
            for i, lvl, codes in zip(group, levels, base.attr_codes, strict=True)
        ]
        cards = [self.cards[i][lvl] for i, lvl in zip(group, levels, strict=True)]
        raw, mults, key_range = _joint(lifted, cards)
        rank, values = _dense(raw, key_range)
        coded = _Coded(rank[raw][base.rows], len(values), _decode(values, mults, cards))
        if self._cached + self.rows <= CACHE_ELEMENTS:
            self._cache[(g, levels)] = coded
            self._cached += self.rows
        return coded

    def key(self, node: Sequence[int]) -> BlockKey | None:
        """Each row's class key at ``node`` (at or above the floor; read-only, it may be a cached
        column), its range, and a decoder from class keys to the attributes' level codes; None if
        the key would not fit in an int64.

        Blocks are combined one by one; when the next combination would leave a key range too
        wide to count densely, the key so far is first renumbered densely over the values that
        occur (one pass over its range, which is small): ranges stay near the number of classes.
        """
        blocks = [self._block(g, tuple(node[i] for i in group)) for g, group in enumerate(self.groups)]
        if math.prod(b.card for b in blocks) >= KEY_LIMIT:
            return None
        widest = dense_limit(self.rows)
        key: I64 | None = None
        plan: list[tuple[int, int, I64 | None]] = []  # (block, radix below it, values renumbered)
        key_range = 1
        for g, b in enumerate(blocks):
            if b.card == 1:
                continue
            if key is None:
                key, key_range = b.rows, b.card
                plan.append((g, 1, None))
                continue
            values: I64 | None = None
            if key_range * b.card > widest and key_range <= DENSIFY_LIMIT:
                rank, values = _dense(key, key_range)
                key, key_range = rank[key], len(values)
            key = key + b.rows * key_range
            plan.append((g, key_range, values))
            key_range *= b.card
        if key is None:
            key = np.zeros(self.rows, dtype=np.int64)
        return key, key_range, lambda keys: self._decode(blocks, plan, keys, len(node))

    def _decode(
        self, blocks: list[_Coded], plan: list[tuple[int, int, I64 | None]], keys: I64, n: int
    ) -> list[I64]:
        """Undo ``key``'s combination, last block first: each attribute's level code per class."""
        dense: dict[int, I64] = {}
        for g, radix, values in reversed(plan):
            dense[g] = keys // radix
            keys = keys % radix
            if values is not None:
                keys = values[keys]
        out: list[I64] = [np.zeros(0, np.int64)] * n
        for g, (b, group) in enumerate(zip(blocks, self.groups, strict=True)):
            codes = dense.get(g, np.zeros(len(keys), np.int64))
            for i, attr in zip(group, b.attr_codes, strict=True):
                out[i] = attr[codes]
        return out
