"""Rights requests' state machine and deadlines, as properties over any sequence of steps."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain.clock import JST
from hogo.domain.rights import grounds as G
from hogo.domain.rights import request as rr
from hogo.domain.rights.answer import notice
from hogo.domain.rights.kinds import (
    ARTICLE_35,
    CLAIMS,
    RequestClaim,
    RequestKind,
    RequestOutcome,
    RequestState,
    VerificationLevel,
)

ORDER = list(RequestState)
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=JST)

kinds = st.sampled_from(list(RequestKind))
levels = st.sampled_from(list(VerificationLevel))
outcomes = st.sampled_from(list(RequestOutcome))
moments = st.integers(min_value=0, max_value=200 * 24).map(lambda h: T0 + timedelta(hours=h))


def _details(kind: RequestKind, claim_index: int) -> rr.Details:
    if kind in ARTICLE_35:
        claims = sorted(CLAIMS[kind])
        return rr.Details(claim=claims[claim_index % len(claims)])
    if kind is RequestKind.correction:
        return rr.Details(corrections={rr.CorrectableField.email: "a@example.jp"})
    return rr.Details()


@st.composite
def requests(draw: st.DrawFn) -> rr.RightsRequest:
    kind = draw(kinds)
    details = _details(kind, draw(st.integers(0, 10)))
    days = draw(st.integers(1, 60))
    verification = draw(st.none() | levels)
    return rr.new_request(kind, details, draw(moments), days, verification)


def _decision(request: rr.RightsRequest, outcome: RequestOutcome, pick: int) -> rr.Decision:
    if outcome is RequestOutcome.allowed:
        return rr.Decision(outcome=outcome)
    fitting = G.grounds_for(request.kind, request.details.claim)
    return rr.Decision(outcome=outcome, grounds=(fitting[pick % len(fitting)].code,))


steps = st.lists(
    st.tuples(
        st.sampled_from(["verify", "decide", "carry", "answer", "extend"]),
        levels,
        outcomes,
        st.integers(0, 10),
        st.integers(1, 100),
    ),
    max_size=12,
)


def _apply(
    request: rr.RightsRequest, step: tuple[str, VerificationLevel, RequestOutcome, int, int]
) -> rr.RightsRequest:
    name, level, outcome, pick, hours = step
    at = request.received_at + timedelta(hours=hours)
    if name == "verify":
        return rr.verify(request, level, at)
    if name == "decide":
        return rr.decide_request(request, _decision(request, outcome, pick), at)
    if name == "carry":
        return rr.carry_out(request, at, {"n": pick})
    if name == "answer":
        return rr.answer(request, at)
    return rr.extend(request, request.deadline + timedelta(hours=hours), "調査のため", at)


@settings(max_examples=300, deadline=None)
@given(requests(), steps)
def test_a_case_only_moves_forward_and_keeps_its_record(request: rr.RightsRequest, sequence: list) -> None:  # type: ignore[type-arg]
    for step in sequence:
        before = request
        try:
            request = _apply(request, step)
        except rr.StepRefused as refused:
            assert refused.ja and refused.en and refused.field
            continue
        assert ORDER.index(request.state) >= ORDER.index(before.state)
        assert ORDER.index(request.state) - ORDER.index(before.state) <= 2  # refused: decided → answered
        assert before.state is not RequestState.answered  # nothing follows the answer
        assert request.deadline >= before.deadline
    beyond_received = request.state is not RequestState.received
    assert (request.verification is not None) == beyond_received == (request.verified_at is not None)
    if request.decision is not None:
        assert (request.decision.outcome is RequestOutcome.allowed) == (not request.decision.grounds)
        if request.decision.outcome is RequestOutcome.refused:
            assert request.carried_out_at is None and request.result == {}
    if request.state is RequestState.answered:
        assert request.answered_at is not None and not request.overdue(T0 + timedelta(days=10_000))
        answer = notice("RR-2026-0001", request)
        assert answer.outcome is request.decision.outcome  # type: ignore[union-attr]
        assert answer.notice_article.endswith("法36条") == (answer.outcome is not RequestOutcome.allowed)


@given(moments, st.integers(1, 90), st.integers(-10_000, 10_000))
def test_the_deadline_is_the_policy_days_and_overdue_means_past_it(
    received: datetime, days: int, minutes: int
) -> None:
    request = rr.new_request(RequestKind.disclosure, rr.Details(), received, days)
    assert request.deadline == received + timedelta(days=days)
    now = request.deadline + timedelta(minutes=minutes)
    assert request.overdue(now) == (minutes > 0)
    if request.overdue(now):
        assert request.days_left(now) <= 0
    if minutes < -24 * 60:
        assert request.days_left(now) >= 1


@given(requests(), st.integers(-100, 24 * 200), st.text(max_size=5))
def test_an_extension_only_moves_the_deadline_later_and_needs_a_reason(
    request: rr.RightsRequest, hours: int, reason: str
) -> None:
    until = request.deadline + timedelta(hours=hours)
    try:
        extended = rr.extend(request, until, reason, request.received_at)
    except rr.StepRefused as refused:
        assert (
            hours <= 0
            or not reason.strip()
            or until > request.received_at + timedelta(days=rr.MAX_EXTENSION_DAYS)
        ), refused.en
        return
    assert extended.deadline == until > request.deadline and extended.extensions[-1].reason == reason.strip()


def test_every_kind_and_claim_has_grounds_that_cite_the_act() -> None:
    for kind in RequestKind:
        claims = sorted(CLAIMS[kind]) if kind in ARTICLE_35 else [None]
        for claim in claims:
            found = G.grounds_for(kind, claim)
            assert found and all(g.article.startswith("法3") and g.code.startswith("RIGHTS_") for g in found)
    assert G.grounds_for(RequestKind.stop_provision, RequestClaim.provision_breach)[0].article == "法35条4項"
    assert G.grounds_for(RequestKind.erasure, RequestClaim.improper_use)[1].article == "法35条2項ただし書"
    assert [g.article for g in G.grounds_for(RequestKind.disclosure, None)[:3]] == [
        "法33条2項1号",
        "法33条2項2号",
        "法33条2項3号",
    ]


def test_details_must_fit_the_kind() -> None:
    with pytest.raises(rr.StepRefused) as err:
        rr.new_request(RequestKind.erasure, rr.Details(), T0)
    assert err.value.field == "claim"
    with pytest.raises(rr.StepRefused):
        rr.new_request(RequestKind.stop_use, rr.Details(claim=RequestClaim.provision_breach), T0)
    with pytest.raises(rr.StepRefused) as err:
        rr.new_request(RequestKind.correction, rr.Details(), T0)
    assert err.value.field == "corrections"
    with pytest.raises(rr.StepRefused) as err:
        rr.new_request(RequestKind.disclosure, rr.Details(purposes=("ads",)), T0)
    assert err.value.field == "purposes"


@given(requests(), outcomes, st.integers(0, 10), st.sampled_from(["fields", "purposes", "withhold"]))
def test_only_a_partial_refusal_narrows_and_only_within_the_kind(
    request: rr.RightsRequest, outcome: RequestOutcome, pick: int, what: str
) -> None:
    if request.state is RequestState.received:
        request = rr.verify(request, VerificationLevel.officer_check, request.received_at)
    request = rr.decide_request(request, _decision(request, outcome, pick), request.received_at)
    values = {
        "fields": {"fields": tuple(request.details.corrections) or (rr.CorrectableField.email,)},
        "purposes": {"purposes": ("ads",)},
        "withhold": {"withhold": (rr.DisclosureSection.decisions,)},
    }[what]
    fits = {
        "fields": request.kind is RequestKind.correction,
        "purposes": request.kind in (RequestKind.stop_use, RequestKind.stop_provision),
        "withhold": request.kind is RequestKind.disclosure,
    }[what]
    partial = rr.Partial.model_validate(values)
    try:
        rr.check_partial(request, partial)
    except rr.StepRefused as refused:
        assert outcome is not RequestOutcome.partly or not fits, refused.en
        return
    assert outcome is RequestOutcome.partly and fits
    rr.check_partial(request, rr.Partial())  # doing everything asked always fits
