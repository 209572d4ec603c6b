"""A demo organisation: the seed's loyalty-card scenario at small scale, built from a seed.

The point it makes: after the 2021-07 terms revision added provision to ad businesses, "members
who accepted the terms" is a much larger number than "members the ad provision may include".
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from hogo.domain.clock import JST
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentAction, ConsentEvent, ConsentMethod, Subject
from hogo.domain.policy import Policy
from hogo.synth.people import member_id, member_id_width

if TYPE_CHECKING:
    from hogo.demo_showcase import Showcase

DEMO_POLICY_YAML = """\
organization:
  name: 株式会社ほご商事(デモ)
  address: 東京都千代田区丸の内1-1-1
  representative: 代表取締役 保護 太郎
settings:
  guardian_consent_below_age: 16
data_categories:
  - {id: contact, appi_class: personal_data, title: 氏名・連絡先}
  - {id: purchase, appi_class: personal_data, title: 購買履歴}
  - {id: medical, appi_class: sensitive, title: 健康診断結果}
  - {id: my_number, appi_class: my_number, title: 個人番号}
  - {id: cookie, appi_class: personal_related, title: 閲覧履歴(Cookie)}
recipients:
  - {id: adco, name: 株式会社アドネットワーク, relationship: third_party, country: JP}
  - {id: mailer, name: 株式会社メール配信, relationship: outsourcee, country: JP}
  - {id: group_co, name: ほごグループ各社, relationship: joint_use, country: JP}
  - id: us_analytics
    name: Analytics Inc.
    relationship: third_party
    country: US
    transfer_info:
      regime: "米国には日本の個人情報保護法に相当する包括的な連邦法はなく、分野ごとの連邦法と州法\
(カリフォルニア州消費者プライバシー法等)により保護されています。"
      measures: "提供先は、OECDプライバシーガイドライン8原則に沿った社内規程を定め、委託契約で\
目的外利用の禁止・安全管理措置・再提供の禁止を約しています。"
      source_url: https://www.ppc.go.jp/personalinfo/legal/kaiseihogohou/#gaikoku
  - {id: list_broker, name: 名簿流通株式会社, relationship: third_party, country: JP}
purposes:
  - {id: service, title: 会員サービスの提供, kind: internal_use, requires_consent: false,
     data_categories: [contact, purchase], recipients: [mailer]}
  - {id: marketing_mail, title: 商品・キャンペーンのご案内, kind: internal_use, requires_consent: true,
     data_categories: [contact], recipients: [mailer]}
  - {id: group_sharing, title: グループ会社との共同利用, kind: joint_use, requires_consent: false,
     data_categories: [contact, purchase], recipients: [group_co]}
  - {id: ad_partners, title: 行動ターゲティング広告事業者への提供, kind: third_party_provision,
     requires_consent: true, recipients: [adco], data_categories: [contact, purchase]}
  - {id: analytics_overseas, title: 米国の分析事業者への提供, kind: third_party_provision,
     requires_consent: true, recipients: [us_analytics], data_categories: [purchase]}
  - {id: mailing_list, title: ダイレクトメール用名簿の提供, kind: third_party_provision,
     requires_consent: false, recipients: [list_broker], data_categories: [contact],
     opt_out: {filed_with_ppc_on: 2022-06-01}}
  - {id: health_program, title: 健康増進プログラムの提供, kind: internal_use, requires_consent: true,
     data_categories: [medical]}
  - {id: payroll, title: 源泉徴収票の作成(従業員), kind: internal_use, requires_consent: false,
     data_categories: [my_number]}
terms:
  - {version: "2020-04", effective_from: 2020-04-01,
     purposes: [service, marketing_mail, group_sharing, payroll]}
  - {version: "2021-07", effective_from: 2021-07-01,
     purposes: [service, marketing_mail, group_sharing, payroll, ad_partners, mailing_list]}
  - {version: "2023-04", effective_from: 2023-04-01,
     purposes: [service, marketing_mail, group_sharing, payroll, ad_partners, mailing_list,
                analytics_overseas, health_program]}
