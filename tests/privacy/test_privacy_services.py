"""The privacy center's services over a real store (SQLite and PostgreSQL): the ways in (signed
links from member sites and from the API, one-time codes), and what the page shows and records."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import jwt
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hogo.domain.consent import ConsentAction, ConsentMethod, IdentityCheck, SubjectPatch
from hogo.domain.decision import Basis
from hogo.domain.notice import parse_evidence
from hogo.domain.provision import ReleaseMode
from hogo.errors import InputError, NotFound
from hogo.services import privacy_access, privacy_center, tickets
from hogo.services.consent import check, record_events, timeline
from hogo.services.mail import Mail
from hogo.services.notice import NOTICE_AUDIENCE, PageContext
from hogo.services.policy import apply_policy
from hogo.services.provisions import record_provision
from hogo.services.sites import PRIVACY_CENTER_AUDIENCE, NewKey, TokenRefused
from hogo.services.subjects import patch_subjects, upsert_subjects
from hogo.store.database import read_scope, write_scope
from hogo.store.privacy_center import EmailCodeRow, PersonSessionRow
from tests.api.env import SECRET
from tests.concurrently import overlapping
from tests.embed_helpers import member_token, register_site
from tests.factories import at, event, person, policy

TTL = timedelta(minutes=30)
NOW = datetime(2024, 7, 1, 3, 0, tzinfo=UTC)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


@pytest.fixture()
def seeded(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person("S1"), person("S2"), person("KID", birth=date(2015, 4, 1))])
        patch_subjects(s, [SubjectPatch(subject_id="S1", email="Member.One@Example.jp")])
        record_events(
            s,
            [
                event("S1", "ad_partners", when="2022-01-01T10:00", event_id="g1"),
                event("S1", "profiling", when="2022-01-02T10:00", event_id="g2"),
                event("S2", "ad_partners", when="2022-01-01T10:00", event_id="other"),
            ],
        )
        record_provision(
            s,
            policy(),
            provision_id="rel-1",
            mode=ReleaseMode.personal,
            purpose_id="ad_partners",
            recipient_id="adco",
            provided_at=at("2024-06-01T10:00"),
            data_items=["email_token", "purchase_total"],
            persons=[("S1", "consent"), ("S2", "opt_out")],
        )
    return store


def _site(db: Engine) -> NewKey:
    return register_site(db, "shop", ["https://www.example.jp"])


def _enter(db: Engine, token: str) -> privacy_access.Opened:
    with write_scope(db) as s:
        return privacy_access.enter_with_link(s, token, secret_key=SECRET, ttl=TTL)


# --- signed links --------------------------------------------------------------------------------


def test_a_member_sites_link_opens_a_session_once(seeded: Engine) -> None:
    key = _site(seeded)
    token = member_token(key, "shop", "S1", aud=PRIVACY_CENTER_AUDIENCE)
    opened = _enter(seeded, token)
    assert opened.person.subject_id == "S1" and opened.person.site_id == "shop"
    assert opened.person.identity_check is IdentityCheck.signed_link
    with read_scope(seeded) as s:
        found = privacy_access.person_session(s, opened.session_id)
        stored = s.scalars(select(PersonSessionRow.id_hash)).all()
    assert found is not None and found.subject_id == "S1" and found.csrf_token == opened.person.csrf_token
    assert opened.session_id not in stored  # only the digest is kept
    with pytest.raises(TokenRefused):
        _enter(seeded, token)  # replayed


def test_links_are_refused_when_forged_expired_or_meant_for_something_else(seeded: Engine) -> None:
    key = _site(seeded)
    forged = member_token(key, "shop", "S1", aud=PRIVACY_CENTER_AUDIENCE, signing_key="not-the-secret-" * 3)
    notice = member_token(key, "shop", "S1")  # audience hogo:consent-notice
    old = int(time.time()) - 3600
    expired = member_token(key, "shop", "S1", aud=PRIVACY_CENTER_AUDIENCE, iat=old, exp=old + 300)
    too_long = member_token(key, "shop", "S1", aud=PRIVACY_CENTER_AUDIENCE, exp=int(time.time()) + 3600)
    unknown = member_token(key, "shop", "NOBODY", aud=PRIVACY_CENTER_AUDIENCE)
    for token in (forged, notice, expired, too_long, unknown, "not a token", ""):
        with pytest.raises(TokenRefused):
            _enter(seeded, token)
    assert NOTICE_AUDIENCE != PRIVACY_CENTER_AUDIENCE


def test_a_link_minted_over_the_api_works_once(seeded: Engine) -> None:
    with write_scope(seeded) as s:
        link = privacy_access.mint_link(s, "S2", secret_key=SECRET)
        with pytest.raises(NotFound):
            privacy_access.mint_link(s, "NOBODY", secret_key=SECRET)
    assert timedelta(0) < link.expires_at - datetime.now(UTC) <= privacy_access.LINK_LIFETIME
    opened = _enter(seeded, link.token)
    assert opened.person.subject_id == "S2" and opened.person.site_id == ""
    with pytest.raises(TokenRefused):
        _enter(seeded, link.token)
    with pytest.raises(TokenRefused):  # another secret key: forged
        with write_scope(seeded) as s:
            other = privacy_access.mint_link(s, "S2", secret_key=SECRET + "x")
        _enter(seeded, other.token)


def test_a_hogo_ticket_for_the_notice_does_not_open_the_privacy_center(seeded: Engine) -> None:
    ticket, _ = tickets.issue(
        "hogo:notice-choices",
        "S1",
        {},
        lifetime=timedelta(minutes=5),
        secret_key=SECRET,
        now=datetime.now(UTC),
    )
    with pytest.raises(TokenRefused):
        _enter(seeded, ticket)
    unsigned = jwt.encode({"sub": "S1", "aud": PRIVACY_CENTER_AUDIENCE}, "k" * 32, algorithm="HS256")
    with pytest.raises(TokenRefused):
        _enter(seeded, unsigned)


def test_sessions_expire_and_close(seeded: Engine) -> None:
    with write_scope(seeded) as s:
        opened = privacy_access.open_session(s, "S1", IdentityCheck.email_code, "", TTL, NOW)
    with read_scope(seeded) as s:
        assert privacy_access.person_session(s, opened.session_id, NOW + TTL - timedelta(seconds=1))
        assert privacy_access.person_session(s, opened.session_id, NOW + TTL) is None
        assert privacy_access.person_session(s, "no-such-session") is None
    with write_scope(seeded) as s:
        privacy_access.close(s, opened.session_id)
        assert privacy_access.person_session(s, opened.session_id, NOW) is None


# --- one-time codes ------------------------------------------------------------------------------


def _ask(
    db: Engine, subject: str, address: str, outbox: Outbox, now: datetime = NOW, per_hour: int = 5
) -> str:
    with write_scope(db) as s:
        return privacy_access.request_code(
            s, subject, address, outbox, secret_key=SECRET, per_hour=per_hour, now=now
        )


def _code(mail: Mail) -> str:
    import re

    found = re.search(r"\b(\d{6})\b", mail.text)
    assert found is not None
    return found.group(1)


def _try(db: Engine, challenge: str, code: str, now: datetime = NOW) -> privacy_access.Opened | None:
    with write_scope(db) as s:
        try:
            return privacy_access.enter_with_code(s, challenge, code, secret_key=SECRET, ttl=TTL, now=now)
        except privacy_access.CodeRefused:
            return None  # the failed try is committed, as the view does


def test_a_code_goes_to_the_registered_address_only(seeded: Engine) -> None:
    outbox = Outbox()
    challenge = _ask(seeded, "S1", "  member.one@example.JP ", outbox)
    [mail] = outbox.sent
    assert (
        mail.to == "Member.One@Example.jp"
        and "10分間有効" in mail.text
        and "valid for 10 minutes" in mail.text
    )
    code = _code(mail)
    with read_scope(seeded) as s:
        row = s.scalars(select(EmailCodeRow)).one()
    assert code not in row.code_hash and challenge not in row.challenge_hash  # kept as digests
    # a wrong address or an unknown member gets the same kind of answer, and nothing is sent
    for subject, address in (
        ("S1", "someone@example.jp"),
        ("S2", "member.one@example.jp"),
        ("NOBODY", "x@y.jp"),
        ("S1\x00", "member.one@example.jp"),
        ("", "member.one@example.jp"),
    ):
        assert len(_ask(seeded, subject, address, outbox)) > 20
    assert len(outbox.sent) == 1
    opened = _try(seeded, challenge, code)
    assert opened is not None and opened.person.identity_check is IdentityCheck.email_code
    assert opened.person.subject_id == "S1"
    assert _try(seeded, challenge, code) is None  # used


def test_five_wrong_tries_end_a_code(seeded: Engine) -> None:
    outbox = Outbox()
    challenge = _ask(seeded, "S1", "member.one@example.jp", outbox)
    code = _code(outbox.sent[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(privacy_access.CODE_ATTEMPTS):
        assert _try(seeded, challenge, wrong) is None
    assert _try(seeded, challenge, code) is None


def _attempt(s: Session, challenge: str, code: str) -> bool:
    try:
        privacy_access.enter_with_code(s, challenge, code, secret_key=SECRET, ttl=TTL, now=NOW)
    except privacy_access.CodeRefused:
        return False
    return True


def _concurrently(db: Engine, challenge: str, first: str, second: str) -> tuple[bool, bool]:
    """Two tries of one code at once: whether each opened a session."""
    return overlapping(
        db, lambda s: _attempt(s, challenge, first), lambda: _try(db, challenge, second) is not None
    )


def test_concurrent_tries_each_count_and_a_code_opens_once(seeded: Engine) -> None:
    """Tries sent at once must not read the same count (PostgreSQL runs them side by side; SQLite's
    writers wait for each other up front): every wrong try counts, a code opens one session."""
    outbox = Outbox()
    challenge = _ask(seeded, "S1", "member.one@example.jp", outbox)
    code = _code(outbox.sent[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert _concurrently(seeded, challenge, wrong, wrong) == (False, False)
    with read_scope(seeded) as s:
        assert s.scalars(select(EmailCodeRow.attempts)).one() == 2
    assert _concurrently(seeded, challenge, code, code) == (True, False)
    with read_scope(seeded) as s:
        assert len(s.scalars(select(PersonSessionRow.id_hash)).all()) == 1


def test_codes_expire_after_ten_minutes(seeded: Engine) -> None:
    outbox = Outbox()
    challenge = _ask(seeded, "S1", "member.one@example.jp", outbox)
    code = _code(outbox.sent[0])
    assert _try(seeded, challenge, code, NOW + privacy_access.CODE_LIFETIME) is None
    assert (
        _try(seeded, challenge, code, NOW + privacy_access.CODE_LIFETIME - timedelta(seconds=1)) is not None
    )


def test_codes_asked_for_at_once_keep_to_the_limit(seeded: Engine) -> None:
    outbox = Outbox()

    def ask(s: Session) -> str:
        return privacy_access.request_code(
            s, "S1", "member.one@example.jp", outbox, secret_key=SECRET, per_hour=1, now=NOW
        )

    def again() -> str:
        try:
            return _ask(seeded, "S1", "member.one@example.jp", outbox, per_hour=1)
        except privacy_access.TooManyCodes:
            return "refused"

    assert overlapping(seeded, ask, again)[1] == "refused"
    assert len(outbox.sent) == 1


def test_codes_are_limited_per_address_and_hour(seeded: Engine) -> None:
    outbox = Outbox()
    for i in range(3):
        _ask(seeded, "S1", "member.one@example.jp", outbox, NOW + timedelta(minutes=i), per_hour=3)
    with pytest.raises(privacy_access.TooManyCodes):
        _ask(seeded, "S1", "MEMBER.ONE@example.jp", outbox, NOW + timedelta(minutes=5), per_hour=3)
    _ask(seeded, "S1", "member.one@example.jp", outbox, NOW + timedelta(minutes=61), per_hour=3)
    assert len(outbox.sent) == 4


# --- what the page shows and records ---------------------------------------------------------------


def _person(
    db: Engine, subject: str, check_kind: IdentityCheck = IdentityCheck.signed_link
) -> privacy_access.PersonSession:
    with write_scope(db) as s:
        return privacy_access.open_session(s, subject, check_kind, "shop", TTL, datetime.now(UTC)).person


def test_the_overview_is_the_timeline_with_the_records_about_the_person(seeded: Engine) -> None:
    when = at("2024-07-01T12:00")
    with read_scope(seeded) as s:
        view = privacy_center.overview(s, "S1", when, "ja")
        answer = timeline(s, "S1", when)
    assert [pv.decision for pv in view.purposes] == list(answer.decisions)
    assert [e.event_id for e in view.events] == ["g2", "g1"]  # newest first
    [provided] = view.provisions
    assert provided.record.recipient_name == "広告株式会社" and provided.basis is Basis.consent
    assert provided.record.data_items == ("email_token", "purchase_total")
    ad = next(pv for pv in view.purposes if pv.purpose.id == "ad_partners")
    assert ad.decision.allowed and ad.actions == (ConsentAction.withdraw, ConsentAction.object)
    assert ad.section.recipients[0].name == "広告株式会社" and len(ad.section.sha256) == 64
    mynum = next(pv for pv in view.purposes if pv.purpose.id == "mynum_share")
    assert mynum.actions == ()  # nothing a person's choice can change
    assert not view.guardian_needed


def test_withdrawing_one_purpose_is_recorded_with_evidence_and_changes_the_decision(seeded: Engine) -> None:
    person_s = _person(seeded, "S1")
    now = datetime.now(UTC)
    with read_scope(seeded) as s:
        ad = next(
            pv
            for pv in privacy_center.overview(s, "S1", now, "en").purposes
            if pv.purpose.id == "ad_partners"
        )
    change = privacy_center.Change(
        "ad_partners",
        ConsentAction.withdraw,
        ad.section.sha256,
        "en",
        PageContext("https://hogo.example.jp", "Firefox", False),
    )
    with write_scope(seeded) as s:
        done = privacy_center.change_consent(s, person_s, change, now)
    [recorded] = done.events
    assert recorded.method is ConsentMethod.privacy_center and recorded.action is ConsentAction.withdraw
    evidence = parse_evidence(recorded.evidence)
    assert evidence is not None and evidence.identity_check == "signed_link" and evidence.site_id == "shop"
    assert evidence.sha256 == ad.section.sha256 and evidence.language == "en"
    with read_scope(seeded) as s:
        assert not check(s, "S1", "ad_partners", now + timedelta(seconds=1)).allowed
        assert check(s, "S1", "profiling", now + timedelta(seconds=1)).allowed


def test_a_stale_page_is_not_recorded(seeded: Engine) -> None:
    person_s = _person(seeded, "S1")
    change = privacy_center.Change(
        "ad_partners", ConsentAction.withdraw, "0" * 64, "ja", PageContext("https://h", "Chrome", False)
    )
    with write_scope(seeded) as s, pytest.raises(privacy_center.NoticeChanged):
        privacy_center.change_consent(s, person_s, change, datetime.now(UTC))
    bad = privacy_center.Change(
        "ad_partners", ConsentAction.deny, "0" * 64, "ja", PageContext("https://h", "Chrome", False)
    )
    with write_scope(seeded) as s, pytest.raises(InputError):
        privacy_center.change_consent(s, person_s, bad, datetime.now(UTC))


def test_a_guardian_grants_for_a_child(seeded: Engine) -> None:
    kid = _person(seeded, "KID")
    now = datetime.now(UTC)
    with read_scope(seeded) as s:
        view = privacy_center.overview(s, "KID", now, "ja")
    assert view.guardian_needed and view.guardian_age == 16
    prof = next(pv for pv in view.purposes if pv.purpose.id == "profiling")
    assert ConsentAction.grant in prof.actions
    alone = privacy_center.Change(
        "profiling", ConsentAction.grant, prof.section.sha256, "ja", PageContext("https://h", "Chrome", False)
    )
    with write_scope(seeded) as s, pytest.raises(InputError) as refused:
        privacy_center.change_consent(s, kid, alone, now)
    assert refused.value.field == "guardian_name"
    with_guardian = privacy_center.Change(
        "profiling",
        ConsentAction.grant,
        prof.section.sha256,
        "ja",
        PageContext("https://h", "Chrome", False),
        "保護 花子",
        "母",
    )
    with write_scope(seeded) as s:
        [grant] = privacy_center.change_consent(s, kid, with_guardian, now).events
    assert grant.guardian_name == "保護 花子" and grant.terms_version == "2021-07"
    with read_scope(seeded) as s:
        assert check(s, "KID", "profiling", now + timedelta(seconds=1)).allowed


def test_gpc_is_recorded_as_objections_once_and_refuses_ad_consent(seeded: Engine) -> None:
    person_s = _person(seeded, "S2")
    now = datetime.now(UTC)
    with read_scope(seeded) as s:
        view = privacy_center.overview(s, "S2", now, "ja", gpc=True)
    assert set(view.gpc_pending) == {
        "ad_partners",
        "health_share",
        "mynum_share",
        "overseas",
        "list_rental",
        "cookie_share",
    }
    overseas = next(pv for pv in view.purposes if pv.purpose.id == "overseas")
    assert ConsentAction.grant not in overseas.actions
    grant = privacy_center.Change(
        "overseas",
        ConsentAction.grant,
        overseas.section.sha256,
        "ja",
        PageContext("https://h", "Chrome", True),
    )
    with write_scope(seeded) as s, pytest.raises(InputError):
        privacy_center.change_consent(s, person_s, grant, now)
    browser = privacy_center.Browser("https://h", "Chrome")
    with write_scope(seeded) as s:
        done = privacy_center.record_gpc(s, person_s, browser, now)
    assert done is not None and {e.action for e in done.events} == {ConsentAction.object}
    assert set(done.gpc_purposes) == set(view.gpc_pending)
    with write_scope(seeded) as s:
        assert privacy_center.record_gpc(s, person_s, browser, now + timedelta(seconds=1)) is None
    with read_scope(seeded) as s:
        assert not check(s, "S2", "ad_partners", now + timedelta(seconds=2)).allowed


def test_receipts_are_the_persons_own(seeded: Engine) -> None:
    with read_scope(seeded) as s:
        doc = privacy_center.receipt(s, "S1", "g1", datetime.now(UTC))
        assert doc["record_id"] == "g1" and doc["schema"] == "ISO/IEC TS 27560:2023 consent record"
        with pytest.raises(NotFound):
            privacy_center.receipt(s, "S1", "other", datetime.now(UTC))


def test_forgetting_a_person_removes_their_sessions_and_codes(seeded: Engine) -> None:
    _person(seeded, "S1")
    _ask(seeded, "S1", "member.one@example.jp", Outbox(), datetime.now(UTC))
    with write_scope(seeded) as s:
        privacy_access.forget(s, "S1")
    with read_scope(seeded) as s:
        assert s.scalars(select(PersonSessionRow).where(PersonSessionRow.subject_id == "S1")).all() == []
        assert s.scalars(select(EmailCodeRow)).all() == []
