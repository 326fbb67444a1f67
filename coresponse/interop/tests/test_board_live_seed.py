"""The demo's live half hour (`coresponse seed --live`): teams on duty at every hour, a few calls
of the last thirty minutes on the board, one team on scene; seeding again adds nothing."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from coresponse.agencies.models import Agency, User
from coresponse.dispatch import selectors
from coresponse.dispatch.models import Assignment, Call, Handoff, PageOut, TriageResult
from coresponse.dispatch.services import board as service
from coresponse.interop.synthetic import live, roster
from coresponse.interop.synthetic.cedar import ON_CALL, RIDE_ALONG, ZONE

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def county(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    roster.build()


def today_at(hour: int) -> datetime:
    return datetime.combine(timezone.localdate(), time(hour), ZONE)


def test_at_every_hour_at_least_two_teams_are_on_duty(county):
    for hour in range(24):
        on = [t for t in selectors.teams_on_duty(today_at(hour)) if t.status != "off_duty"]
        assert len(on) >= 2, f"{hour:02}:00 {[t.team.name for t in on]}"


@pytest.mark.parametrize(("hour", "program", "team"), [(3, ON_CALL, "On-Call Clinician"),
                                                       (15, RIDE_ALONG, "Unit 1A")])  # fmt: skip
def test_live_calls_put_the_board_to_work(county, hour, program, team):
    now = today_at(hour)
    calls = {c.external_id: c for c in live.build(now=now)}
    assert list(calls) == ["LIVE-3", "LIVE-2", "LIVE-4", "LIVE-1"]  # oldest first
    assert all(now - timedelta(minutes=30) <= c.received_at <= now for c in calls.values())
    assert calls["LIVE-1"].program.external_id == program
    assert TriageResult.objects.filter(call__in=calls.values()).count() == 4

    dispatcher = User.objects.get(username="dispatcher")
    waiting = list(selectors.waiting_calls(dispatcher, selectors.AsOf(now, False)))
    assert [c.external_id for c in waiting] == ["LIVE-1", "LIVE-2", "LIVE-4"]
    first = waiting[0]
    assert (first.priority, first.call_type) == (1, "Suicide threat")
    assert first.triage.recommendation == "co_responder"
    assert calls["LIVE-2"].triage.recommendation == "988_transfer"  # a hand-off candidate
    assert calls["LIVE-4"].frequent_caller

    on_scene = Assignment.objects.get(call=calls["LIVE-3"])
    assert (on_scene.team.name, on_scene.status) == (team, "on_scene")
    assert on_scene.dispatched_at < on_scene.on_scene_at <= now
    # Someone trying the field app as the demo clinician finds the call, day or night.
    assert on_scene.team.members.filter(username="clinician").exists()
    pages = PageOut.objects.filter(assignment=on_scene)
    assert all(p.acknowledged_at for p in pages)
    assert pages.exists() == (program == ON_CALL)  # the on-call clinicians were paged
    # ... and another team is free for the priority-1 call.
    teams = selectors.teams_on_duty(now)
    suggested, others = selectors.suggest_teams(first, teams)
    assert suggested or others


def test_seeding_again_moves_the_calls_to_now_and_adds_nothing(county):
    earlier = today_at(3)
    calls = live.build(now=earlier)
    first = next(c for c in calls if c.external_id == "LIVE-1")
    dispatcher = User.objects.get(username="dispatcher")
    team = next(t.team for t in selectors.teams_on_duty(earlier) if t.is_available)
    service.dispatch_team(first, team, user=dispatcher, at=earlier + timedelta(minutes=1))
    lonely = next(c for c in calls if c.external_id == "LIVE-2")
    service.offer_handoff(lonely, Agency.objects.get(external_id="cedar-988"), user=dispatcher)
    models = (Call, Assignment, PageOut, TriageResult, Handoff)
    later = today_at(15)
    live.build(now=later)
    counts = {m: m.objects.count() for m in models}
    live.build(now=later)
    assert {m: m.objects.count() for m in models} == counts
    assert not Handoff.objects.exists()  # what the demo user did is undone
    assert Assignment.objects.count() == 1  # only the team on scene
    first.refresh_from_db()
    assert first.received_at == later - timedelta(minutes=3)