external_transmissions:
  - id: web_analytics
    tool: Google Analytics 4
    recipient: Google LLC
    information: [閲覧したページのURL, 参照元のURL, Cookie ID, 端末・ブラウザの種類, IPアドレス]
    purpose: ウェブサイトの利用状況の分析と改善
    opt_out_url: https://tools.google.com/dlpage/gaoptout
  - id: ad_tag
    tool: 広告効果測定タグ
    recipient: 株式会社アドネットワーク
    information: [閲覧したページのURL, 広告識別子(Cookie), 閲覧日時]
    purpose: 広告の効果測定と、閲覧履歴に基づく広告の配信
  - id: cdn
    tool: 配信ネットワーク(CDN)
    recipient: 株式会社ほごクラウド
    information: [IPアドレス, 要求されたファイルのURL]
    purpose: ページの表示(画像・スクリプトの配信)
    necessary_for_service: true
"""

_REVISIONS = [("2020-04", date(2020, 4, 1)), ("2021-07", date(2021, 7, 1)), ("2023-04", date(2023, 4, 1))]


@dataclass(frozen=True)
class DemoData:
    policy_yaml: str
    subjects: list[Subject]
    events: list[ConsentEvent]
    #: What `hogo.demo_showcase` recorded besides consent (None when it was not asked for).
    showcase: Showcase | None = None


def demo_policy_document() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEMO_POLICY_YAML)
    return data


def demo_policy() -> Policy:
    return Policy.model_validate(demo_policy_document())


def _instant(rng: random.Random, start: date, end: date) -> datetime:
    span = (end - start).days
    day = start + timedelta(days=rng.randrange(max(span, 1)))
    return datetime(day.year, day.month, day.day, rng.randrange(8, 22), rng.randrange(60), tzinfo=JST)


def _years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 2/29 becomes 2/28 in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _terms_at(day: date) -> str:
    return [v for v, eff in _REVISIONS if eff <= day][-1]


def generate(subjects: int = 10_000, seed: int = 42, today: date | None = None) -> DemoData:
    """Members joined 2020–2025 under the terms then in force; some re-accepted the revisions."""
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    people: list[Subject] = []
    events: list[ConsentEvent] = []
    counter = 0

    def add(sid: str, purpose: str, action: ConsentAction, at: datetime, **extra: Any) -> None:
        nonlocal counter
        counter += 1
        events.append(
            ConsentEvent(
                event_id=f"E{counter:08d}",
                subject_id=sid,
                purpose_id=purpose,
                action=action,
                collected_at=at,
                **extra,
            )
        )

    width = member_id_width(subjects)
    for i in range(subjects):
        sid = member_id(i + 1, width)
        subject, joined, minor = _member(rng, sid, today)
        people.append(subject)
        guardian, method = _terms_events(rng, sid, joined, minor, today, add)
        _purpose_events(rng, sid, joined, (guardian, method), today, add)
    return DemoData(DEMO_POLICY_YAML, people, events)


_Add = Callable[..., None]


def _member(rng: random.Random, sid: str, today: date) -> tuple[Subject, datetime, bool]:
    """A member: when they joined, born when, identity verified or not, a minor or not."""
    # Most of a loyalty programme's members joined before the 2021-07 revision.
    if rng.random() < 0.7:
        joined = _instant(rng, date(2020, 4, 1), date(2021, 6, 30))
    else:
        joined = _instant(rng, date(2021, 7, 1), min(today, date(2025, 12, 31)))
    minor = rng.random() < 0.08
    age_at_join = rng.randrange(10, 16) if minor else rng.randrange(18, 80)
    born = _years_before(joined.date(), age_at_join + 1) + timedelta(days=rng.randrange(1, 360))
    return Subject(subject_id=sid, birth_date=born, identity_verified=rng.random() < 0.95), joined, minor


def _terms_events(
    rng: random.Random, sid: str, joined: datetime, minor: bool, today: date, add: _Add
) -> tuple[dict[str, Any], ConsentMethod]:
    """The terms accepted on joining and some of the later revisions; the guardian's consent (for
    some minors) and the channel, which the member's other events share."""
    guardian: dict[str, Any] = {}
    if minor and rng.random() < 0.5:
        guardian = {"guardian_name": "保護者", "guardian_relation": "親権者"}
    method = rng.choice([ConsentMethod.web_form, ConsentMethod.app, ConsentMethod.paper])
    version = _terms_at(joined.date())
    add(
        sid,
        ALL_PURPOSES_IN_TERMS,
        ConsentAction.grant,
        joined,
        terms_version=version,
        method=method,
        **guardian,
    )
    # Later revisions: only some members were shown the new terms and accepted them.
    for rev, effective in _REVISIONS:
        start = datetime(effective.year, effective.month, effective.day, 9, tzinfo=JST)
        if start > joined and start.date() <= today and rng.random() < 0.3:
            add(sid, ALL_PURPOSES_IN_TERMS, ConsentAction.grant,
                start + timedelta(days=rng.randrange(90)), terms_version=rev, method=ConsentMethod.app,
                **guardian)  # fmt: skip
    return guardian, method


