"""Each metric against hand-counted data."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coresponse.agencies.models import Agency, Program
from coresponse.care.models import FollowUp, Referral
from coresponse.dispatch.models import Call
from coresponse.field.models import Encounter
from coresponse.insights.metrics import Period, compute, percentile
from coresponse.people.models import IdentityLink, Person

TZ = ZoneInfo("America/Denver")
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=TZ)
MIN = timedelta(minutes=1)


@pytest.fixture
def data(db):
    agency = Agency.objects.create(external_id="bhc", name="BHC", kind="behavioral_health")
    police = Agency.objects.create(external_id="pd", name="PD", kind="law_enforcement")
    program = Program.objects.create(external_id="p", name="P", model="ride_along")
    ann = Person.objects.create(external_id="a", agency=agency, first_name="Ann")
    ann_pd = Person.objects.create(external_id="a2", agency=police, first_name="Anne")
    bob = Person.objects.create(external_id="b", agency=agency, first_name="Bob")
    IdentityLink.objects.create(person_a=ann, person_b=ann_pd, score=0.97)

    def encounter(n, person, offset_days, response_min, **flags):
        call = Call.objects.create(
            external_id=f"c{n}",
            received_at=T0 + timedelta(days=offset_days),
            source="911",
            call_type="MENTAL",
            program=program,
        )
        on_scene = call.received_at + response_min * MIN
        return Encounter.objects.create(
            external_id=f"e{n}",
            call=call,
            person=person,
            program=program,
            kind="crisis",
            dispatched_at=call.received_at + MIN,
            on_scene_at=on_scene,
            cleared_at=on_scene + 40 * MIN,
            **flags,
        )

    e1 = encounter(1, ann, 0, 10, services=["assessment"], disposition="resolved_on_scene")
    encounter(
        2,
        ann_pd,
        10,
        20,
        services=["assessment"],
        officer_cleared_at=T0 + 10 * 24 * 60 * MIN + 30 * MIN,
    )
    e3 = encounter(3, bob, 20, 30, arrest=True, jail_booking=True, arrest_eligible=True)
    e4 = encounter(4, bob, 60, 40, er_transport=True, arrest_eligible=True)
    Referral.objects.create(
        external_id="r1",
        encounter=e4,
        person=bob,
        service_type="detox",
        provider="X",
        sent_at=e4.cleared_at,
        status="completed",
        closed_at=e4.cleared_at + 3 * 24 * 60 * MIN,
    )
    Referral.objects.create(
        external_id="r2",
        encounter=e4,
        person=bob,
        service_type="shelter",
        provider="Y",
        sent_at=e4.cleared_at,
    )
    FollowUp.objects.create(
        external_id="f1",
        encounter=e1,
        person=ann,
        due_at=e1.cleared_at,
        completed_at=e1.cleared_at,
        outcome="connected",
    )
    FollowUp.objects.create(
        external_id="f2",
        encounter=e3,
        person=bob,
        due_at=e3.cleared_at,
        completed_at=e3.cleared_at,
        outcome="unable_to_reach",
    )
    FollowUp.objects.create(external_id="f3", encounter=e3, person=bob, due_at=e3.cleared_at)
    Call.objects.create(external_id="c-other", received_at=T0, source="988", call_type="X")
    # Outside the period: ignored by everything.
    encounter(9, bob, 400, 5, arrest=True)
    return program


def test_catalogue_values(data):
    m = compute(Period(T0 - timedelta(days=1), T0 + timedelta(days=365)))
    assert m["calls_received"].value == 5
    assert m["responses"].value == 4
    assert m["persons_served"].value == 2  # Ann's two agency records are one human
    assert m["response_time_median_min"].value == 25
    assert m["response_time_p90_min"].value == 40
    assert m["time_on_scene_median_min"].value == 40
    assert (m["arrest_avoided_rate"].numerator, m["arrest_avoided_rate"].denominator) == (3, 4)
    assert m["arrests"].value == 1
    assert m["resolved_on_scene_rate"].value == 0.25
    assert m["service_rate"].value == 0.5
    assert m["er_transport_rate"].value == 0.25
    assert m["hospital_diversion_rate"].value == 0.75
    assert m["no_er_no_jail_rate"].value == 0.5
    # Two arrest-eligible encounters; e4 ended without arrest and with (two) referrals.
    assert (m["diversion_rate"].numerator, m["diversion_rate"].denominator) == (1, 2)
    assert m["officer_early_return_rate"].value == 0.25
    # e2: the officer left 30 minutes after the call came in, the team 60 minutes after.
    assert m["officer_hours_saved"].value == pytest.approx(0.5)
    assert (m["followup_connection_rate"].numerator, m["followup_connection_rate"].denominator) == (
        1,
        2,
    )
    assert m["referral_completion_rate"].value == 0.5
    # Ann: day 0 -> day 10 (linked records are different person ids: not a repeat of one
    # record); Bob: day 20 -> day 60 is beyond 30 days.
    assert m["repeat_crisis_30d_rate"].value == 0


def test_empty_denominators_are_none_not_zero(db):
    m = compute(Period(T0, T0 + timedelta(days=1)))
    assert m["responses"].value == 0
    assert m["arrest_avoided_rate"].value is None
    assert m["response_time_median_min"].value is None


def test_percentile_nearest_rank():
    assert percentile([], 0.9) is None
    assert percentile([5], 0.9) == 5
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 11)), 0.5) == 5
