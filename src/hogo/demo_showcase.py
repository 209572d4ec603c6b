"""The rest of the demo organisation: what every console page shows besides consent.

Built through the services, as a user's own commands would (no raw inserts), so the ledger holds
each record: a 個人情報管理台帳, three incidents at different stages (one whose 速報 is overdue,
one in progress, one closed), a ransomware-readiness inventory with the findings a small company
typically has, one 法30条 received record, and — when a data folder is given — the synthetic
member file `hogo synth` makes for the same members (ids line up) with two releases from it,
匿名加工情報 and statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine

from hogo.domain.clock import JST
from hogo.domain.incidents.facts import FactsUpdate
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import (
    Dataset,
    Encryption,
    Inventory,
    LocationKind,
    SubjectQueryKind,
    SubjectScope,
)
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.files.readiness_inventory import read_yaml
from hogo.store.database import write_scope

READINESS_YAML = """\
# ほご商事(デモ): 本社VPN、支店の古いルータ、経理のリモートデスクトップ、ファイルサーバ、NAS。
assets:
  - id: vpn-1
    kind: vpn_gateway
    name: 本社VPN
    vendor: Fortinet
    model: FortiGate 60F
    version: "7.0.12"
    exposed_ports: [443, 10443]
    mfa: false
    default_password_changed: true
    last_patched_on: 2024-01-10
    owner: 総務部
    telework: true
  - id: router-branch
    kind: router
    name: 大阪支店ルータ
    vendor: ELECOM
    model: WRC-1167GHBK
    manufactured_on: 2016-05-01
    default_password_changed: false
    last_patched_on: 2019-03-01
    owner: 大阪支店
  - id: rdp-1
    kind: rdp_host
    name: 経理端末
    vendor: Microsoft
    model: Windows Server
    version: 2012 R2
    exposed_ports: [3389]
    mfa: false
    default_password_changed: true
    last_patched_on: 2023-09-01
    owner: 経理部
  - id: fs-1
    kind: server
    name: ファイルサーバ
    vendor: Microsoft
    model: Windows Server
    version: "2022"
    default_password_changed: true
    last_patched_on: 2026-11-01
    owner: 情報システム
  - id: nas-1
    kind: nas
    name: バックアップNAS
    vendor: Synology
    model: DS220+
    version: 7.2.2-72806 Update 3
    default_password_changed: true
    last_patched_on: 2026-10-20
    owner: 情報システム
backups:
  - id: fs-1-nas
    source: fs-1
    target: nas-1
    media: nas
    generations: 14
  - id: fs-1-cloud
    source: fs-1
    target: クラウドストレージ
    media: cloud
    generations: 30
    immutable: true
    offsite: true
    last_restore_test_on: 2026-06-01
    restore_test_errors: 0
answers:
  q.telework.rules: yes
  q.training.staff: partial
  q.incident.no_ransom: no
