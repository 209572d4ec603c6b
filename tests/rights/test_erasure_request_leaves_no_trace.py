"""The issue's "Done when" for erasure, through the request itself: a 消去 request filed in the
privacy center, decided, carried out and answered leaves nothing that identifies the person in the
database file (after VACUUM / VACUUM FULL), while `hogo ledger verify` passes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from hogo.domain.consent import SubjectPatch
from hogo.domain.rights.kinds import (
    RequestChannel,
    RequestClaim,
    RequestKind,
    RequestOutcome,
    VerificationLevel,
)
from hogo.domain.rights.request import Decision, Details
from hogo.services import ledger
from hogo.services import rights_requests as svc
from hogo.services.consent import record_events
from hogo.services.subjects import patch_subjects
from hogo.store.database import read_scope, write_scope
from tests.factories import at, event
from tests.store.test_shredding import _database_bytes

SUBJECT, EMAIL, PHONE = "MEMBER-ZQX-7731", "zqx7731@example.jp", "090-7731-4455"
GUARDIAN, EVIDENCE, WORDS = "保護者七七三一", "申込書ZQX7731控え", "ZQX7731の退会に伴い消去を求めます"


def test_an_erasure_request_leaves_no_trace_of_the_person_in_the_database(
    seeded: Engine, tmp_path: Path
) -> None:
    with write_scope(seeded) as s:
        patch_subjects(
            s, [SubjectPatch(subject_id=SUBJECT, birth_date=date(1990, 7, 31), email=EMAIL, phone=PHONE)]
        )
        record_events(
            s,
            [event(SUBJECT, purpose="profiling", when="2023-03-03T10:00", event_id="zqx-1",
                   evidence=EVIDENCE, guardian_name=GUARDIAN, guardian_relation="母")],
        )  # fmt: skip
    values = (SUBJECT, EMAIL, PHONE, GUARDIAN, EVIDENCE, WORDS)
    before = _database_bytes(seeded, tmp_path)
    assert all(v.encode() in before for v in values[:5])  # the scan sees them while they are there
    t0 = at("2026-11-02T10:00")
    with write_scope(seeded) as s:
        view = svc.file_request(
            s, SUBJECT, RequestKind.erasure, Details(claim=RequestClaim.not_needed, text=WORDS),
            VerificationLevel.signed_link, RequestChannel.privacy_center, received_at=t0,
        )  # fmt: skip
        svc.decide_request(
            s, view.request_id, Decision(outcome=RequestOutcome.allowed), at=t0 + timedelta(days=1)
        )
        svc.carry_out(s, view.request_id, at=t0 + timedelta(days=2))
        answered = svc.answer(s, view.request_id, at=t0 + timedelta(days=3))
    assert answered.subject_id is None
    after = _database_bytes(seeded, tmp_path)
    assert [v for v in values if v.encode() in after] == []
    with read_scope(seeded) as s:
        assert ledger.verdict(*ledger.verify_all(s)).ok