def _purpose_events(
    rng: random.Random,
    sid: str,
    joined: datetime,
    shared: tuple[dict[str, Any], ConsentMethod],
    today: date,
    add: _Add,
) -> None:
    """Purpose-specific choices: mail, ad partners (granted and withdrawn), objections, overseas."""
    guardian, method = shared
    r = rng.random()
    if r < 0.5:
        add(
            sid,
            "marketing_mail",
            ConsentAction.grant,
            joined + timedelta(minutes=1),
            method=method,
            **guardian,
        )
    elif r < 0.7:
        add(sid, "marketing_mail", ConsentAction.deny, joined + timedelta(minutes=1), method=method)
    if rng.random() < 0.15:
        latest = max(joined, datetime(2021, 7, 1, tzinfo=JST))
        ad_grant = latest + timedelta(days=rng.randrange(1, 400))
        if ad_grant.date() <= today:
            add(sid, "ad_partners", ConsentAction.grant, ad_grant, terms_version="2021-07",
                method=ConsentMethod.web_form, **guardian)  # fmt: skip
    for chance, purpose, action, since in _LATER_CHOICES:
        if rng.random() < chance:
            add(sid, purpose, action, _instant(rng, since, today), method=method)
    if rng.random() < 0.1:
        add(sid, "analytics_overseas", ConsentAction.grant, _instant(rng, date(2023, 4, 1), today),
            terms_version="2023-04", method=ConsentMethod.web_form,
            foreign_transfer_info_given=rng.random() < 0.7, **guardian)  # fmt: skip


#: Later choices some persons make: (chance, purpose, action, not before), drawn in this order.
_LATER_CHOICES = (
    (0.06, "ad_partners", ConsentAction.withdraw, date(2022, 1, 1)),
    (0.03, "mailing_list", ConsentAction.object, date(2022, 6, 1)),
)


def build_database(
    database: Path,
    subjects: int = 10_000,
    seed: int = 42,
    progress: Callable[[int, int], None] | None = None,
    data_dir: Path | None = None,
    showcase: bool = False,
) -> DemoData:
    """Create the demo organisation in a fresh SQLite file (the file is replaced, unless a
    running `hogo serve` holds it: then `Conflict`, and nothing is touched).

    Shared by `hogo demo` and `hogo serve --demo`; `progress(done, total)` is called per chunk.
    With `showcase` (`hogo demo`, `hogo serve --demo`) it records, besides consent, an inventory,
    incidents, a readiness inventory and a received record (`hogo.demo_showcase`); with
    `data_dir` too it writes `hogo synth`'s members file for the same ids under `data_dir/inputs`
    and runs two releases into `data_dir/releases`. Tests that need an empty organisation leave
    `showcase` off.
    """
    from hogo.demo_showcase import build_showcase
    from hogo.services.consent import record_events
    from hogo.services.policy import apply_policy
    from hogo.services.subjects import upsert_subjects
    from hogo.store.database import make_db, upgrade, write_scope
    from hogo.store.serving import refuse_if_served

    refuse_if_served(database)  # never delete a file a running server keeps open
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    db = make_db(f"sqlite:///{database}")
    try:
        upgrade(db)
        data = generate(subjects, seed)
        total = len(data.events) + len(data.subjects)
        with write_scope(db) as session:
            apply_policy(session, demo_policy())
            upsert_subjects(session, data.subjects)
            done = len(data.subjects)
            if progress:
                progress(done, total)
            for i in range(0, len(data.events), 10_000):
                chunk = data.events[i : i + 10_000]
                record_events(session, chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if showcase:
            shown = build_showcase(db, [p.subject_id for p in data.subjects], subjects, seed, data_dir)
            data = replace(data, showcase=shown)
    finally:
        db.dispose()
    return data


def write_policy(path: Path) -> Path:
    path.write_text(DEMO_POLICY_YAML, encoding="utf-8")
    return path
