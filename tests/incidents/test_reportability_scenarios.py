"""The issue's scenarios: reportable or not, which 規則7条 items, and by which dates."""

from __future__ import annotations

from datetime import date, datetime

from hogo.domain.clock import JST
from hogo.domain.incidents.deadlines import DeadlineSettings
from hogo.domain.incidents.reportability import assess_reportability
from hogo.domain.incidents.types import IncidentType
from hogo.domain.inventory import Encryption
from hogo.domain.policy import AppiClass

from .builders import AWARE, facts


def test_one_persons_medical_data_in_a_missent_email(settings: DeadlineSettings) -> None:
    f = facts({"medical_history": AppiClass.sensitive, "name": AppiClass.personal_data}, persons=1)
    a = assess_reportability(IncidentType.missent_email, f, AWARE, settings)
    assert a.reportable and a.notify_persons
    assert a.triggers == (1,)
    assert a.deadlines is not None
    assert a.deadlines.preliminary == date(2026, 4, 4)
    assert a.deadlines.preliminary_overdue_after == date(2026, 4, 6)
    assert a.deadlines.final == date(2026, 5, 1)
    assert "BREACH_SENSITIVE_DATA" in a.codes and "BREACH_NOTIFY_PERSONS" in a.codes
    sensitive = next(r for r in a.reasons if r.code == "BREACH_SENSITIVE_DATA")
    assert sensitive.article == "規則7条1号"


def test_1500_email_addresses_to_a_wrong_list(settings: DeadlineSettings) -> None:
    f = facts({"email": AppiClass.personal_data}, persons=1500)
    a = assess_reportability(IncidentType.missent_email, f, AWARE, settings)
    assert a.reportable
    assert a.triggers == (4,)
    over = next(r for r in a.reasons if r.code == "BREACH_OVER_1000_PERSONS")
    assert over.article == "規則7条4号" and "1,500" in over.message_ja
    assert a.deadlines is not None and a.deadlines.final_days == 30


def test_ransomware_on_a_server_with_50_customers_names(settings: DeadlineSettings) -> None:
    f = facts({"name": AppiClass.personal_data}, persons=50)
    a = assess_reportability(IncidentType.ransomware, f, AWARE, settings)
    assert a.reportable
    assert a.triggers == (3,)
    assert a.deadlines is not None
    # 60 days end on Sunday 5/31: the statutory last day moves to Monday 6/1 (行政機関の休日に関する法律2条).
    assert (a.deadlines.final_period_end, a.deadlines.final) == (date(2026, 5, 31), date(2026, 6, 1))
    assert a.deadlines.final_days == 60
    assert "BREACH_FINAL_REPORT_60_DAYS" in a.codes


def test_ransomware_ruled_out_as_improper_purpose_by_the_facts(settings: DeadlineSettings) -> None:
    f = facts({"name": AppiClass.personal_data}, persons=50, improper_purpose=False)
    a = assess_reportability(IncidentType.ransomware, f, AWARE, settings)
    assert not a.reportable and a.triggers == () and a.codes == ("BREACH_NO_TRIGGER",)


def test_lost_laptop_with_advanced_encryption(settings: DeadlineSettings) -> None:
    f = facts({"health_check": AppiClass.sensitive}, persons=2000, encryption=Encryption.advanced)
    a = assess_reportability(IncidentType.loss_theft, f, AWARE, settings)
    assert not a.reportable and not a.notify_persons
    assert a.triggers == () and a.excluded_triggers == (1, 4)
    assert a.deadlines is None
    assert a.codes == ("BREACH_ADVANCED_ENCRYPTION",)
    assert a.reasons[0].article == "規則7条1号括弧書"


def test_lost_laptop_whose_key_leaked_too(settings: DeadlineSettings) -> None:
    f = facts(
        {"health_check": AppiClass.sensitive},
        persons=3,
        encryption=Encryption.advanced,
        key_leaked=True,
    )
    a = assess_reportability(IncidentType.loss_theft, f, AWARE, settings)
    assert a.reportable and a.triggers == (1,)
    assert "BREACH_ENCRYPTION_KEY_LEAKED" in a.codes


