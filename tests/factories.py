"""Builders for policies, persons and events used across the tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hogo.domain.clock import JST
from hogo.domain.consent import ConsentAction, ConsentEvent, Subject, SubjectHistory
from hogo.domain.policy import Policy

POLICY: dict[str, Any] = {
    "organization": {"name": "テスト株式会社", "address": "東京都千代田区1-1", "representative": "代表 太郎"},
    "settings": {"guardian_consent_below_age": 16},
    "data_categories": [
        {"id": "contact", "appi_class": "personal_data"},
        {"id": "medical", "appi_class": "sensitive"},
        {"id": "mynum", "appi_class": "my_number"},
        {"id": "cookie", "appi_class": "personal_related"},
    ],
    "recipients": [
        {"id": "adco", "name": "広告株式会社", "relationship": "third_party", "country": "JP"},
        {"id": "mailer", "name": "配信株式会社", "relationship": "outsourcee", "country": "JP"},
        {"id": "heir", "name": "承継株式会社", "relationship": "successor", "country": "JP"},
        {"id": "group", "name": "グループ各社", "relationship": "joint_use", "country": "JP"},
        {"id": "us_co", "name": "US Inc.", "relationship": "third_party", "country": "US"},
        {"id": "us_out", "name": "US Outsourcing", "relationship": "outsourcee", "country": "US"},
        {"id": "de_co", "name": "DE GmbH", "relationship": "third_party", "country": "DE"},
        {
            "id": "us_eq",
            "name": "US Equivalent",
            "relationship": "third_party",
            "country": "US",
            "equivalent_measures": True,
        },
        {"id": "broker", "name": "名簿株式会社", "relationship": "third_party", "country": "JP"},
    ],
    "purposes": [
        {
            "id": "service",
            "title": "会員サービスの提供",
            "kind": "internal_use",
            "requires_consent": False,
            "data_categories": ["contact"],
            "recipients": ["mailer", "heir", "group", "us_out"],
        },
        {
            "id": "ad_partners",
            "title": "行動ターゲティング広告事業者への提供",
            "kind": "third_party_provision",
            "requires_consent": True,
            "recipients": ["adco"],
            "data_categories": ["contact"],
            "opt_out": {"filed_with_ppc_on": "2022-06-01"},
        },
        {
            "id": "profiling",
            "title": "嗜好分析",
            "kind": "profiling",
            "requires_consent": True,
            "data_categories": ["contact"],
            "recipients": ["mailer"],
            "profiling": {
                "analysis": "ご登録の情報から趣味・嗜好を分析します。",
                "use_of_results": "分析結果に応じた商品のご案内に利用します。",
            },
        },
        {
            "id": "health",
            "title": "健康管理",
            "kind": "internal_use",
            "requires_consent": False,
            "data_categories": ["medical"],
        },
        {
            "id": "health_share",
            "title": "健診結果の提供",
            "kind": "third_party_provision",
            "requires_consent": True,
            "recipients": ["broker"],
            "data_categories": ["medical"],
            "opt_out": {"filed_with_ppc_on": "2022-06-01"},
        },
        {
            "id": "mynum_admin",
            "title": "源泉徴収事務",
            "kind": "internal_use",
            "requires_consent": False,
            "data_categories": ["mynum"],
        },
        {
            "id": "mynum_share",
            "title": "個人番号の提供",
            "kind": "third_party_provision",
            "requires_consent": True,
            "recipients": ["broker"],
            "data_categories": ["mynum"],
        },
        {
            "id": "overseas",
            "title": "海外提供",
            "kind": "third_party_provision",
            "requires_consent": True,
            "recipients": ["us_co", "de_co", "us_eq"],
            "data_categories": ["contact"],
        },
        {
            "id": "list_rental",
            "title": "名簿の提供",
            "kind": "third_party_provision",
            "requires_consent": False,
            "recipients": ["broker", "us_co"],
            "data_categories": ["contact"],
            "opt_out": {"filed_with_ppc_on": "2030-01-01"},
        },
        {
            "id": "cookie_share",
            "title": "閲覧履歴の提供",
            "kind": "third_party_provision",
            "requires_consent": True,
            "recipients": ["adco"],
            "data_categories": ["cookie"],
        },
        {
            "id": "joint",
            "title": "共同利用",
            "kind": "joint_use",
            "requires_consent": False,
            "recipients": ["group"],
            "data_categories": ["contact"],
        },
        {
            "id": "future",
            "title": "将来の目的",
            "kind": "internal_use",
            "requires_consent": False,
            "data_categories": ["contact"],
        },
        {
            "id": "unannounced",
            "title": "未公表の目的",
            "kind": "internal_use",
            "requires_consent": False,
            "data_categories": ["contact"],
        },
    ],
    "terms": [
        {
            "version": "2020-04",
            "effective_from": "2020-04-01",
            "purposes": ["service", "profiling", "health", "mynum_admin", "joint"],
        },
        {
            "version": "2021-07",
            "effective_from": "2021-07-01",
            "purposes": [
                "service",
                "profiling",
                "health",
                "mynum_admin",
                "joint",
                "ad_partners",
                "health_share",
                "mynum_share",
                "overseas",
                "list_rental",
                "cookie_share",
            ],
        },
        {"version": "2040-01", "effective_from": "2040-01-01", "purposes": ["future"]},
    ],
}


def policy(**overrides: Any) -> Policy:
    return Policy.model_validate({**POLICY, **overrides})


def at(text: str) -> datetime:
    d = datetime.fromisoformat(text)
    return d if d.tzinfo else d.replace(tzinfo=JST)


_counter = 0


def event(
    subject: str = "S1",
    purpose: str = "ad_partners",
    action: ConsentAction | str = ConsentAction.grant,
    when: str = "2022-01-01T10:00",
    **extra: Any,
) -> ConsentEvent:
    global _counter
    _counter += 1
    extra.setdefault("terms_version", "2021-07" if action in ("grant", ConsentAction.grant) else None)
    extra.setdefault("event_id", f"ev-{_counter:06d}")
    return ConsentEvent(subject_id=subject, purpose_id=purpose, action=action, collected_at=at(when), **extra)


def person(subject: str = "S1", birth: date | None = date(1980, 5, 5), verified: bool = True) -> Subject:
    return Subject(subject_id=subject, birth_date=birth, identity_verified=verified)


def history(
    *events: ConsentEvent, subject: Subject | None = None, exceptions: tuple[Any, ...] = ()
) -> SubjectHistory:
    return SubjectHistory(subject=subject or person(), events=events, exceptions=exceptions)
