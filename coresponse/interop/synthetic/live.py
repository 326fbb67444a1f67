"""The demo's live half hour: a few calls received in the last thirty minutes (relative to the
clock) on top of the seeded history, so that the dispatch board is alive when a dispatcher signs
in (`coresponse seed --live`, which `make demo` runs).

- a priority-1 suicide threat waiting for a team;
- a caller who wants someone to talk to: a 988 hand-off candidate, waiting;
- a frequent caller's low-priority disturbance, waiting;
- a mental-health crisis with a team on scene (an on-call team's clinician paged and answered).

Deterministic apart from the clock: the same calls, the team picked by a fixed order among those
on duty now. Seeding again moves the calls to the new "now" and resets what happened to them
(teams, pages, hand-offs), so it adds nothing. The calls are triaged like any new call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from coresponse.agencies.models import Program, Role, ShiftMode, Team, TeamKind
from coresponse.dispatch.models import Assignment, AssignmentStatus, Call, PageOut
from coresponse.dispatch.selectors import teams_on_duty
from coresponse.dispatch.services.triage import triage_calls

from .cedar import ON_CALL, RIDE_ALONG, ZONE
from .roster import DEMO_USERS

PREFIX = "LIVE-"


@dataclass(frozen=True)
class LiveCall:
    key: str
    minutes_ago: int
    source: str
    call_type: str
    priority: int
    address: str
    district: str
    narrative: str
    caller_name: str
    caller_phone: str
    frequent_caller: bool
    program: str | None  # "day" picks the co-responder program in service now; None: no program
    on_scene: bool = False


CALLS = (
    LiveCall(
        "1", 3, "911", "Suicide threat", 1, "1418 W Mulberry St, Riverton, CO 80521",
        "Riverton West",
        "Caller says her brother sent goodbye texts to the family tonight and is alone in his "
        "apartment. He has talked about ending his life before. No weapon mentioned.",
        "Dana Whitaker", "9705550187", False, "day",
    ),
    LiveCall(
        "2", 9, "non_emergency", "Welfare check", 4, "733 Cherry St, Riverton, CO 80521",
        "Old Town",
        "Older man calling for himself: lonely since his wife died last month and wants someone "
        "to talk to. Safe at home, nobody else involved.",
        "Walter Brandt", "9705550142", False, None,
    ),
    LiveCall(
        "3", 26, "911", "Mental health crisis", 2, "200 N College Ave, Riverton, CO 80524",
        "Old Town",
        "Man in his thirties pacing in the street, shouting at people who are not there. Not "
        "aggressive toward passers-by. Known to the co-responder unit.",
        "", "9705550119", False, "day", on_scene=True,
    ),
    LiveCall(
        "4", 6, "911", "Disturbance", 4, "512 Laporte Ave, Riverton, CO 80521", "Old Town",
        "Neighbour calling again about a man yelling in the hallway of the building; she says "
        "he is not threatening anyone.",
        "Irene Koval", "9705550166", True, "day",
    ),
)  # fmt: skip


def _program_now(now: datetime) -> str:
    """The ride-along unit in its hours (11:00-23:00), else the on-call clinician."""
    hour = timezone.localtime(now, ZONE).hour
    return RIDE_ALONG if 11 <= hour < 23 else ON_CALL


def build(now: datetime | None = None) -> list[Call]:
    """Create or refresh the live calls; returns them, oldest first."""
    now = now or timezone.now()
    programs = {
        p.external_id: p for p in Program.objects.filter(external_id__in=[RIDE_ALONG, ON_CALL])
    }
    day = programs.get(_program_now(now))
    with transaction.atomic():
        calls = []
        for spec in sorted(CALLS, key=lambda c: -c.minutes_ago):
            call, _ = Call.objects.update_or_create(
                external_id=PREFIX + spec.key,
                defaults={
                    "received_at": now - timedelta(minutes=spec.minutes_ago),
                    "source": spec.source,
                    "call_type": spec.call_type,
                    "priority": spec.priority,
                    "address": spec.address,
                    "district": spec.district,
                    "narrative": spec.narrative,
                    "caller_name": spec.caller_name,
                    "caller_phone": spec.caller_phone,
                    "frequent_caller": spec.frequent_caller,
                    "program": day if spec.program == "day" else None,
                },
            )
            calls.append((spec, call))
        # What happened to them last time is history of another "now": start again.
        ids = [call.pk for _, call in calls]
        Assignment.objects.filter(call_id__in=ids).delete()
        for _, call in calls:
            call.handoffs.all().delete()
        triage_calls([call for _, call in calls])
        for spec, call in calls:
            if spec.on_scene:
                _on_scene(call, now - timedelta(minutes=spec.minutes_ago), now)
    return [call for _, call in calls]


def _on_scene(call: Call, received: datetime, now: datetime) -> Assignment | None:
    """Send the best team on duty now to the call and put it on scene: a team someone trying
    the demo can sign in as first (so the field app has a call to show), then the call's
    program's own team, a team on duty before one on call (keep the on-call clinicians free)."""
    teams = [t for t in teams_on_duty(now) if t.is_available]
    if not teams:
        return None
    demo = {username for username, *_ in DEMO_USERS}
    demo_teams = set(Team.objects.filter(members__username__in=demo).values_list("pk", flat=True))
    teams.sort(
        key=lambda t: (
            t.team.pk not in demo_teams,
            t.team.program_id != call.program_id,
            t.on_call,
            t.team.kind == TeamKind.THREE_PERSON,  # the civilian team stays for low-risk calls
            t.team.name,
        )
    )
    choice = teams[0]
    dispatched = received + timedelta(minutes=2)
    assignment = Assignment.objects.create(
        call=call,
        team=choice.team,
        status=AssignmentStatus.ON_SCENE,
        dispatched_at=dispatched,
        en_route_at=dispatched + timedelta(minutes=1),
        on_scene_at=min(now, dispatched + timedelta(minutes=11)),
    )
    if choice.shift is not None and choice.shift.mode == ShiftMode.ON_CALL:
        for member in choice.team.members.all():
            if any(m.role == Role.CLINICIAN for m in member.memberships.all()):
                PageOut.objects.create(
                    assignment=assignment,
                    user=member,
                    paged_at=dispatched,
                    acknowledged_at=dispatched + timedelta(minutes=2),
                )
    return assignment
