"""The whole inventory: devices plus backup jobs, validated together so ids are unique."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from hogo.domain.model import Frozen
from hogo.domain.readiness.assets import Asset
from hogo.domain.readiness.backups import BackupJob


class Inventory(Frozen):
    assets: tuple[Asset, ...] = ()
    backups: tuple[BackupJob, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        for what, ids in (("assets", [a.id for a in self.assets]), ("backups", [b.id for b in self.backups])):
            seen: set[str] = set()
            for i in ids:
                if i in seen:
                    raise ValueError(f"{what}: duplicate id {i!r}")
                seen.add(i)
        return self

    def asset(self, asset_id: str) -> Asset | None:
        return next((a for a in self.assets if a.id == asset_id), None)
