"""Privacy models and the record-suppression limit that a release must satisfy.

Why as plain settings plus one SQL predicate: the models are checked per equivalence class inside
the engine (one group-by per lattice node), so each model contributes a condition on class
statistics — size, distinct sensitive values, entropy, distance to the overall distribution —
rather than code that walks records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from hogo.engines.base import Dialect
from hogo.errors import InputError


class LVariant(StrEnum):
    distinct = "distinct"
    entropy = "entropy"


@dataclass(frozen=True)
class PrivacyModel:
    """k-anonymity, optionally with l-diversity and/or t-closeness on one sensitive attribute.

    ``suppression_limit`` is the largest share of records (0–1) that may be removed because their
    class fails the model; ARX calls this the suppression limit.
    """

    k: int = 2
    l: int | None = None  # noqa: E741 — the model is called l-diversity
    l_variant: LVariant = LVariant.distinct
    t: float | None = None
    suppression_limit: float = 0.0

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InputError("k は 1 以上にしてください。", "k must be at least 1", field="k")
        if self.l is not None and self.l < 1:
            raise InputError("l は 1 以上にしてください。", "l must be at least 1", field="l")
        if self.t is not None and not 0 <= self.t <= 1:
            raise InputError("t は 0 以上 1 以下にしてください。", "t must be between 0 and 1", field="t")
        if not 0 <= self.suppression_limit < 1:
            raise InputError(
                "削除上限は 0 以上 1 未満にしてください。",
                "the suppression limit must be in [0, 1)",
                field="suppression",
            )

    @property
    def needs_sensitive(self) -> bool:
        return self.l is not None or self.t is not None

    @property
    def monotone(self) -> bool:
        """Whether failing records can only decrease as levels rise (true for k and distinct-l)."""
        return self.t is None and (self.l is None or self.l_variant == LVariant.distinct)

    def fail_condition(self, dialect: Dialect) -> tuple[str, dict[str, Any]]:
        """SQL predicate over class columns ``size``, ``dl``, ``sml``, ``tcl`` and its parameters.

        Values are bound parameters; the logarithm is spelled by the engine's dialect.
        """
        p = dialect.param
        parts = [f"size < {p('pm_k')}"]
        params: dict[str, Any] = {"pm_k": self.k}
        if self.l is not None:
            if self.l_variant == LVariant.distinct:
                parts.append(f"dl < {p('pm_l')}")
                params["pm_l"] = self.l
            else:
                # entropy(class) = ln(size) - Σ m ln m / size must reach ln(l)
                parts.append(f"({dialect.ln('size')} - sml / size) < {p('pm_lnl')}")
                params["pm_lnl"] = math.log(self.l) - 1e-9
        if self.t is not None:
            parts.append(f"tcl > {p('pm_t')}")
            params["pm_t"] = self.t + 1e-12
        return "(" + " OR ".join(parts) + ")", params

    def fails(
        self,
        size: npt.NDArray[np.int64],
        dl: npt.NDArray[np.int64] | None = None,
        sml: npt.NDArray[np.float64] | None = None,
        tcl: npt.NDArray[np.float64] | None = None,
    ) -> npt.NDArray[np.bool_]:
        """The same test as :meth:`fail_condition`, on class statistics held in numpy arrays."""
        fail = size < self.k
        if self.l is not None:
            if self.l_variant == LVariant.distinct:
                assert dl is not None
                fail |= dl < self.l
            else:
                assert sml is not None
                fail |= (np.log(size) - sml / size) < math.log(self.l) - 1e-9
        if self.t is not None:
            assert tcl is not None
            fail |= tcl > self.t + 1e-12
        return fail

    def describe(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "l": self.l,
            "l_variant": self.l_variant.value if self.l is not None else None,
            "t": self.t,
            "suppression_limit": self.suppression_limit,
        }
