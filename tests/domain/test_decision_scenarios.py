"""One scenario per reason code: the decision, its basis and the article it cites."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest

from hogo.domain import reasons as R
from hogo.domain.consent import ConsentAction, ExceptionGround, LegalException, SubjectHistory
from hogo.domain.decision import Basis, Decision, decide
from tests.factories import at, event, history, person, policy

P = policy()
NOW = "2024-06-01T12:00"


@dataclass
class Case:
    name: str
    purpose: str
    hist: SubjectHistory
    allowed: bool
    basis: Basis | None
    code: str
    article: str
    recipient: str | None = None
    when: str = NOW
    also: tuple[str, ...] = field(default_factory=tuple)
    settings: dict[str, object] = field(default_factory=dict)


def _exception(purpose: str, ground: ExceptionGround, recipient: str | None = None) -> LegalException:
    return LegalException(
        exception_id="x1",
        subject_id="S1",
        purpose_id=purpose,
        ground=ground,
        recorded_at=at("2024-01-01T00:00"),
        recipient_id=recipient,
    )


CASES = [
    Case("consent granted", "ad_partners", history(event()), True, Basis.consent, "CONSENT_GRANTED", "法27条1項",
         also=("THIRD_PARTY_CONSENT_REQUIRED",)),
    Case("no consent, opt-out filed", "ad_partners", history(), True, Basis.opt_out, "OPT_OUT_ALLOWED", "法27条2項"),
    Case("no consent at all", "profiling", history(), False, None, "NO_CONSENT", "法18条1項"),
    Case("consent denied", "profiling", history(event(purpose="profiling", action="deny")), False, None,
         "CONSENT_DENIED", "法18条1項"),
    Case("consent withdrawn", "profiling",
         history(event(purpose="profiling", terms_version="2020-04"),
                 event(purpose="profiling", action="withdraw", when="2023-01-01T00:00")),
         False, None, "CONSENT_WITHDRAWN", "法18条1項"),
    Case("withdrawal, then the terms accepted as a whole: the withdrawal stands", "ad_partners",
         history(event(), event(action="withdraw", when="2022-06-01T00:00"),
                 event(purpose="*", terms_version="2021-07", when="2023-01-01T00:00")),
         False, None, "CONSENT_WITHDRAWN", "法27条1項", also=("BLANKET_ACCEPTANCE_DOES_NOT_REVIVE",)),
    Case("objection, then the terms accepted as a whole, with the reviving setting", "profiling",
         history(event(purpose="profiling", action="object", when="2022-06-01T00:00"),
                 event(purpose="*", terms_version="2021-07", when="2023-01-01T00:00")),
         True, Basis.consent, "CONSENT_GRANTED", "法18条1項", also=("BLANKET_ACCEPTANCE_REVIVES",),
         settings={"blanket_acceptance_revives_specific_refusal": True}),
    Case("objection to a purpose that needs no consent", "service",
         history(event(purpose="service", action="object")), False, None, "OBJECTED", "法35条"),
    Case("bundled acceptance of older terms does not cover a purpose added later", "cookie_share",
         history(event(purpose="*", terms_version="2020-04", when="2020-05-01T10:00")),
         False, None, "TERMS_DID_NOT_INCLUDE_PURPOSE", "法18条1項"),
    Case("explicit grant citing terms without the purpose", "cookie_share",
         history(event(purpose="cookie_share", terms_version="2020-04")),
         False, None, "TERMS_DID_NOT_INCLUDE_PURPOSE", "法18条1項"),
    Case("unknown terms version", "profiling", history(event(purpose="profiling", terms_version="1999-01")),
         False, None, "TERMS_VERSION_UNKNOWN", "法18条1項"),
    Case("purpose unknown", "nope", history(), False, None, "PURPOSE_UNKNOWN", "法17条1項"),
    Case("recipient unknown", "ad_partners", history(event()), False, None, "RECIPIENT_UNKNOWN", "法27条1項",
         recipient="ghost"),
    Case("recipient not among the purpose's", "ad_partners", history(event()), False, None,
         "RECIPIENT_NOT_IN_PURPOSE", "法18条1項", recipient="broker"),
    Case("terms not yet effective", "ad_partners", history(event(when="2021-06-01T10:00")), False, None,
         "TERMS_NOT_YET_EFFECTIVE", "法21条1項", when="2021-06-15T00:00"),
    Case("purpose never notified", "unannounced", history(), False, None, "PURPOSE_NOT_IN_TERMS", "法21条1項"),
    Case("child consented without guardian", "profiling",
         history(event(purpose="profiling", terms_version="2020-04"), subject=person(birth=date(2010, 1, 1)))
         , False, None, "GUARDIAN_CONSENT_MISSING", "通則編ガイドライン2-16"),
    Case("child consented with guardian", "profiling",
         history(event(purpose="profiling", terms_version="2020-04", guardian_name="保護者 花子",
                       guardian_relation="母"), subject=person(birth=date(2010, 1, 1))),
         True, Basis.consent, "CONSENT_GRANTED", "法18条1項"),
    Case("identity not verified", "profiling",
         history(event(purpose="profiling", terms_version="2020-04"), subject=person(verified=False)),
         False, None, "IDENTITY_NOT_VERIFIED", "通則編ガイドライン2-16"),
    Case("opt-out: the person objected", "ad_partners", history(event(action="object")), False, None,
         "OBJECTED", "法35条", also=("OPT_OUT_OBJECTED",)),
    Case("opt-out barred for sensitive data", "health_share", history(), False, None, "NO_CONSENT", "法27条1項",
         also=("OPT_OUT_SENSITIVE_BANNED",)),
    Case("opt-out barred abroad", "list_rental", history(), False, None, "NO_CONSENT", "法28条1項",
         when="2031-01-01T00:00", also=("OPT_OUT_FOREIGN_BANNED",)),
    Case("opt-out before its filing", "list_rental", history(), False, None, "NO_CONSENT", "法27条1項",
         recipient="broker", also=("OPT_OUT_NOT_YET_FILED",)),
    Case("opt-out after its filing", "list_rental", history(), True, Basis.opt_out, "OPT_OUT_ALLOWED", "法27条2項",
         recipient="broker", when="2030-02-01T00:00"),
    Case("My Number never provided, even with consent", "mynum_share",
         history(event(purpose="mynum_share")), False, None, "MY_NUMBER_PROVISION_PROHIBITED", "番号法19条"),
    Case("My Number internal use within purpose", "mynum_admin", history(), True, Basis.purpose_of_use,
         "WITHIN_PURPOSE_OF_USE", "法18条1項", also=("MY_NUMBER_USE_LIMITED",)),
    Case("outsourcee is not a third party", "service", history(), True, Basis.not_third_party,
         "NOT_THIRD_PARTY_OUTSOURCEE", "法27条5項1号", recipient="mailer"),
    Case("successor is not a third party", "service", history(), True, Basis.not_third_party,
         "NOT_THIRD_PARTY_SUCCESSOR", "法27条5項2号", recipient="heir"),
    Case("joint user is not a third party", "joint", history(), True, Basis.not_third_party,
         "NOT_THIRD_PARTY_JOINT_USE", "法27条5項3号"),
    Case("outsourcee abroad needs 法28 consent", "service", history(), False, None, "NO_CONSENT", "法28条1項",
         recipient="us_out"),
    Case("foreign recipient without 法28 information", "overseas",
         history(event(purpose="overseas")), False, None, "FOREIGN_TRANSFER_INFO_MISSING", "法28条2項",
         recipient="us_co"),
    Case("foreign recipient with 法28 information", "overseas",
         history(event(purpose="overseas", foreign_transfer_info_given=True)), True, Basis.consent,
         "CONSENT_GRANTED", "法28条1項", recipient="us_co"),
    Case("EU recipient is treated like a domestic one", "overseas", history(event(purpose="overseas")),
         True, Basis.consent, "CONSENT_GRANTED", "法27条1項", recipient="de_co",
         also=("FOREIGN_TRANSFER_DESIGNATED",)),
    Case("recipient with equivalent measures", "overseas", history(event(purpose="overseas")),
         True, Basis.consent, "CONSENT_GRANTED", "法27条1項", recipient="us_eq",
         also=("FOREIGN_TRANSFER_DESIGNATED",)),
    Case("recorded legal exception", "health_share",
         history(exceptions=(_exception("health_share", ExceptionGround.life_body_property),)),
         True, Basis.legal_exception, "LEGAL_EXCEPTION", "法27条1項2号"),
    Case("internal use within a purpose needing no consent", "service", history(), True, Basis.purpose_of_use,
         "WITHIN_PURPOSE_OF_USE", "法18条1項"),
    Case("sensitive data needs consent even for internal use", "health", history(), False, None,
         "NO_CONSENT", "法20条2項", also=("SENSITIVE_DATA_CONSENT_REQUIRED",)),
    Case("personal-related information needs the recipient's consent confirmed", "cookie_share", history(),
         False, None, "NO_CONSENT", "法31条1項", also=("PERSONAL_RELATED_CONSENT_REQUIRED",)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_scenario(case: Case) -> None:
    pol = policy(settings={**P.settings.model_dump(), **case.settings}) if case.settings else P
    d = decide(pol, case.hist, case.purpose, at(case.when), case.recipient)
    assert (d.allowed, d.basis) == (case.allowed, case.basis)
    first = d.reasons[0]
    assert (first.code, first.article) == (case.code, case.article)
    codes = {r.code for r in d.reasons}
    assert set(case.also) <= codes
    for r in d.reasons:
        assert r.message_ja and r.message_en and "{" not in r.message_ja + r.message_en + r.article


def test_every_reason_code_has_a_scenario() -> None:
    covered = {c.code for c in CASES} | {code for c in CASES for code in c.also}
    assert covered == set(R.BY_CODE)


def test_withdrawal_takes_effect_from_its_time_on() -> None:
    h = history(
        event(purpose="profiling", terms_version="2020-04", when="2022-01-01T00:00"),
        event(purpose="profiling", action="withdraw", when="2023-01-01T00:00"),
    )
    before = decide(P, h, "profiling", at("2022-12-31T23:59"))
    after = decide(P, h, "profiling", at("2023-01-01T00:00"))
    assert before.allowed and not after.allowed
    assert after.reasons[0].code == "CONSENT_WITHDRAWN"


def test_same_instant_withdrawal_beats_grant() -> None:
    h = history(
        event(purpose="profiling", terms_version="2020-04", when="2022-01-01T00:00", event_id="z"),
        event(purpose="profiling", action=ConsentAction.withdraw, when="2022-01-01T00:00", event_id="a"),
    )
    assert not decide(P, h, "profiling", at(NOW)).allowed


def test_bundled_acceptance_of_the_revision_covers_its_purposes() -> None:
    old = event(purpose="*", terms_version="2020-04", when="2020-05-01T10:00")
    new = event(purpose="*", terms_version="2021-07", when="2021-08-01T10:00")
    assert not decide(P, history(old), "cookie_share", at(NOW)).allowed
    d = decide(P, history(old, new), "cookie_share", at(NOW))
    assert d.allowed and d.event_id == new.event_id


def test_bundled_withdrawal_without_terms_withdraws_everything() -> None:
    h = history(
        event(purpose="*", terms_version="2021-07", when="2021-08-01T10:00"),
        event(purpose="*", action="withdraw", terms_version=None, when="2023-01-01T00:00"),
    )
    d = decide(P, h, "profiling", at(NOW))
    assert d.reasons[0].code == "CONSENT_WITHDRAWN"


def test_guardian_age_is_taken_at_the_time_of_consent() -> None:
    subject = person(birth=date(2008, 6, 2))
    young = history(
        event(purpose="profiling", terms_version="2020-04", when="2024-06-01T23:00"), subject=subject
    )
    of_age = history(
        event(purpose="profiling", terms_version="2020-04", when="2024-06-02T00:00"), subject=subject
    )
    assert not decide(P, young, "profiling", at(NOW)).allowed
    assert decide(P, of_age, "profiling", at("2024-07-01T00:00")).allowed


def test_exception_outside_its_validity_does_not_apply() -> None:
    exc = _exception("health_share", ExceptionGround.laws).model_copy(
        update={"valid_until": at("2024-03-01T00:00")}
    )
    assert not decide(P, history(exceptions=(exc,)), "health_share", at(NOW)).allowed
    assert decide(P, history(exceptions=(exc,)), "health_share", at("2024-02-01T00:00")).allowed


def test_decision_serialises_with_article_and_messages() -> None:
    d = decide(P, history(event()), "ad_partners", at(NOW))
    data = d.model_dump(mode="json")
    assert data["allowed"] is True and data["basis"] == "consent"
    assert {"code", "article", "message_ja", "message_en"} <= set(data["reasons"][0])
    assert isinstance(Decision.model_validate(data).at, datetime)
