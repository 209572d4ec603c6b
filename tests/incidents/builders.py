"""Builders for incident tests: facts from category ids, a fixed awareness time."""

from __future__ import annotations

from datetime import datetime

from hogo.domain.clock import JST
from hogo.domain.incidents.facts import Facts, InvolvedCategory
from hogo.domain.policy import AppiClass

AWARE = datetime(2026, 4, 1, 15, 30, tzinfo=JST)


def facts(categories: dict[str, AppiClass] | None = None, **values: object) -> Facts:
    cats = tuple(InvolvedCategory(id=k, appi_class=v) for k, v in (categories or {}).items())
    return Facts.model_validate({"data_categories": cats, **values})
