"""Property tests: the 規則7条 rules hold for every combination of facts."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain.clock import JST
from hogo.domain.incidents.deadlines import DeadlineSettings
from hogo.domain.incidents.facts import Facts, InvolvedCategory
from hogo.domain.incidents.reportability import PERSONS_THRESHOLD, assess_reportability
from hogo.domain.incidents.types import INCIDENT_TYPES, IncidentType
from hogo.domain.inventory import Encryption
from hogo.domain.policy import AppiClass

categories = st.lists(
    st.builds(
        InvolvedCategory, id=st.sampled_from(["a", "b", "c", "d"]), appi_class=st.sampled_from(AppiClass)
    ),
    max_size=4,
    unique_by=lambda c: c.id,
).map(tuple)

fact_sets = st.builds(
    Facts,
    data_categories=categories,
    persons=st.integers(0, 5000),
    card_or_login=st.booleans(),
    improper_purpose=st.none() | st.booleans(),
    about_to_be_acquired=st.none() | st.booleans(),
    encryption=st.sampled_from(Encryption),
    key_leaked=st.booleans(),
    outsourcee_client=st.sampled_from(["", "委託元"]),
    client_informed_at=st.none() | st.just(datetime(2026, 1, 2, tzinfo=JST)),
)
aware_times = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(JST)
)
SETTINGS = DeadlineSettings()


@settings(deadline=None)
@given(st.sampled_from(IncidentType), fact_sets, aware_times)
def test_items_follow_the_facts(kind: IncidentType, f: Facts, aware: datetime) -> None:
    a = assess_reportability(kind, f, aware, SETTINGS)
    items = set(a.triggers) | set(a.excluded_triggers)
    assert (1 in items) == any(c.appi_class is AppiClass.sensitive for c in f.data_categories)
    assert (2 in items) == f.card_or_login
    improper = (
        f.improper_purpose
        if f.improper_purpose is not None
        else INCIDENT_TYPES[kind].presumes_improper_purpose
    )
    assert (3 in items) == improper
    assert (4 in items) == (f.persons > PERSONS_THRESHOLD)
    assert list(a.triggers) == sorted(a.triggers)


@settings(deadline=None)
@given(st.sampled_from(IncidentType), fact_sets, aware_times)
def test_advanced_encryption_excludes_unless_the_key_leaked(
    kind: IncidentType, f: Facts, aware: datetime
) -> None:
    a = assess_reportability(kind, f, aware, SETTINGS)
    if f.encryption is Encryption.advanced and not f.key_leaked:
        assert a.triggers == () and not a.reportable
    else:
        assert a.excluded_triggers == ()


@settings(deadline=None)
@given(st.sampled_from(IncidentType), fact_sets, aware_times)
def test_reportable_exactly_when_an_item_applies_and_no_exemption(
    kind: IncidentType, f: Facts, aware: datetime
) -> None:
    a = assess_reportability(kind, f, aware, SETTINGS)
    exempt = bool(f.outsourcee_client) and f.client_informed_at is not None
    assert a.reportable == (bool(a.triggers) and not exempt)
    assert a.notify_persons == a.reportable
    assert (a.deadlines is not None) == a.reportable
    assert a.reasons, "every assessment gives at least one reason"
    if a.deadlines is not None:
        assert a.deadlines.final_days == (60 if 3 in a.triggers else 30)
        assert a.deadlines.final_period_end - aware.date() == timedelta(days=a.deadlines.final_days)
        assert a.deadlines.final_period_end <= a.deadlines.final  # moved past 行政機関の休日 only
        assert a.deadlines.preliminary <= a.deadlines.preliminary_overdue_after < a.deadlines.final


@settings(deadline=None)
@given(st.sampled_from(IncidentType), fact_sets, aware_times)
def test_one_person_is_enough_for_items_1_to_3(kind: IncidentType, f: Facts, aware: datetime) -> None:
    one = f.model_copy(update={"persons": 1})
    a = assess_reportability(kind, one, aware, SETTINGS)
    assert 4 not in a.triggers
    b = assess_reportability(kind, f, aware, SETTINGS)
    assert set(b.triggers) - {4} == set(a.triggers)
