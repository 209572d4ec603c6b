"""Backup jobs and the 3-2-1-1-0 rule.

Of 111 victims that tried to restore from backup in 2022, only 18.9% got back to the state before
the attack (NPA). Backups fail against ransomware when every copy is reachable from the infected
network, or when nobody ever tried a restore. 3-2-1-1-0 names what prevents both: three copies,
two media, one off-site, one offline or immutable, zero errors in a restore test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from hogo.domain.model import Frozen
from hogo.domain.readiness.assets import AssetId, ShortText

SourceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Media(StrEnum):
    local_disk = "local_disk"
    external_disk = "external_disk"
    nas = "nas"
    tape = "tape"
    optical = "optical"
    cloud = "cloud"
    other = "other"


class BackupJob(Frozen):
    """One copy of one source: where it goes, on what, how many generations, how isolated."""

    id: AssetId
    #: What is backed up: an asset id or a free name ("会計サーバ", "hogo store").
    source: SourceName
    #: Where the copy lands: an asset id or a free name.
    target: ShortText = ""
    media: Media
    generations: int = Field(default=1, ge=0, le=100_000)
    #: Old generations cannot be reached from the network (disconnected, or not visible/mounted).
    offline: bool = False
    #: Written once, cannot be changed or deleted before its retention ends (object lock, WORM).
    immutable: bool = False
    offsite: bool = False
    last_restore_test_on: date | None = None
    #: Errors found by the last restore test; None when not recorded.
    restore_test_errors: int | None = Field(default=None, ge=0)

    @property
    def isolated(self) -> bool:
        return self.offline or self.immutable


@dataclass(frozen=True, slots=True)
class Rule3211_0:
    """Where one source stands against 3-2-1-1-0 (the original counts as one copy)."""

    source: str
    copies: int
    media: int
    offsite: int
    isolated: int
    max_generations: int
    last_clean_restore_on: date | None

    @property
    def three_copies(self) -> bool:
        return self.copies >= 3

    @property
    def two_media(self) -> bool:
        return self.media >= 2

    @property
    def one_offsite(self) -> bool:
        return self.offsite >= 1

    @property
    def one_isolated(self) -> bool:
        return self.isolated >= 1


def evaluate_source(source: str, jobs: Iterable[BackupJob]) -> Rule3211_0:
    """Count copies, media, off-site and isolated copies of one source across its jobs.

    The original data is one copy on one medium (its own disk), so two backup jobs on a NAS give
    three copies but, with the original's disk, still only as many media as distinct backup media
    plus one.
    """
    own = [j for j in jobs if j.source == source]
    clean = [
        j.last_restore_test_on
        for j in own
        if j.last_restore_test_on is not None and j.restore_test_errors == 0
    ]
    media = {j.media for j in own} | {Media.local_disk}
    return Rule3211_0(
        source=source,
        copies=1 + sum(1 for j in own if j.generations > 0),
        media=len(media),
        offsite=sum(1 for j in own if j.offsite),
        isolated=sum(1 for j in own if j.isolated),
        max_generations=max((j.generations for j in own), default=0),
        last_clean_restore_on=max(clean, default=None),
    )


def sources(jobs: Iterable[BackupJob]) -> list[str]:
    """Backed-up sources in first-seen order."""
    seen: dict[str, None] = {}
    for j in jobs:
        seen.setdefault(j.source, None)
    return list(seen)
