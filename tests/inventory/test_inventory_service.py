"""The inventory in the store: checked against the policy, versioned in the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hogo.domain.consent import Subject
from hogo.domain.inventory import Dataset, Inventory, SubjectQueryKind, SubjectScope
from hogo.errors import InputError, NotFound
from hogo.services import inventory as service
from hogo.services import ledger
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from tests.factories import policy


@pytest.fixture
def ready(store: Engine) -> Engine:
    with write_scope(store) as session:
        apply_policy(session, policy())
        upsert_subjects(session, [Subject(subject_id=s) for s in ("A1", "A2", "A_3", "B1")])
    return store


def _inv(*datasets: Dataset) -> Inventory:
    return Inventory(datasets=datasets)


def test_versions_are_kept_in_the_ledger(ready: Engine) -> None:
    first = Dataset(id="crm", name="顧客", data_categories=("contact",), count=10)
    with write_scope(ready) as session:
        assert service.import_inventory(session, _inv(first)).added == ["crm"]
    with write_scope(ready) as session:
        assert service.import_inventory(session, _inv(first)).unchanged == ["crm"]
        second = first.model_copy(update={"count": 12})
        assert service.import_inventory(session, _inv(second)).changed == ["crm"]
    with write_scope(ready) as session:
        history = service.versions(session, "crm")
        assert [v["version"] for v in history] == [1, 2]
        assert [v["dataset"]["count"] for v in history] == [10, 12]  # type: ignore[index]
        assert service.load_inventory(session).datasets[0].count == 12
        assert ledger.verify_ledger(session).ok


def test_replace_removes_what_the_file_does_not_name(ready: Engine) -> None:
    a, b = Dataset(id="a", name="A"), Dataset(id="b", name="B")
    with write_scope(ready) as session:
        service.import_inventory(session, _inv(a, b))
        result = service.import_inventory(session, _inv(a), replace=True)
    assert result.removed == ["b"]
    with write_scope(ready) as session:
        assert [d.id for d in service.load_inventory(session).datasets] == ["a"]
        assert service.versions(session, "b")[-1]["event"] == "removed"
        with pytest.raises(NotFound):
            service.remove_dataset(session, "b")


def test_unknown_policy_references_stop_the_whole_import(ready: Engine) -> None:
    good = Dataset(id="ok", name="OK", data_categories=("contact",))
    bad = Dataset(id="bad", name="NG", outsourcees=("adco",))  # a third party, not an outsourcee
    with write_scope(ready) as session, pytest.raises(InputError) as info:
        service.import_inventory(session, _inv(good, bad))
    assert info.value.row == 2 and info.value.field == "outsourcees.0"
    with write_scope(ready) as session:
        assert service.load_inventory(session).datasets == ()


def test_subject_queries_resolve_with_bound_parameters(ready: Engine) -> None:
    prefix = Dataset(id="p", name="P", subjects=SubjectScope(kind=SubjectQueryKind.id_prefix, value="A_"))
    everyone = Dataset(id="e", name="E", subjects=SubjectScope(kind=SubjectQueryKind.all))
    with write_scope(ready) as session:
        assert service.subjects_of(session, prefix) == ["A_3"]  # '_' is literal, not a wildcard
        assert service.subjects_of(session, everyone) == ["A1", "A2", "A_3", "B1"]
