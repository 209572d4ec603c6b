"""Properties of the decision engine over many generated histories."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain.clock import JST
from hogo.domain.consent import ConsentAction, ConsentEvent, Subject, SubjectHistory
from hogo.domain.decision import assess_purpose, decide
from tests.factories import policy

P = policy()
PURPOSES = ["ad_partners", "profiling", "cookie_share", "service", "overseas", "health", "list_rental"]
START = datetime(2019, 1, 1, tzinfo=JST)

instants = st.integers(min_value=0, max_value=7 * 365 * 24).map(lambda h: START + timedelta(hours=h))


@st.composite
def events(draw: st.DrawFn, subject: str = "S1") -> ConsentEvent:
    action = draw(st.sampled_from(list(ConsentAction)))
    purpose = draw(st.sampled_from([*PURPOSES, "*"]))
    terms = draw(st.sampled_from([None, "2020-04", "2021-07", "1999-01"]))
    if purpose == "*" and action is ConsentAction.grant and terms is None:
        terms = "2020-04"
    return ConsentEvent(
        event_id=draw(st.uuids()).hex,
        subject_id=subject,
        purpose_id=purpose,
        action=action,
        collected_at=draw(instants),
        terms_version=terms,
        guardian_name=draw(st.sampled_from([None, "保護者"])),
        foreign_transfer_info_given=draw(st.booleans()),
    )


subjects = st.builds(
    Subject,
    subject_id=st.just("S1"),
    birth_date=st.one_of(st.none(), st.dates(min_value=date(1940, 1, 1), max_value=date(2020, 1, 1))),
    identity_verified=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(subjects, st.lists(events(), max_size=8), instants, st.sampled_from(PURPOSES))
def test_events_after_t_do_not_change_the_answer_at_t(
    subject: Subject, evs: list[ConsentEvent], t: datetime, purpose: str
) -> None:
    past = tuple(e for e in evs if e.collected_at <= t)
    with_future = decide(P, SubjectHistory(subject=subject, events=tuple(evs)), purpose, t)
    only_past = decide(P, SubjectHistory(subject=subject, events=past), purpose, t)
    assert with_future == only_past


@settings(max_examples=200, deadline=None)
@given(
    subjects,
    st.lists(events(), max_size=8),
    instants,
    st.sampled_from(["profiling", "ad_partners", "overseas"]),
)
def test_a_withdrawal_is_never_overridden_by_an_earlier_grant(
    subject: Subject, evs: list[ConsentEvent], t: datetime, purpose: str
) -> None:
    withdrawal = ConsentEvent(
        event_id="w", subject_id="S1", purpose_id=purpose, action=ConsentAction.withdraw, collected_at=t
    )
    earlier = tuple(e for e in evs if e.collected_at <= t)
    d = decide(
        P, SubjectHistory(subject=subject, events=(*earlier, withdrawal)), purpose, t + timedelta(days=1)
    )
    assert d.basis is None or d.basis.value not in ("consent", "opt_out")


@settings(max_examples=200, deadline=None)
@given(subjects, st.lists(events(), max_size=8), instants, st.sampled_from(PURPOSES))
def test_event_order_in_the_history_does_not_matter(
    subject: Subject, evs: list[ConsentEvent], t: datetime, purpose: str
) -> None:
    forward = decide(P, SubjectHistory(subject=subject, events=tuple(evs)), purpose, t)
    backward = decide(P, SubjectHistory(subject=subject, events=tuple(reversed(evs))), purpose, t)
    assert forward == backward


@settings(max_examples=100, deadline=None)
@given(subjects, st.lists(events(), max_size=6), instants)
def test_a_purpose_added_by_a_revision_is_never_covered_by_accepting_an_older_version(
    subject: Subject, evs: list[ConsentEvent], t: datetime
) -> None:
    """Only 2020-04 acceptances: cookie_share (added in 2021-07) never rests on consent."""
    old_only = tuple(
        e.model_copy(update={"purpose_id": "*", "action": ConsentAction.grant, "terms_version": "2020-04"})
        for e in evs
    )
    d = decide(P, SubjectHistory(subject=subject, events=old_only), "cookie_share", t)
    assert not d.allowed


REVIVING = policy(
    settings={"guardian_consent_below_age": 16, "blanket_acceptance_revives_specific_refusal": True}
)
REFUSALS = [ConsentAction.deny, ConsentAction.withdraw, ConsentAction.object]


@settings(max_examples=200, deadline=None)
@given(
    subjects,
    st.lists(events(), max_size=6),
    instants,
    st.sampled_from(["profiling", "ad_partners", "cookie_share"]),
    st.sampled_from(REFUSALS),
    st.integers(min_value=1, max_value=400),
)
def test_a_blanket_acceptance_never_revives_a_specific_refusal_by_default(
    subject: Subject, evs: list[ConsentEvent], t: datetime, purpose: str, refusal: ConsentAction, later: int
) -> None:
    """Issue 17 item 13: refuse purpose P, later accept the terms as a whole: P stays refused
    (by consent or opt-out) unless the setting says otherwise; the reason says so either way."""
    refused = ConsentEvent(event_id="r", subject_id="S1", purpose_id=purpose, action=refusal, collected_at=t)
    blanket = ConsentEvent(
        event_id="b",
        subject_id="S1",
        purpose_id="*",
        action=ConsentAction.grant,
        terms_version="2021-07",
        collected_at=t + timedelta(days=later),
    )
    before = tuple(e for e in evs if e.collected_at < t)
    history = SubjectHistory(subject=subject, events=(*before, refused, blanket))
    when = t + timedelta(days=later + 1)
    d = decide(P, history, purpose, when)
    codes = {r.code for r in d.reasons}
    assert d.basis is None or d.basis.value not in ("consent", "opt_out")
    if assess_purpose(P, purpose, when).unnotified:  # not yet in force: no person's history is looked at
        return
    assert "BLANKET_ACCEPTANCE_DOES_NOT_REVIVE" in codes
    revived = decide(REVIVING, history, purpose, when)
    assert "BLANKET_ACCEPTANCE_REVIVES" in {r.code for r in revived.reasons}
    # With the setting, the answer is the one the history without the refusal would give.
    without = decide(REVIVING, SubjectHistory(subject=subject, events=(*before, blanket)), purpose, when)
    assert (revived.allowed, revived.basis) == (without.allowed, without.basis)
    # A purpose-specific grant after the refusal revives it whatever the setting.
    grant = refused.model_copy(
        update={"event_id": "g", "action": ConsentAction.grant, "terms_version": "2021-07",
                "collected_at": t + timedelta(hours=1)}
    )  # fmt: skip
    regranted = SubjectHistory(subject=subject, events=(*before, refused, grant, blanket))
    assert decide(P, regranted, purpose, when) == decide(REVIVING, regranted, purpose, when)
