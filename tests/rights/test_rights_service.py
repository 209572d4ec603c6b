"""Rights requests end to end on SQLite and PostgreSQL: each kind filed, verified, decided,
carried out and answered, with every step in the ledger and the ledger still verifying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from hogo.domain import shredding as sh
from hogo.domain.consent import ConsentAction, SubjectPatch
from hogo.domain.ledger import EntryKind
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestClaim,
    RequestKind,
    RequestOutcome,
    RequestState,
    VerificationLevel,
)
from hogo.domain.rights.request import CorrectableField, Decision, Details, DisclosureSection, Partial
from hogo.errors import InputError, NotFound
from hogo.reports.rights.render import render_html
from hogo.services import ledger
from hogo.services import rights_requests as svc
from hogo.services.consent import check, timeline
from hogo.services.consent_import import EventImport
from hogo.services.subjects import get_subject, patch_subjects
from hogo.store.database import read_scope, write_scope
from hogo.store.rights_requests import RightsRequestRow, RightsRequestStepRow, SuppressionRow
from hogo.store.tables import ConsentEventRow, SubjectRow
from tests.factories import at, event

T0 = at("2026-11-02T10:00")
ALLOW = Decision(outcome=RequestOutcome.allowed)


def _file(engine: Engine, kind: RequestKind, details: Details | None = None, subject: str = "S1") -> str:
    with write_scope(engine) as s:
        view = svc.file_request(
            s, subject, kind, details or Details(), VerificationLevel.signed_link, RequestChannel.privacy_center,
            received_at=T0,
        )  # fmt: skip
    assert view.state is RequestState.identity_verified and view.verification is VerificationLevel.signed_link
    return view.request_id


def _through(engine: Engine, request_id: str, decision: Decision = ALLOW) -> svc.RequestView:
    with write_scope(engine) as s:
        svc.decide_request(s, request_id, decision, at=T0 + timedelta(days=1))
        svc.carry_out(s, request_id, at=T0 + timedelta(days=2))
        return svc.answer(s, request_id, at=T0 + timedelta(days=3))


def _ledger_ok(engine: Engine) -> None:
    with read_scope(engine) as s:
        assert ledger.verdict(*ledger.verify_all(s)).ok


def _steps(engine: Engine, request_id: str) -> list[str]:
    with read_scope(engine) as s:
        entries = ledger.entries_for(s, f"request:{request_id}")
        assert all(e.kind == EntryKind.rights_request.value for e in entries)
        return [e.payload()["step"] for e in entries]


def test_disclosure_end_to_end_uses_the_disclosure_answer(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.disclosure)
    assert rid == "RR-2026-0001"
    view = _through(seeded, rid)
    assert view.state is RequestState.answered
    assert _steps(seeded, rid) == ["received", "identity_verified", "decided", "carried_out", "answered"]
    with read_scope(seeded) as s:
        answer = svc.answer_of(s, rid)
        first = ledger.entries_for(s, f"request:{rid}")[0].payload()
    # The filing step names the person by pseudonym only (forgotten on erasure, docs/ledger.md).
    assert first[sh.PERSON] and "subject" not in first
    assert "S1" not in str(first) and "s1@example.jp" not in str(first)
    assert answer.content is not None
    assert answer.content["third_party_provision_records"][0]["recipient"]["name"] == "広告株式会社"
    assert answer.notice.notice_article == "法33条3項" and answer.notice.outcome is RequestOutcome.allowed
    _ledger_ok(seeded)


def test_purpose_notice_lists_the_purposes(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.purpose_notice)
    _through(seeded, rid)
    with read_scope(seeded) as s:
        answer = svc.answer_of(s, rid)
    assert answer.content is not None
    assert "会員サービスの提供" in [p["title"] for p in answer.content["purposes_of_use"]]
    assert answer.notice.notice_article == "法32条3項"


def test_refusal_needs_a_ground_and_is_answered_without_carrying_out(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.disclosure)
    with write_scope(seeded) as s:
        with pytest.raises(InputError) as err:
            svc.decide_request(s, rid, Decision(outcome=RequestOutcome.refused))
        assert err.value.field == "grounds"
    with write_scope(seeded) as s, pytest.raises(InputError):  # a 法35 ground does not fit a disclosure
        svc.decide_request(s, rid, Decision(outcome=RequestOutcome.refused, grounds=("RIGHTS_STOP_COSTLY",)))
    refusal = Decision(
        outcome=RequestOutcome.refused, grounds=("RIGHTS_DISCLOSURE_OTHER_LAW",), note="法令による"
    )
    with write_scope(seeded) as s:
        svc.decide_request(s, rid, refusal)
        with pytest.raises(InputError):
            svc.carry_out(s, rid)
    with write_scope(seeded) as s:
        view = svc.answer(s, rid)
        answer = svc.answer_of(s, rid)
    assert view.state is RequestState.answered and view.outcome is RequestOutcome.refused
    assert [(g.code, g.article) for g in answer.notice.grounds] == [
        ("RIGHTS_DISCLOSURE_OTHER_LAW", "法33条2項3号")
    ]
    assert answer.notice.notice_article == "法33条3項・法36条" and answer.content is None
    _ledger_ok(seeded)


def test_stop_provision_objects_lists_recipients_and_suppresses(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.stop_provision, Details(claim=RequestClaim.provision_breach))
    with write_scope(seeded) as s:
        assert check(s, "S1", "ad_partners", at("2026-11-01T00:00"), recipient_id="adco").allowed
    _through(seeded, rid)
    with read_scope(seeded) as s:
        view = svc.get(s, rid)
        assert not check(s, "S1", "ad_partners", at("2026-12-01T00:00"), recipient_id="adco").allowed
        actions = {(e.purpose_id, e.action) for e in timeline(s, "S1", at("2026-12-01T00:00")).history.events}
        tokens = s.scalars(select(SuppressionRow.kind).order_by(SuppressionRow.kind)).all()
    assert ("ad_partners", ConsentAction.object) in actions
    assert ("service", ConsentAction.object) not in actions  # only providing purposes
    assert view.case.result["recipients"][0]["recipient_id"] == "adco"
    assert "ad_partners" in view.case.result["objected_purposes"]
    assert "profiling" not in view.case.result["objected_purposes"]  # its recipient is an outsourcee
    assert tokens == ["email", "phone", "subject_id"]
    _ledger_ok(seeded)


def test_stop_use_of_named_purposes(seeded: Engine) -> None:
    details = Details(claim=RequestClaim.not_needed, purposes=("profiling",))
    rid = _file(seeded, RequestKind.stop_use, details)
    view = _through(seeded, rid)
    assert view.case.result["objected_purposes"] == ["profiling"] and view.case.result["events"] == 1
    with read_scope(seeded) as s:
        assert not check(s, "S1", "profiling", at("2026-12-01T00:00")).allowed


def test_suppression_reports_the_row_of_a_consent_import(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.stop_provision, Details(claim=RequestClaim.harm))
    _through(seeded, rid)
    with EventImport(seeded) as imp:
        imp.stage([event("S2", event_id="n1")], [2])
        assert imp.commit().recorded == 1  # S2 is not suppressed
    with EventImport(seeded) as imp, pytest.raises(InputError) as err:
        imp.stage([event("S2", event_id="n3"), event("S1", event_id="n4")], [2, 3])
    assert err.value.row == 3 and err.value.field == "subject_id"
    assert "S1" not in str(err.value) and "example" not in str(err.value)
    with EventImport(seeded) as imp:
        imp.stage([event("S1", action=ConsentAction.withdraw, event_id="n5")], [2])
        assert imp.commit().recorded == 1


def test_correction_seals_before_and_after_as_digests(seeded: Engine) -> None:
    details = Details(
        corrections={CorrectableField.email: "new@example.jp", CorrectableField.birth_date: "1981-02-03"}
    )
    rid = _file(seeded, RequestKind.correction, details)
    _through(seeded, rid)
    with read_scope(seeded) as s:
        row = s.get_one(SubjectRow, "S1")
        entries = ledger.entries_for(s, f"request:{rid}")
    assert row.email == "new@example.jp" and row.birth_date.isoformat() == "1981-02-03"
    carried = next(e.payload() for e in entries if e.payload()["step"] == "carried_out")
    text = str(carried)
    assert "new@example.jp" not in text and "s1@example.jp" not in text and "1981" not in text
    values = carried["result"]["values"]
    assert set(values) == {"birth_date", "email"}
    assert values["email"]["before_sha256"] != values["email"]["after_sha256"]
    _ledger_ok(seeded)


def test_a_bad_correction_value_is_refused_at_filing(seeded: Engine) -> None:
    with write_scope(seeded) as s, pytest.raises(InputError) as err:
        svc.file_request(
            s, "S1", RequestKind.correction, Details(corrections={CorrectableField.birth_date: "not a date"}),
            None, RequestChannel.post,
        )  # fmt: skip
    assert err.value.field == "corrections.birth_date"


def test_erasure_erases_clears_the_case_and_blocks_registration(seeded: Engine) -> None:
    first = _file(seeded, RequestKind.disclosure)
    _through(seeded, first)
    rid = _file(
        seeded, RequestKind.erasure, Details(claim=RequestClaim.not_needed, text="退会したので消してください")
    )
    view = _through(seeded, rid)
    assert view.subject_id is None and view.case.result["rows"]["subjects"] == 1
    assert view.case.result["recipients"][0]["name"] == "広告株式会社"
    with read_scope(seeded) as s:
        with pytest.raises(NotFound):
            get_subject(s, "S1")
        assert s.scalars(select(ConsentEventRow).where(ConsentEventRow.subject_id == "S1")).all() == []
        assert svc.requests_of(s, "S1") == []
        for request_id in (first, rid):
            kept = svc.get(s, request_id)
            assert kept.subject_id is None and "退会" not in kept.case.model_dump_json()
            assert svc.answer_of(s, request_id).content is None
        for table in (RightsRequestRow, RightsRequestStepRow, SuppressionRow):
            for row in s.scalars(select(table)):
                text = str({c.name: getattr(row, c.name) for c in table.__table__.columns})
                assert "S1" not in text and "s1@example.jp" not in text and "1234-5678" not in text, table
    _ledger_ok(seeded)
    for patch in (SubjectPatch(subject_id="S1"), SubjectPatch(subject_id="S9", email="S1@Example.jp")):
        with write_scope(seeded) as s, pytest.raises(InputError) as err:
            patch_subjects(s, [patch], [7])
        assert err.value.row == 7 and "example" not in str(err.value).lower()
    with write_scope(seeded) as s:
        assert patch_subjects(s, [SubjectPatch(subject_id="S9", email="other@example.jp")]).added == 1


def test_overdue_board_and_extension(seeded: Engine) -> None:
    late = _file(seeded, RequestKind.disclosure)
    with write_scope(seeded) as s:
        fresh = svc.file_request(
            s,
            "S2",
            RequestKind.purpose_notice,
            Details(),
            None,
            RequestChannel.post,
            received_at=T0 + timedelta(days=10),
        ).request_id
    now = T0 + timedelta(days=15)
    with read_scope(seeded) as s:
        lines = svc.board(s, now)
    assert [(line.view.request_id, line.overdue) for line in lines] == [(late, True), (fresh, False)]
    assert lines[0].days_left == -1 and lines[0].view.deadline == T0 + timedelta(days=14)
    with write_scope(seeded) as s:
        with pytest.raises(InputError) as err:
            svc.extend(s, late, T0 + timedelta(days=20), "  ", at=now)
        assert err.value.field == "reason"
    with write_scope(seeded) as s:
        svc.extend(s, late, T0 + timedelta(days=30), "調査に時間を要するため", at=now)
    with read_scope(seeded) as s:
        lines = svc.board(s, now)
    assert [line.overdue for line in lines] == [False, False]
    assert lines[0].view.request_id == fresh  # by deadline once nothing is overdue
    assert _steps(seeded, late)[-1] == "extended"


def test_steps_out_of_order_are_refused(seeded: Engine) -> None:
    with write_scope(seeded) as s:
        rid = svc.file_request(
            s, "S3", RequestKind.disclosure, Details(), None, RequestChannel.counter
        ).request_id
        with pytest.raises(InputError) as err:
            svc.decide_request(s, rid, ALLOW)
        assert err.value.field == "state"
    with write_scope(seeded) as s:
        svc.verify(s, rid, VerificationLevel.in_person_document)
        with pytest.raises(InputError):
            svc.verify(s, rid, VerificationLevel.officer_check)
    with read_scope(seeded) as s:
        assert [e.step.value for e in svc.steps(s, rid)] == ["received", "identity_verified"]
        for missing in ("RR-1999-0001", "RR\x00", "R" * 40):
            with pytest.raises(NotFound):
                svc.get(s, missing)


def test_requests_of_a_person(seeded: Engine) -> None:
    a = _file(seeded, RequestKind.disclosure)
    b = _file(seeded, RequestKind.purpose_notice)
    _file(seeded, RequestKind.disclosure, subject="S2")
    with read_scope(seeded) as s:
        assert [v.request_id for v in svc.requests_of(s, "S1")] == [b, a]
        with pytest.raises(NotFound):
            svc.file_request(s, "nobody", RequestKind.disclosure, Details(), None, RequestChannel.api)


def _partly(engine: Engine, rid: str, ground: str) -> None:
    with write_scope(engine) as s:
        svc.decide_request(
            s, rid, Decision(outcome=RequestOutcome.partly, grounds=(ground,), note="一部のみ")
        )


def test_only_a_partial_refusal_narrows_what_is_carried_out(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.stop_use, Details(claim=RequestClaim.not_needed))
    with write_scope(seeded) as s:
        svc.decide_request(s, rid, ALLOW)
    with write_scope(seeded) as s, pytest.raises(InputError) as err:
        svc.carry_out(s, rid, partial=Partial(purposes=("profiling",)))
    assert err.value.field == "partial"


def test_a_partial_stop_objects_to_the_purposes_chosen(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.stop_use, Details(claim=RequestClaim.not_needed))
    _partly(seeded, rid, "RIGHTS_NEED_COSTLY")
    with write_scope(seeded) as s:
        assert ("profiling", "嗜好分析") in svc.stoppable(s, rid)
        with pytest.raises(InputError) as err:
            svc.carry_out(s, rid, partial=Partial(purposes=("no_such_purpose",)))
        assert err.value.field == "purposes"
    with write_scope(seeded) as s:
        view = svc.carry_out(s, rid, at=T0 + timedelta(days=2), partial=Partial(purposes=("profiling",)))
    assert view.case.result["objected_purposes"] == ["profiling"]
    assert view.case.result["partial"] == {"purposes": ["profiling"], "withhold": []}
    with read_scope(seeded) as s:
        assert not check(s, "S1", "profiling", at("2026-12-01T00:00")).allowed
        assert check(s, "S1", "service", at("2026-12-01T00:00")).allowed


def test_a_partial_disclosure_withholds_sections_and_says_so(seeded: Engine) -> None:
    rid = _file(seeded, RequestKind.disclosure)
    _partly(seeded, rid, "RIGHTS_DISCLOSURE_HINDRANCE")
    with write_scope(seeded) as s:
        svc.carry_out(s, rid, partial=Partial(withhold=(DisclosureSection.consent_events,)))
        svc.answer(s, rid)
        answer = svc.answer_of(s, rid)
    assert answer.content is not None and answer.content["consent_events"] == []
    assert (
        answer.content["withheld"] == ["consent_events"] and answer.content["third_party_provision_records"]
    )
    html = render_html(answer.notice, answer.content, answer.organization)
    assert "開示しない項目" in html and "同意等の記録" in html and "法33条2項2号" in html


def test_a_partial_correction_changes_only_the_fields_chosen(seeded: Engine) -> None:
    details = Details(
        corrections={CorrectableField.email: "x@example.jp", CorrectableField.phone: "03-1111-2222"}
    )
    rid = _file(seeded, RequestKind.correction, details)
    _partly(seeded, rid, "RIGHTS_CORRECTION_NOT_UNTRUE")
    with write_scope(seeded) as s:
        with pytest.raises(InputError) as err:
            svc.carry_out(s, rid, partial=Partial(fields=(CorrectableField.birth_date,)))
        assert err.value.field == "fields"
    with write_scope(seeded) as s:
        view = svc.carry_out(s, rid, partial=Partial(fields=(CorrectableField.email,)))
    with read_scope(seeded) as s:
        row = s.get_one(SubjectRow, "S1")
    assert row.email == "x@example.jp" and row.phone == "090-1234-5678"
    assert view.case.result["fields"] == ["email"]
