"""The personal-information inventory (個人情報管理台帳): which datasets hold whose personal data.

The inventory is what an incident is scoped against: when a dataset leaks, its data categories
decide 規則7条1号/2号, its subjects and count decide 規則7条4号, and its encryption decides the
advanced-encryption exclusion. It is therefore validated against the policy (every data category,
purpose and outsourcee must resolve) before it is stored.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from hogo.domain.consent import SubjectId
from hogo.domain.display import Labelled
from hogo.domain.ids import Identifier
from hogo.domain.model import Frozen
from hogo.domain.policy import AppiClass, Policy, Relationship


class LocationKind(Labelled, StrEnum):
    system = "system"  # 業務システム
    server = "server"  # 社内サーバ
    cloud = "cloud"  # クラウドサービス
    paper = "paper"  # 紙媒体
    device = "device"  # PC・スマートフォン・USBメモリ等の端末や媒体


class Encryption(Labelled, StrEnum):
    """Protection of the stored data, in the terms the PPC guideline uses for 規則7条1号括弧書.

    Only `advanced` (高度な暗号化その他の個人の権利利益を保護するために必要な措置) excludes a
    leak from the reporting duty, and only while the key itself has not leaked.
    """

    none = "none"
    standard = "standard"
    advanced = "advanced"


class SubjectQueryKind(StrEnum):
    """How a dataset says whom it covers; the service turns this into a query over subjects."""

    none = "none"  # not linked to registered subjects (e.g. paper forms): only `count` is known
    all = "all"  # every registered subject
    id_prefix = "id_prefix"  # subjects whose subject_id starts with `value`
    listed = "listed"  # exactly the imported `subject_ids`


class SubjectScope(Frozen):
    kind: SubjectQueryKind = SubjectQueryKind.none
    value: str = ""
    subject_ids: tuple[SubjectId, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.kind is SubjectQueryKind.id_prefix and not self.value:
            raise ValueError("an id_prefix scope needs a value")
        if self.kind is SubjectQueryKind.listed and not self.subject_ids:
            raise ValueError("a listed scope needs subject_ids")
        if self.kind is not SubjectQueryKind.listed and self.subject_ids:
            raise ValueError("subject_ids are only allowed with kind 'listed'")
        return self


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class Dataset(Frozen):
    """One entry of the 管理台帳: a dataset or system holding personal data."""

    id: Identifier
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    owner: Text = ""
    location_kind: LocationKind = LocationKind.system
    location: Text = ""
    data_categories: tuple[Identifier, ...] = ()
    purposes: tuple[Identifier, ...] = ()
    subjects: SubjectScope = SubjectScope()
    count: int = Field(default=0, ge=0)
    retention: Text = ""
    access_roles: tuple[Identifier, ...] = ()
    encryption: Encryption = Encryption.none
    outsourcees: tuple[Identifier, ...] = ()


class Inventory(Frozen):
    datasets: tuple[Dataset, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        seen: set[str] = set()
        for i, d in enumerate(self.datasets):
            if d.id in seen:
                raise ValueError(f"datasets.{i}.id: duplicate id {d.id!r}")
            seen.add(d.id)
        return self

    def dataset(self, dataset_id: str) -> Dataset | None:
        return next((d for d in self.datasets if d.id == dataset_id), None)


def problems_against_policy(dataset: Dataset, policy: Policy) -> list[str]:
    """Field paths (no values beyond ids) that do not resolve in the policy."""
    problems: list[str] = []
    for j, c in enumerate(dataset.data_categories):
        if policy.category(c) is None:
            problems.append(f"data_categories.{j}")
    for j, p in enumerate(dataset.purposes):
        if policy.purpose(p) is None:
            problems.append(f"purposes.{j}")
    for j, r in enumerate(dataset.outsourcees):
        recipient = policy.recipient(r)
        if recipient is None or recipient.relationship is not Relationship.outsourcee:
            problems.append(f"outsourcees.{j}")
    return problems


def classes_of(dataset: Dataset, policy: Policy) -> dict[str, AppiClass]:
    """The APPI class of each of the dataset's categories, as the policy declares it."""
    return {c: cat.appi_class for c in dataset.data_categories if (cat := policy.category(c)) is not None}
