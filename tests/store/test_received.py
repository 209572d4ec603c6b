"""Records of data received from third parties (法30条) and their disclosure (法33条5項)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from hogo.domain.ledger import EntryKind
from hogo.domain.provision import persons_digest
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.errors import Conflict, InputError
from hogo.reports.disclosure.render import render_html
from hogo.services import ledger
from hogo.services.disclosure import disclosure
from hogo.services.person_keys import pseudonyms
from hogo.services.policy import apply_policy
from hogo.services.received import (
    PersonRow,
    list_received,
    persons_from_ids,
    read_persons,
    received_for,
    record_received,
    verify_received_persons,
)
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from hogo.store.received import ReceivedProvisionRow, ReceivedProvisionSubjectRow
from hogo.store.tables import LedgerEntryRow
from tests.factories import at, person, policy

LISTER = Provider(
    kind=ProviderKind.corporation,
    name="名簿提供株式会社",
    address="大阪府大阪市北区1-2",
    representative="提供 一郎",
)


def _receive(
    engine: Engine,
    persons: list[PersonRow],
    *,
    received_id: str = "in-1",
    provider: Provider = LISTER,
    basis: ReceivedBasis = ReceivedBasis.consent,
    confirmed: bool = False,
) -> None:
    with write_scope(engine) as s:
        record_received(
            s,
            received_id=received_id,
            provider=provider,
            acquisition="自社会員から同意を得て取得",
            received_at=at("2024-06-01T10:00"),
            data_items=["氏名", "メールアドレス"],
            persons=persons,
            basis=basis,
            ppc_publication_confirmed=confirmed,
        )


def _stored(engine: Engine) -> tuple[int, int, int]:
    with write_scope(engine) as s:
        return (
            s.execute(select(func.count()).select_from(ReceivedProvisionRow)).scalar_one(),
            s.execute(select(func.count()).select_from(ReceivedProvisionSubjectRow)).scalar_one(),
            s.execute(select(func.count()).select_from(LedgerEntryRow)).scalar_one(),
        )


@pytest.fixture()
def seeded(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person("S1"), person("S2"), person("S3")])
    return store


def test_record_is_sealed_in_the_ledger_and_disclosed(seeded: Engine) -> None:
    _receive(seeded, [(2, "S1"), (3, "S2")], basis=ReceivedBasis.opt_out, confirmed=True)
    with write_scope(seeded) as s:
        [record] = received_for(s, "S1")
        assert record.persons == 2 and record.persons_sha256 == persons_digest(pseudonyms(s, ["S2", "S1"]))
        assert record.ppc_publication_confirmed and not record.consent_obtained
        assert [d.isoformat() for d in record.opt_out_received_dates] == ["2024-06-01"]
        assert record.retention_until.isoformat() == "2027-06-01"
        assert received_for(s, "S3") == [] and list_received(s) == [record]
        assert verify_received_persons(s, "in-1") and ledger.verify_ledger(s).ok
        [entry] = ledger.entries_for(s, "provision_received:in-1")
        assert entry.kind == EntryKind.provision_received.value
        assert entry.payload()["persons_sha256"] == persons_digest(pseudonyms(s, ["S1", "S2"]))
        answer = disclosure(s, "S1", at("2024-07-01T00:00"))
        other = disclosure(s, "S3", at("2024-07-01T00:00"))
    [shown] = answer["third_party_receipt_records"]
    assert shown["provider"] == {
        "kind": "corporation",
        "name": "名簿提供株式会社",
        "address": "大阪府大阪市北区1-2",
        "representative": "提供 一郎",
    }
    assert shown["received_on"] == "2024-06-01" and shown["basis"] == "opt_out"
    assert shown["acquisition"] == "自社会員から同意を得て取得" and shown["data_items"] == [
        "氏名",
        "メールアドレス",
    ]
    assert other["third_party_receipt_records"] == []
    html = render_html(answer)
    assert "第三者から提供を受けた記録" in html and "名簿提供株式会社" in html and "提供 一郎" in html
    assert "個人情報保護委員会による公表を確認済み" in html
    assert "第三者から提供を受けた記録はありません" in render_html(other)


def test_opt_out_without_confirmed_publication_is_refused(seeded: Engine) -> None:
    before = _stored(seeded)
    with pytest.raises(InputError) as exc:
        _receive(seeded, [(2, "S1")], basis=ReceivedBasis.opt_out, confirmed=False)
    assert exc.value.field == "ppc_publication_confirmed"
    assert _stored(seeded) == before


def test_a_corporation_without_representative_is_refused(seeded: Engine) -> None:
    nameless = LISTER.model_copy(update={"representative": " "})
    with pytest.raises(InputError) as exc:
        _receive(seeded, [(2, "S1")], provider=nameless)
    assert exc.value.field == "provider_representative"
    individual = Provider(kind=ProviderKind.individual, name="個人 事業者", address="東京都")
    _receive(seeded, [(2, "S1")], provider=individual)
    with write_scope(seeded) as s:
        assert [r.provider.representative for r in list_received(s)] == [None]


def test_an_association_is_recorded_with_or_without_a_representative(seeded: Engine) -> None:
    """法30条1項1号: 法人でない団体 names its 代表者又は管理人 only when it has one."""
    club = Provider(kind=ProviderKind.association, name="地域防災会", address="東京都千代田区1-1")
    _receive(seeded, [(2, "S1")], provider=club, received_id="in-club")
    managed = club.model_copy(update={"representative": "管理 花子"})
    _receive(seeded, [(2, "S2")], provider=managed, received_id="in-managed")
    with write_scope(seeded) as s:
        providers = {r.received_id: r.provider for r in list_received(s)}
    assert providers == {"in-club": club, "in-managed": managed}


def test_persons_from_a_list_are_refused_by_index(seeded: Engine) -> None:
    with pytest.raises(InputError) as exc:
        persons_from_ids(["S1", " ", "S1"])
    assert exc.value.field == "subject_ids[1]" and "subject_ids[2]" in exc.value.ja
    before = _stored(seeded)
    with pytest.raises(InputError) as exc, write_scope(seeded) as s:
        record_received(
            s,
            received_id="in-list",
            provider=LISTER,
            acquisition="自社会員から同意を得て取得",
            received_at=at("2024-06-01T10:00"),
            data_items=["氏名"],
            persons=persons_from_ids(["S1", "NOBODY"]),
            basis=ReceivedBasis.consent,
            persons_field="subject_ids",
        )
    assert exc.value.field == "subject_ids[1]" and "NOBODY" not in str(exc.value)
    assert _stored(seeded) == before


def test_unknown_subject_is_refused_by_row_and_nothing_is_stored(seeded: Engine) -> None:
    before = _stored(seeded)
    with pytest.raises(InputError) as exc:
        _receive(seeded, [(2, "S1"), (3, "NOBODY"), (4, "S2")])
    assert "3行目 subject_id" in exc.value.ja and "NOBODY" not in str(exc.value)
    assert _stored(seeded) == before


def test_receipt_ids_are_unique(seeded: Engine) -> None:
    _receive(seeded, [(2, "S1")])
    with pytest.raises(Conflict):
        _receive(seeded, [(2, "S2")])


def test_persons_csv_in_cp932_with_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    path.write_bytes("ｓｕｂｊｅｃｔ＿ｉｄ\r\nＳ１\r\n\r\nS2\r\n".encode("cp932"))
    assert read_persons(path) == [(2, "S1"), (4, "S2")]
    path.write_bytes("\ufeffsubject_id\nS1\n\nS1\n".encode())
    with pytest.raises(InputError) as exc:
        read_persons(path)
    assert "4行目 subject_id" in exc.value.ja