"""

# Columns of `hogo synth`'s members file the demo releases use.
ANON_COLUMNS = ("member_id", "birth_date", "prefecture", "sex")


@dataclass(frozen=True)
class Showcase:
    datasets: int
    incidents: tuple[str, ...]
    received: str
    releases: tuple[str, ...]


def _inventory(prefix: str) -> Inventory:
    return Inventory(
        datasets=(
            Dataset(
                id="members",
                name="会員名簿(ポイントカード)",
                owner="営業部",
                location_kind=LocationKind.system,
                location="会員管理システム",
                data_categories=("contact", "purchase"),
                purposes=("service", "marketing_mail", "ad_partners"),
                subjects=SubjectScope(kind=SubjectQueryKind.id_prefix, value=prefix),
                retention="退会後5年",
                access_roles=("operator", "privacy_officer"),
                encryption=Encryption.standard,
                outsourcees=("mailer",),
            ),
            Dataset(
                id="health",
                name="健康増進プログラム参加者の健診結果",
                owner="健康推進室",
                location_kind=LocationKind.cloud,
                location="健康管理クラウド",
                data_categories=("contact", "medical"),
                purposes=("health_program",),
                count=240,
                retention="参加終了後3年",
                encryption=Encryption.none,
            ),
            Dataset(
                id="payroll",
                name="従業員の源泉徴収票",
                owner="人事部",
                location_kind=LocationKind.paper,
                location="人事部キャビネット(施錠)",
                data_categories=("contact", "my_number"),
                purposes=("payroll",),
                count=85,
                retention="7年",
                encryption=Encryption.none,
            ),
        )
    )


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=JST)


def _incidents(db: Engine, members: Sequence[str], today: date) -> tuple[str, ...]:
    """Three incidents: 速報 overdue; in progress, not reportable; closed with every task done."""
    from hogo.services import incidents

    ids: list[str] = []
    with write_scope(db) as session:
        overdue = incidents.open_new(
            session, IncidentType.missent_email, _at(today - timedelta(days=9), 10),
            "健康増進プログラムの案内メールを、参加者12名のアドレスを宛先(To)に入れて一斉送信した。",
            occurred_at=_at(today - timedelta(days=9), 9), dataset_ids=["health"],
            facts=FactsUpdate(persons=12),
        )  # fmt: skip
        first = overdue.tasks[0]
        incidents.complete_task(
            session, overdue.id, first.id, _at(today - timedelta(days=9), 11), "誤送信先へ削除依頼"
        )
        ids.append(overdue.id)
        open_ = incidents.open_new(
            session, IncidentType.loss_theft, _at(today - timedelta(days=1), 18),
            "営業担当者が会員30名分の名簿を保存したUSBメモリを電車内で紛失した(暗号化あり)。",
            dataset_ids=["members"], subject_ids=list(members[:30]),
            facts=FactsUpdate(persons=30, encryption=Encryption.advanced),
        )  # fmt: skip
        for task in open_.tasks[:2]:
            incidents.complete_task(session, open_.id, task.id, _at(today, 9))
        ids.append(open_.id)
        closed = incidents.open_new(
            session, IncidentType.missent_post_fax, _at(today - timedelta(days=75), 14),
            "会員1名あての利用明細を別の会員の住所へ郵送した。回収済み。",
            dataset_ids=["members"], subject_ids=list(members[30:32]), facts=FactsUpdate(persons=1),
        )  # fmt: skip
        for n, task in enumerate(closed.tasks):
            incidents.complete_task(
                session, closed.id, task.id, _at(today - timedelta(days=74 - min(n, 60)), 10)
            )
        ids.append(closed.id)
    return tuple(ids)


def _received(db: Engine, members: Sequence[str], today: date) -> str:
    from hogo.services.received import persons_from_ids, record_received

    received_id = f"RCV-{today:%Y%m}-001"
    with write_scope(db) as session:
        record_received(
            session,
            received_id=received_id,
            provider=Provider(
                kind=ProviderKind.corporation, name="株式会社ほごグループ旅行",
                address="東京都港区芝公園4-2-8", representative="代表取締役 旅野 花子",
            ),
            acquisition="旅行申込時に、ほご商事への提供について本人の同意を得て取得",
            received_at=_at(today - timedelta(days=20), 15),
            data_items=["氏名", "メールアドレス", "旅行の申込履歴"],
            # 25 members received from the partner; a small demo (--subjects 20) takes its last ones.
            persons=persons_from_ids(list(members[100:125] or members[-25:])),
            basis=ReceivedBasis.consent,
        )  # fmt: skip
    return received_id


def _readiness(db: Engine, data_dir: Path, today: date) -> None:
    from hogo.services import readiness

    inventory, answers = read_yaml(READINESS_YAML.encode("utf-8"))
    with write_scope(db) as session:
        readiness.save_inventory(session, inventory, answers, replace=True)
        readiness.assess_stored(session, data_dir, today, record=True)


def _releases(db: Engine, subjects: int, seed: int, data_dir: Path) -> tuple[str, ...]:
    """`hogo synth` members for the demo's ids, and two releases from them."""
    from hogo.matching.tokens import generate_key_file
    from hogo.release.spec import parse_spec
    from hogo.services.releases import run_now
    from hogo.synth.generate import SynthSpec, generate

    inputs = data_dir / "inputs"
    generate(SynthSpec(members=subjects, seed=seed, purchases_per_member=0.0), inputs)
    # Members are tokenised in every release; the demo keeps its own key next to its inputs.
    key = (inputs / "demo-token.key").resolve()
    if not key.exists():
        generate_key_file(key)
    members = {"path": "inputs/members.parquet", "columns": {c: c for c in ANON_COLUMNS}}
    anonymized = {
        "mode": "anonymized", "purpose": "service", "recipient": "mailer", "members": members,
        "output": {"dir": "releases"}, "match": {"token_key_file": str(key)},
        "anonymization": {"quasi_identifiers": {"birth_date": "date", "prefecture": "mask", "sex": "mask"},
                          "k": 5, "suppression": 0.02, "business_name": "株式会社ほご商事(デモ)"},
    }  # fmt: skip
    aggregate = {
        "mode": "aggregate", "purpose": "marketing_mail", "recipient": "mailer", "members": members,
        "output": {"dir": "releases"}, "match": {"token_key_file": str(key)},
        "aggregate": {"dimensions": ["prefecture", "sex"], "min_cell_size": 10},
    }  # fmt: skip
    done = []
    for spec in (anonymized, aggregate):
        done.append(run_now(db, parse_spec(spec, data_dir, "demo")).release_id)
    return tuple(done)


def build_showcase(
    db: Engine,
    members: Sequence[str],
    subjects: int,
    seed: int,
    data_dir: Path | None,
    today: date | None = None,
) -> Showcase:
    """Everything but consent; releases only when a data folder is given."""
    from hogo.services.inventory import import_inventory

    today = today or datetime.now(JST).date()
    prefix = members[0][:2] if members else "M"
    with write_scope(db) as session:
        import_inventory(session, _inventory(prefix))
    incident_ids = _incidents(db, members, today)
    received_id = _received(db, members, today)
    _readiness(db, data_dir or Path("."), today)
    releases = _releases(db, subjects, seed, data_dir) if data_dir is not None else ()
    return Showcase(3, incident_ids, received_id, releases)