def test_lost_laptop_with_standard_encryption_is_not_excluded(settings: DeadlineSettings) -> None:
    f = facts({"email": AppiClass.personal_data}, persons=1001, encryption=Encryption.standard)
    a = assess_reportability(IncidentType.loss_theft, f, AWARE, settings)
    assert a.reportable and a.triggers == (4,)


def test_ten_card_numbers_skimmed(settings: DeadlineSettings) -> None:
    f = facts({"card_number": AppiClass.personal_data}, persons=10, card_or_login=True)
    a = assess_reportability(IncidentType.web_skimming, f, AWARE, settings)
    assert a.reportable
    assert a.triggers == (2, 3)
    assert "BREACH_IMPROPER_PURPOSE_ACQUIRING" in a.codes
    assert a.deadlines is not None and a.deadlines.final_days == 60


def test_outsourcee_that_informed_its_client(settings: DeadlineSettings) -> None:
    informed = datetime(2026, 4, 2, 10, 0, tzinfo=JST)
    f = facts(
        {"medical_history": AppiClass.sensitive},
        persons=12,
        outsourcee_client="株式会社委託元",
        client_informed_at=informed,
    )
    a = assess_reportability(IncidentType.missent_post_fax, f, AWARE, settings)
    assert not a.reportable and not a.notify_persons and a.report_to_client
    assert a.triggers == (1,)
    assert a.deadlines is None
    exempt = next(r for r in a.reasons if r.code == "BREACH_OUTSOURCEE_INFORMED_CLIENT")
    assert exempt.article == "法26条1項ただし書" and "2026年4月2日" in exempt.message_ja
    assert exempt.params["informed_on"] == "2026-04-02" and "2 Apr 2026" in exempt.message_en


def test_outsourcee_before_informing_its_client_still_reports(settings: DeadlineSettings) -> None:
    f = facts({"medical_history": AppiClass.sensitive}, persons=12, outsourcee_client="株式会社委託元")
    a = assess_reportability(IncidentType.missent_post_fax, f, AWARE, settings)
    assert a.reportable and a.report_to_client
    assert "BREACH_OUTSOURCEE_MUST_INFORM_CLIENT" in a.codes


def test_nothing_reportable_for_a_few_ordinary_addresses(settings: DeadlineSettings) -> None:
    f = facts({"email": AppiClass.personal_data}, persons=3)
    a = assess_reportability(IncidentType.missent_email, f, AWARE, settings)
    assert not a.reportable and a.triggers == () and a.deadlines is None


def test_exactly_1000_persons_is_not_more_than_1000(settings: DeadlineSettings) -> None:
    base = {"email": AppiClass.personal_data}
    assert (
        assess_reportability(IncidentType.missent_email, facts(base, persons=1000), AWARE, settings).triggers
        == ()
    )
    assert assess_reportability(
        IncidentType.missent_email, facts(base, persons=1001), AWARE, settings
    ).triggers == (4,)


def test_settings_move_the_preliminary_deadline() -> None:
    f = facts({"medical_history": AppiClass.sensitive}, persons=1)
    custom = DeadlineSettings(preliminary_due_days=2, preliminary_overdue_after_days=4)
    a = assess_reportability(IncidentType.missent_email, f, AWARE, custom)
    assert a.deadlines is not None
    assert a.deadlines.preliminary == date(2026, 4, 3)
    assert a.deadlines.preliminary_overdue_after == date(2026, 4, 5)


def test_every_reason_cites_a_rule_and_has_both_languages() -> None:
    from hogo.domain.incidents import reasons as R

    assert len(R.BY_CODE) == len(R.ALL)
    for r in R.ALL:
        assert r.code.startswith("BREACH_")
        assert r.article.startswith(("法26条", "規則"))
        assert r.ja and r.en and r.ja != r.en
