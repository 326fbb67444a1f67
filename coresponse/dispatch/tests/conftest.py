from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coresponse.agencies.models import Agency, Membership, Program, Role, Team, User
from coresponse.dispatch.models import Assignment, Call

TZ = ZoneInfo("America/Denver")
LAST = datetime(2026, 10, 31, 16, 0, tzinfo=TZ)


@pytest.fixture
def county(db):
    psap = Agency.objects.create(external_id="cedar-911", name="Cedar 911", kind="psap")
    pd = Agency.objects.create(
        external_id="riverton-pd", name="Riverton PD", kind="law_enforcement"
    )
    bhc = Agency.objects.create(external_id="cedar-bhc", name="Cedar BHC", kind="behavioral_health")
    ems = Agency.objects.create(external_id="cedar-ems", name="Cedar EMS", kind="ems")
    ride = Program.objects.create(external_id="ride", name="Ride-along", model="ride_along")
    ride.agencies.set([pd, bhc])
    scrt = Program.objects.create(external_id="scrt", name="Street team", model="three_person_team")
    scrt.agencies.set([ems, bhc])
    team = Team.objects.create(name="Unit 1", program=ride, kind="ride_along_pair")
    users = {}
    for name, agency, role in (
        ("dispatcher", psap, Role.DISPATCHER),
        ("officer", pd, Role.OFFICER),
        ("paramedic", ems, Role.PARAMEDIC),
        ("clinician", bhc, Role.CLINICIAN),
    ):
        users[name] = User.objects.create(username=name)
        Membership.objects.create(user=users[name], agency=agency, role=role)
    calls = {
        "ride": Call.objects.create(
            external_id="C-100",
            received_at=LAST,
            source="911",
            call_type="Welfare check",
            priority=2,
            address="12 Elm St",
            program=ride,
        ),
        "scrt": Call.objects.create(
            external_id="C-200",
            received_at=LAST - timedelta(hours=2),
            source="988",
            call_type="Suicidal subject",
            priority=1,
            address="40 Oak Ave",
            program=scrt,
        ),
        "none": Call.objects.create(
            external_id="C-300",
            received_at=LAST - timedelta(days=3),
            source="non_emergency",
            call_type="Noise",
            priority=4,
        ),
    }
    Assignment.objects.create(
        call=calls["ride"], team=team, dispatched_at=LAST + timedelta(minutes=2)
    )
    return {"users": users, "calls": calls, "programs": {"ride": ride, "scrt": scrt}, "team": team}
