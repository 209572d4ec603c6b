"""What the privacy center offers a person keeps its promise, over many generated histories: a
withdrawal or objection it offers stops the use it is offered for, a grant it offers (by an
identified adult, with the 法28条 information where it was shown) makes it allowed, and GPC keeps
consent to advertising or sale off the menu."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain.consent import ConsentAction, ConsentEvent, Subject, SubjectHistory
from hogo.domain.decision import assess_purpose, decide
from hogo.services.capture import GPC_KINDS
from hogo.services.notice import terms_version_in_force
from hogo.services.privacy_center import offered_actions
from tests.domain.test_decision_properties import PURPOSES, events, instants
from tests.factories import policy

P = policy()
ALL = [p.id for p in P.purposes]


@settings(max_examples=300, deadline=None)
@given(
    past=st.lists(events(), max_size=8),
    now=instants,
    purpose=st.sampled_from(ALL),
    gpc=st.booleans(),
)
def test_an_offered_choice_does_what_it_says(
    past: list[ConsentEvent], now: datetime, purpose: str, gpc: bool
) -> None:
    subject = Subject(subject_id="S1", birth_date=None, identity_verified=True)
    earlier = [e for e in past if e.collected_at < now]
    history = SubjectHistory(subject=subject, events=tuple(sorted(earlier, key=lambda e: e.order_key())))
    decision = decide(P, history, purpose, now)
    latest = next((e for e in reversed(history.events) if e.purpose_id == purpose), None)
    offered = offered_actions(P, decision, latest, now, gpc)
    kind = P.purpose(purpose)
    assert kind is not None
    if gpc and kind.kind in GPC_KINDS:
        assert ConsentAction.grant not in offered
    assert (ConsentAction.withdraw in offered) == (
        decision.basis is not None and decision.basis.value == "consent"
    )
    later = now + timedelta(minutes=1)
    for action in offered:
        grant = action is ConsentAction.grant
        foreign = assess_purpose(P, purpose, later).foreign_consent_needed
        choice = ConsentEvent(
            event_id=f"pc-{action.value}",
            subject_id="S1",
            purpose_id=purpose,
            action=action,
            collected_at=later,
            terms_version=terms_version_in_force(P, purpose, later) if grant else None,
            foreign_transfer_info_given=grant and foreign,
        )
        after = decide(P, history.model_copy(update={"events": (*history.events, choice)}), purpose, later)
        if grant:
            assert after.allowed, (purpose, [r.code for r in after.reasons])
        else:
            assert not after.allowed, (purpose, action, [r.code for r in after.reasons])


def test_the_generated_purposes_cover_every_kind_of_offer() -> None:
    assert set(PURPOSES) <= set(ALL)
