"""Fixtures for incident tests: deadline settings, a migrated store with a policy, inventory and
persons, and a CLI runner on a fresh SQLite file."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hogo.domain.consent import Subject
from hogo.domain.incidents.deadlines import DeadlineSettings
from hogo.domain.inventory import Dataset, Encryption, Inventory, SubjectQueryKind, SubjectScope
from hogo.services.inventory import import_inventory
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from tests.cli.conftest import Run, hogo, policy_file
from tests.factories import policy

__all__ = ["Run", "hogo", "policy_file"]

#: 1,500 members with e-mail (every third also a phone), 3 patients, 40 paper forms.
MEMBERS = [f"M{i:05d}" for i in range(1, 1501)]
PATIENTS = ["P1", "P2", "P3"]


@pytest.fixture
def settings() -> DeadlineSettings:
    return DeadlineSettings()


def seed(engine: Engine) -> None:
    with write_scope(engine) as session:
        apply_policy(session, policy())
        people = [Subject(subject_id=s) for s in MEMBERS + PATIENTS + ["X1"]]
        contacts: list[tuple[str | None, str | None]] = [
            (f"{s.lower()}@example.jp", "03-0000-0000" if i % 3 == 0 else None) for i, s in enumerate(MEMBERS)
        ]
        contacts += [(None, "090-0000-0000"), (None, None), ("p3@example.jp", None), (None, None)]
        upsert_subjects(session, people, contacts)
        import_inventory(
            session,
            Inventory(
                datasets=(
                    Dataset(
                        id="members",
                        name="会員名簿",
                        data_categories=("contact",),
                        subjects=SubjectScope(kind=SubjectQueryKind.id_prefix, value="M"),
                        count=1500,
                        encryption=Encryption.standard,
                        outsourcees=("mailer",),
                    ),
                    Dataset(
                        id="clinic",
                        name="健康相談記録",
                        data_categories=("contact", "medical"),
                        subjects=SubjectScope(kind=SubjectQueryKind.listed, subject_ids=tuple(PATIENTS)),
                        count=3,
                    ),
                    Dataset(id="forms", name="申込書(紙)", data_categories=("contact",), count=40),
                    Dataset(
                        id="laptop",
                        name="営業用ノートPC",
                        data_categories=("contact", "medical"),
                        subjects=SubjectScope(kind=SubjectQueryKind.all),
                        encryption=Encryption.advanced,
                    ),
                )
            ),
        )


@pytest.fixture
def seeded(store: Engine) -> Engine:
    seed(store)
    return store
