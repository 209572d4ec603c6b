"""What a release will be, judged once before any data is read: its id, time, folder and lawfulness.

Why one place: acceptance (the API, the console, `hogo release run`) and the run must agree on
the release id, on the folder it will take and above all on what the decision engine judges.
They once did this twice, acceptance judging a provision to the recipient while the run judged
only the use, so statistics and 匿名加工情報 for a recipient the purpose does not name were
refused at the door although lawful. Now the service plans, and the pipeline runs the plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hogo.domain.clock import as_aware
from hogo.domain.decision import assess_purpose
from hogo.domain.policy import AppiClass, Policy
from hogo.errors import Conflict, InputError
from hogo.files.confine import refuse_served
from hogo.release.spec import ReleaseSpec


@dataclass(frozen=True)
class ProfileInput:
    """A recorded profile run a release takes items from (resolved by `hogo.services.releases`)."""

    profile_id: str
    #: The profiling purpose the run was made under: its current decision is checked again.
    purpose: str
    path: Path
    #: The output file's digest as recorded; a file that differs is refused.
    sha256: str


@dataclass(frozen=True)
class ReleasePlan:
    """A release that may run: the spec with its id fixed, the policy and the time it is judged at."""

    spec: ReleaseSpec
    policy: Policy
    at: datetime
    release_id: str
    #: The folder the release takes once recorded (`hogo.release.publish`).
    directory: Path
    #: The profile runs named by `profile:` items, by job id.
    profiles: dict[str, ProfileInput] = field(default_factory=dict)


def plan_release(spec: ReleaseSpec, policy: Policy, now: datetime) -> ReleasePlan:
    """Judge ``spec`` under ``policy`` at its time (``now`` when the spec names none).

    Refuses a release the decision engine forbids for everyone (法27条/法28条 for personal data,
    the purpose of use for statistics and 匿名加工情報, see `ReleaseSpec.decision_recipient`), an
    item outside the purpose's data categories, and a folder that is served or already taken.
    """
    at = as_aware(spec.at) if spec.at else now
    refused = assess_purpose(policy, spec.purpose, at, spec.decision_recipient).terminal
    if refused:
        first = refused[0]
        raise InputError(
            f"この提供はできません: {first.message_ja}({first.article})",
            f"release refused: {first.message_en}",
            field="purpose",
        )
    _check_items(policy, spec)
    release_id = spec.id or f"{at:%Y%m%d}-{spec.purpose}-{spec.recipient}-{uuid.uuid4().hex[:8]}"
    directory = spec.output.dir / release_id
    free_folder(
        directory, Conflict("同じ提供IDの出力が既にあります。", "a release with this id already exists.")
    )
    return ReleasePlan(spec.model_copy(update={"id": release_id}), policy, at, release_id, directory)


def free_folder(directory: Path, taken: Conflict) -> None:
    """Refuse an output folder that is served or already exists (raising ``taken`` then)."""
    refuse_served(directory, "output.dir")
    try:
        exists = directory.exists()
    except (OSError, ValueError):
        raise InputError(
            "出力先のパスを使えません。", "the output path cannot be used.", field="output.dir"
        ) from None
    if exists:
        raise taken


def _check_items(policy: Policy, spec: ReleaseSpec) -> None:
    """Purpose limitation: every item provided belongs to a data category of the purpose."""
    purpose = policy.purpose(spec.purpose)
    assert purpose is not None  # assess refuses an unknown purpose
    for item, category in spec.output.items.items():
        if category not in purpose.data_categories:
            raise InputError(
                f"項目は利用目的「{purpose.id}」のデータ区分に含まれません。",
                f"the item's data category is not among purpose '{purpose.id}''s categories.",
                field=f"output.items.{item}",
            )
        c = policy.category(category)
        if c is not None and c.appi_class is AppiClass.my_number:
            raise InputError("個人番号は提供できません(番号法19条)。", "My Number data is never provided.",
                             field=f"output.items.{item}")  # fmt: skip
