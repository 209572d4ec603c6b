"""Pages of data received from third parties (法30条): the list, one record with the check of its
sealed person list, 404, English, and every role reading; subject ids never appear."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from hogo.domain.clock import JST
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.services import received as service
from hogo.store.database import write_scope
from hogo.store.received import ReceivedProvisionSubjectRow
from hogo.web.render import Frame
from hogo.web.views.received import ReceivedListPage, ReceivedRecordPage
from tests.api.env import Env, client

OPT_OUT_PERSONS = ("M0000101", "M0000102", "M0000103")
CONSENT_PERSONS = ("M0000104", "M0000105")
TAMPERED_PERSONS = ("M0000106", "M0000107")
ALL_PERSONS = OPT_OUT_PERSONS + CONSENT_PERSONS + TAMPERED_PERSONS


@pytest.fixture(scope="module", autouse=True)
def records(env: Env) -> None:
    def record(
        rid: str, provider: Provider, basis: ReceivedBasis, at: datetime, persons: tuple[str, ...]
    ) -> None:
        with write_scope(env.db) as s:
            service.record_received(
                s,
                received_id=rid,
                provider=provider,
                acquisition="自社会員から同意を得て取得",
                received_at=at,
                data_items=["氏名", "メールアドレス"],
                persons=list(enumerate(persons)),
                basis=basis,
                ppc_publication_confirmed=basis is ReceivedBasis.opt_out,
            )

    corporation = Provider(
        kind=ProviderKind.corporation,
        name="名簿提供株式会社",
        address="大阪府大阪市北区1-2",
        representative="提供 一郎",
    )
    association = Provider(kind=ProviderKind.association, name="地域防災会", address="東京都千代田区1-1")
    record(
        "in-web-1", corporation, ReceivedBasis.opt_out, datetime(2024, 6, 1, 10, tzinfo=JST), OPT_OUT_PERSONS
    )
    record(
        "in-web-2", association, ReceivedBasis.consent, datetime(2025, 2, 3, 9, tzinfo=JST), CONSENT_PERSONS
    )
    record(
        "in-web-3", corporation, ReceivedBasis.consent, datetime(2023, 1, 5, 9, tzinfo=JST), TAMPERED_PERSONS
    )
    with write_scope(env.db) as s:  # a person removed after the record was sealed
        s.execute(
            delete(ReceivedProvisionSubjectRow).where(
                ReceivedProvisionSubjectRow.received_id == "in-web-3",
                ReceivedProvisionSubjectRow.subject_id == TAMPERED_PERSONS[0],
            )
        )


def _page(c: TestClient, path: str) -> object:
    r = c.get(path)
    assert r.status_code == 200, r.text
    assert isinstance(r.context["frame"], Frame)  # type: ignore[attr-defined]
    assert not any(sid in r.text for sid in ALL_PERSONS)
    return r.context["page"]  # type: ignore[attr-defined]


def test_list_shows_providers_newest_first_with_counts_and_no_subject_ids(officer: TestClient) -> None:
    page = _page(officer, "/provisions/received")
    assert isinstance(page, ReceivedListPage)
    assert [r.received_id for r in page.records] == ["in-web-2", "in-web-1", "in-web-3"]
    first = page.records[1]
    assert (first.provider_name, first.persons, first.representative) == ("名簿提供株式会社", 3, "提供 一郎")
    assert first.basis_label == "オプトアウト(法27条2項)" and first.ppc_publication_confirmed
    assert page.records[0].basis_label == "本人の同意" and not page.records[0].ppc_publication_confirmed
    text = officer.get("/provisions/received").text
    assert (
        "第三者から提供を受けた記録(法30条)" in text and "名簿提供株式会社" in text and "地域防災会" in text
    )
    assert "個人情報保護委員会による公表を確認" in text and "自社会員から同意を得て取得" in text
    assert "2024年6月1日(令和6年)" in text and "2027年6月1日(令和9年)" in text  # received, kept until
    assert 'href="/provisions/received/in-web-1"' in text
    assert '<a href="/provisions/received" aria-current="page">受領記録</a>' in text  # the navigation link


def test_record_page_shows_the_record_and_an_intact_person_list(officer: TestClient) -> None:
    page = _page(officer, "/provisions/received/in-web-1")
    assert isinstance(page, ReceivedRecordPage)
    assert page.persons_intact and page.record.persons == 3
    assert isinstance(page.ledger_seq, int) and page.ledger_seq > 0
    assert page.opt_out_received_dates and page.opt_out_received_dates[0].isoformat() == "2024-06-01"
    text = officer.get("/provisions/received/in-web-1").text
    assert "✓" in text and "台帳に封印されたダイジェストと一致します" in text
    assert page.persons_sha256 in text and f"#{page.ledger_seq}" in text
    assert "大阪府大阪市北区1-2" in text and "提供 一郎" in text


def test_association_is_named_with_representative_or_administrator(officer: TestClient) -> None:
    page = _page(officer, "/provisions/received/in-web-2")
    assert isinstance(page, ReceivedRecordPage)
    assert page.record.representative is None and page.record.representative_label == "代表者又は管理人"
    assert page.record.provider_kind_label == "法人でない団体" and page.opt_out_received_dates == ()


def test_a_changed_person_list_is_shown_as_broken(officer: TestClient) -> None:
    page = _page(officer, "/provisions/received/in-web-3")
    assert isinstance(page, ReceivedRecordPage) and not page.persons_intact
    text = officer.get("/provisions/received/in-web-3").text
    assert "✗" in text and 'data-intact="false"' in text


def test_unknown_record_is_a_404_page(officer: TestClient) -> None:
    r = officer.get("/provisions/received/no-such-record")
    assert r.status_code == 404
    assert "受領の記録が見つかりません。" in r.text


def test_english_switch(officer: TestClient) -> None:
    text = officer.get("/provisions/received?lang=en").text
    assert "Personal data received from third parties (art. 30)" in text
    assert ">Received data</a>" in text and "Provider" in text and "Keep until" in text
    assert "PPC publication of the filing confirmed" in text and "1 Jun 2024 (Reiwa 6)" in text
    text = officer.get("/provisions/received/in-web-1").text  # the language is remembered
    assert "✓ The stored list of persons matches the digest sealed in the ledger." in text
    assert officer.get("/provisions/received/nope?lang=en").text.count("no such receipt record.") == 1


def test_the_auditor_can_read_and_strangers_cannot(auditor: TestClient, env: Env) -> None:
    page = _page(auditor, "/provisions/received")
    assert isinstance(page, ReceivedListPage) and len(page.records) == 3
    page = _page(auditor, "/provisions/received/in-web-1")
    assert isinstance(page, ReceivedRecordPage) and page.persons_intact
    with client(env) as c:
        r = c.get("/provisions/received")
        assert r.status_code == 401 and "名簿提供株式会社" not in r.text


def test_empty_state(officer: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "list_received", lambda session: [])
    r = officer.get("/provisions/received")
    assert r.status_code == 200
    assert 'id="no-received"' in r.text and "第三者から提供を受けた記録はまだありません。" in r.text
