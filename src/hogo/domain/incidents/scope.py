"""Who and what an incident affects, derived from the inventory.

The affected persons are the union of the subjects each affected dataset covers (resolved by the
service from the dataset's subject query) and any explicit list; datasets not linked to
registered subjects (paper forms, say) contribute their recorded count. The protection that
counts is the weakest among the affected datasets: one unencrypted copy is enough to leak.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from hogo.domain.incidents.facts import Facts, InvolvedCategory
from hogo.domain.inventory import Dataset, Encryption, SubjectQueryKind
from hogo.domain.model import Frozen
from hogo.domain.policy import AppiClass

_STRENGTH = {Encryption.none: 0, Encryption.standard: 1, Encryption.advanced: 2}


def weakest(encryptions: Iterable[Encryption]) -> Encryption:
    values = list(encryptions)
    return min(values, key=_STRENGTH.__getitem__) if values else Encryption.none


class Scope(Frozen):
    datasets: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] = ()
    #: Persons in affected datasets that are not linked to registered subjects.
    unlinked_count: int = 0
    categories: tuple[str, ...] = ()
    encryption: Encryption = Encryption.none

    @property
    def persons(self) -> int:
        return len(self.subject_ids) + self.unlinked_count


def scope(
    datasets: Sequence[Dataset],
    resolved: Mapping[str, Iterable[str]],
    explicit_subjects: Iterable[str] = (),
) -> Scope:
    """`resolved` maps each linked dataset's id to the subject ids its query selects."""
    subjects: set[str] = set(explicit_subjects)
    unlinked = 0
    categories: list[str] = []
    for d in datasets:
        if d.subjects.kind is SubjectQueryKind.none:
            unlinked += d.count
        else:
            subjects.update(resolved.get(d.id, ()))
        categories.extend(c for c in d.data_categories if c not in categories)
    return Scope(
        datasets=tuple(d.id for d in datasets),
        subject_ids=tuple(sorted(subjects)),
        unlinked_count=unlinked,
        categories=tuple(categories),
        encryption=weakest(d.encryption for d in datasets) if datasets else Encryption.none,
    )


def facts_from_scope(
    found: Scope, classes: Mapping[str, AppiClass], given: Mapping[str, object] | None = None
) -> Facts:
    """Facts the inventory establishes, overridden field by field by what the officer recorded.

    `given` may list data categories by id; they are classed like the inventory's. A category
    the policy does not classify is treated as ordinary personal data.
    """

    def involved(category: str) -> InvolvedCategory:
        return InvolvedCategory(id=category, appi_class=classes.get(category, AppiClass.personal_data))

    overrides = dict(given or {})
    if isinstance(cats := overrides.get("data_categories"), list | tuple):
        overrides["data_categories"] = tuple(involved(c) if isinstance(c, str) else c for c in cats)
    base: dict[str, object] = {
        "data_categories": tuple(
            InvolvedCategory(id=c, appi_class=classes.get(c, AppiClass.personal_data))
            for c in found.categories
        ),
        "persons": found.persons,
        "encryption": found.encryption,
    }
    base.update(overrides)
    return Facts.model_validate(base)
