"""The demo organisation with something on every console page, as an officer meets it.

The demo store (`hogo.demo`, 120 members) plus what the other pages show: a 管理台帳 with three
datasets, an overdue reportable incident and a closed one, the sample readiness inventory with
two recorded assessments, a 法30条 received record, and a personal and an anonymised release.
Shared by the page scan (tests/web/test_no_codes.py) and the 390 px browser tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from hogo.domain.clock import JST
from hogo.domain.incidents.flow import TaskStatus
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Dataset, Encryption, Inventory, SubjectQueryKind, SubjectScope
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestClaim,
    RequestKind,
    RequestOutcome,
    VerificationLevel,
)
from hogo.domain.rights.request import Decision, Details
from hogo.release.spec import parse_spec
from hogo.services import incidents, readiness, rights_requests
from hogo.services import received as received_service
from hogo.services import releases as release_service
from hogo.services.inventory import import_inventory
from hogo.store.database import write_scope
from hogo.store.provisions import ProvisionSubjectRow
from tests.api.env import Env, build_env
from tests.readiness.stored import store_sample_inventory
from tests.release.world import TOKEN_KEY

PERSONAL = "2024-06-ad"
ANONYMIZED = "2024-06-anon"
RECEIVED = "in-2024-1"
DATASET = "members"


@dataclass(frozen=True)
class World:
    env: Env
    open_incident: str
    closed_incident: str
    #: A 第三者提供の停止 request carried out for a person in the personal release (recipients shown).
    rights_request: str = ""

    def pages(self) -> list[str]:
        """Every console page an officer can open, with a real id where the path needs one."""
        return [
            "/", "/policy", "/gap/ad_partners", "/subjects", "/subjects?q=M00000", "/subjects/M0000009",
            "/consents/new?subject_id=M0000009", "/incidents", "/incidents?all=1", "/incidents/new",
            f"/incidents/{self.open_incident}", f"/incidents/{self.closed_incident}", "/inventory",
            f"/inventory/{DATASET}", "/readiness", "/readiness/assets", "/releases", f"/releases/{PERSONAL}",
            f"/releases/{ANONYMIZED}", "/provisions/received", f"/provisions/received/{RECEIVED}", "/ledger",
            "/requests", "/requests?all=1", f"/requests/{self.rights_request}",
        ]  # fmt: skip


def _files(folder: Path) -> None:
    rng = random.Random(11)
    members = ["member_id,email,phone,purchase_total,prefecture,age_band"]
    partner = ["customer_no,mail,tel"]
    anon = ["member_id,email,phone,age,prefecture,sex,spend"]
    for n in range(1, 121):
        sid = f"M{n:07d}"
        members.append(f"{sid},m{n}@example.jp,090{n:08d},{rng.randrange(100, 9000)},東京都,30代")
        if n % 3 == 0:
            partner.append(f"P-{n},m{n}@example.jp,")
        pref = rng.choice(["東京都", "大阪府", "北海道", "福岡県"])
        anon.append(
            f"{sid},m{n}@example.jp,090{n:08d},{rng.randrange(18, 90)},{pref},{rng.choice('MF')},{n * 7}"
        )
    for name, rows in (("members.csv", members), ("partner.csv", partner), ("anon.csv", anon)):
        (folder / name).write_text("\n".join(rows) + "\n", encoding="utf-8")


def _releases(env: Env, folder: Path) -> None:
    personal = {
        "id": PERSONAL, "mode": "personal", "purpose": "ad_partners", "recipient": "adco",
        "at": "2024-06-01T00:00:00+09:00",
        "members": {"path": "members.csv", "columns": {c: c for c in
                    ["member_id", "email", "phone", "purchase_total", "prefecture", "age_band"]}},
        "partner": {"path": "partner.csv", "columns": {"email": "mail", "phone": "tel"}},
        "output": {"dir": "out", "items": {"purchase_total": "purchase"}},
    }  # fmt: skip
    anonymized = {
        "id": ANONYMIZED, "mode": "anonymized", "purpose": "service", "recipient": "mailer",
        "at": "2024-06-01T00:00:00+09:00",
        "members": {"path": "anon.csv", "columns": {c: c for c in
                    ["member_id", "email", "phone", "age", "prefecture", "sex", "spend"]}},
        "output": {"dir": "out"},
        "anonymization": {"quasi_identifiers": {"age": "interval:5,10,20,40", "prefecture": "mask", "sex": "mask"},
                          "keep": ["spend"], "k": 5, "suppression": 0.1},
    }  # fmt: skip
    for spec in (personal, anonymized):
        release_service.run_now(env.db, parse_spec(spec, folder))


def _incidents(env: Env) -> tuple[str, str]:
    with write_scope(env.db) as session:
        import_inventory(
            session,
            Inventory(
                datasets=(
                    Dataset(
                        id=DATASET,
                        name="会員名簿",
                        data_categories=("contact", "purchase"),
                        subjects=SubjectScope(kind=SubjectQueryKind.id_prefix, value="M00000"),
                        encryption=Encryption.standard,
                    ),
                    Dataset(
                        id="clinic", name="健康相談記録", data_categories=("contact", "medical"), count=3
                    ),
                    Dataset(id="cookies", name="閲覧履歴", data_categories=("cookie",), count=120),
                )
            ),
        )
        overdue = incidents.open_new(
            session,
            IncidentType.loss_theft,
            datetime(2026, 4, 1, 15, 30, tzinfo=JST),
            "健康相談記録の紛失",
            dataset_ids=["clinic"],
        )
        closed = incidents.open_new(
            session,
            IncidentType.missent_email,
            datetime(2025, 2, 3, 10, 0, tzinfo=JST),
            "案内メールの誤送信",
            dataset_ids=[DATASET],
        )
        for task in closed.tasks:
            if task.status is TaskStatus.open:
                incidents.complete_task(session, closed.id, task.id, datetime(2025, 2, 10, 9, tzinfo=JST))
    return overdue.id, closed.id


def build_world(folder: Path) -> World:
    """Needs HOGO_TOKEN_KEY=TOKEN_KEY in the environment (the personal release tokenises)."""
    env = build_env(folder, data_dir=folder)
    _files(folder)
    open_id, closed_id = _incidents(env)
    store_sample_inventory(env.db)
    with write_scope(env.db) as session:
        readiness.assess_stored(session, folder, datetime(2025, 1, 10, tzinfo=JST).date(), record=True)
        readiness.assess_stored(session, folder, datetime.now(JST).date(), record=True)
    with write_scope(env.db) as session:
        received_service.record_received(
            session,
            received_id=RECEIVED,
            provider=Provider(
                kind=ProviderKind.corporation,
                name="名簿提供株式会社",
                address="大阪府大阪市北区1-2",
                representative="提供 一郎",
            ),
            acquisition="自社会員から同意を得て取得",
            received_at=datetime(2024, 6, 1, 10, tzinfo=JST),
            data_items=["氏名", "メールアドレス"],
            persons=received_service.persons_from_ids(["M0000101", "M0000102"]),
            basis=ReceivedBasis.consent,
        )
    _releases(env, folder)
    return World(env, open_id, closed_id, _rights_request(env))


def _rights_request(env: Env) -> str:
    """A stop of provision for someone the personal release provided to, carried out."""
    with write_scope(env.db) as session:
        provided = session.scalars(
            select(ProvisionSubjectRow.subject_id).where(ProvisionSubjectRow.provision_id == PERSONAL)
        ).first()
        assert provided is not None
        details = Details(claim=RequestClaim.provision_breach)
        view = rights_requests.file_request(
            session, provided, RequestKind.stop_provision, details, VerificationLevel.signed_link,
            RequestChannel.privacy_center,
        )  # fmt: skip
        rights_requests.decide_request(session, view.request_id, Decision(outcome=RequestOutcome.allowed))
        rights_requests.carry_out(session, view.request_id)
        return view.request_id


__all__ = ["TOKEN_KEY", "World", "build_world"]
