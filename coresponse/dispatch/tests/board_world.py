"""A small live county for the board's tests: teams of every kind on shift around the clock's
"now", users of every role at several agencies, and calls received minutes ago with their triage.

Built with the ORM and the dispatch layer only (dispatch tests may not import higher layers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from coresponse.agencies.models import (
    Agency,
    AgencyKind,
    Membership,
    Program,
    ProgramModel,
    Role,
    Shift,
    ShiftMode,
    Team,
    TeamKind,
    User,
)
from coresponse.dispatch.models import Call, CallSource, Recommendation, TriageResult
from coresponse.dispatch.services.triage import reason_ids
from coresponse.dispatch.triage.engine import Decision

AGENCIES = (
    ("psap", "Cedar 911", AgencyKind.PSAP),
    ("pd", "Riverton PD", AgencyKind.LAW_ENFORCEMENT),
    ("so", "Cedar Sheriff", AgencyKind.LAW_ENFORCEMENT),
    ("bhc", "Cedar BHC", AgencyKind.BEHAVIORAL_HEALTH),
    ("ems", "Cedar EMS", AgencyKind.EMS),
    ("988", "Cedar 988", AgencyKind.CRISIS_LINE_988),
)
PROGRAMS = (
    ("ride", "Ride-along", ProgramModel.RIDE_ALONG, ("pd", "bhc")),
    ("oncall", "On-call", ProgramModel.ON_CALL, ("so", "bhc")),
    ("scrt", "Street team", ProgramModel.THREE_PERSON_TEAM, ("ems", "bhc")),
)
# username: (role, agency, first name, last name)
USERS = {
    "dispatcher": (Role.DISPATCHER, "psap", "Dana", "Reyes"),
    "sup_pd": (Role.SUPERVISOR, "pd", "Grace", "Lind"),
    "sup_bhc": (Role.SUPERVISOR, "bhc", "Hal", "Moss"),
    "manager": (Role.PROGRAM_MANAGER, "bhc", "Noah", "Cast"),
    "officer": (Role.OFFICER, "pd", "Marcus", "Hale"),
    "deputy": (Role.OFFICER, "so", "Tess", "Okafor"),
    "clinician": (Role.CLINICIAN, "bhc", "Priya", "Natarajan"),
    "oncall": (Role.CLINICIAN, "bhc", "Luis", "Salazar"),
    "paramedic": (Role.PARAMEDIC, "ems", "Tom", "Herrera"),
    "peer": (Role.PEER_SPECIALIST, "bhc", "Jo", "Tsosie"),
    "casemanager": (Role.CASE_MANAGER, "bhc", "Aisha", "Cole"),
    "auditor": (Role.AUDITOR, "bhc", "Owen", "Marsh"),
    "line": (Role.CLINICIAN, "988", "Rita", "Lane"),
}
# team key: (name, program, kind, members, shift mode or None for off duty)
TEAMS = {
    "unit": ("Unit 1", "ride", TeamKind.RIDE_ALONG_PAIR, ("officer", "clinician"), "on_duty"),
    "oncall": ("On-Call", "oncall", TeamKind.ON_CALL_CLINICIAN, ("oncall",), "on_call"),
    "scrt": (
        "SCRT 1",
        "scrt",
        TeamKind.THREE_PERSON,
        ("paramedic", "peer", "clinician"),
        "on_duty",
    ),
    "night": ("Unit 2", "ride", TeamKind.RIDE_ALONG_PAIR, ("deputy",), None),
}


@dataclass
class BoardWorld:
    now: datetime
    agencies: dict[str, Agency] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)


def triage(call: Call, recommendation: str, explanation: str = "") -> TriageResult:
    text = explanation or f"Recommended {Recommendation(recommendation).label}."
    (reason,) = reason_ids([Decision(recommendation, ("T1",), text)]).values()
    return TriageResult.objects.create(
        call=call, recommendation=recommendation, reason_id=reason, triaged_at=call.received_at
    )


def add_call(w: BoardWorld, key: str, minutes_ago: int, priority, program=None, **fields) -> Call:
    call = Call.objects.create(
        external_id=f"C-{key}",
        received_at=w.now - timedelta(minutes=minutes_ago),
        source=fields.pop("source", CallSource.E911),
        call_type=fields.pop("call_type", f"Call {key}"),
        priority=priority,
        address=fields.pop("address", f"{minutes_ago} Elm St"),
        program=w.programs[program] if program else None,
        **fields,
    )
    w.calls[key] = call
    return call


def build_board_world() -> BoardWorld:
    w = BoardWorld(now=timezone.now())
    for key, name, kind in AGENCIES:
        w.agencies[key] = Agency.objects.create(external_id=key, name=name, kind=kind)
    for key, name, model, partners in PROGRAMS:
        program = Program.objects.create(external_id=key, name=name, model=model)
        program.agencies.set([w.agencies[a] for a in partners])
        w.programs[key] = program
    for username, (role, agency, first, last) in USERS.items():
        user = User.objects.create(username=username, first_name=first, last_name=last)
        Membership.objects.create(user=user, agency=w.agencies[agency], role=role)
        w.users[username] = user
    for key, (name, program, kind, members, mode) in TEAMS.items():
        team = Team.objects.create(name=name, program=w.programs[program], kind=kind)
        team.members.set([w.users[m] for m in members])
        if mode:
            Shift.objects.create(
                team=team,
                mode=ShiftMode(mode),
                starts_at=w.now - timedelta(hours=4),
                ends_at=w.now + timedelta(hours=6),
            )
        else:  # on later tonight
            Shift.objects.create(
                team=team,
                starts_at=w.now + timedelta(hours=3),
                ends_at=w.now + timedelta(hours=13),
            )
        w.teams[key] = team
    triage(add_call(w, "suicide", 4, 1, "ride", call_type="Suicide threat"), "co_responder")
    triage(add_call(w, "welfare", 12, 3, "scrt", call_type="Welfare check"), "civilian_team")
    triage(add_call(w, "weapon", 2, 2, "ride", call_type="Man with a knife"), "police_only")
    triage(
        add_call(w, "lonely", 8, 4, None, call_type="Caller wants to talk", source="988"),
        "988_transfer",
    )
    add_call(w, "untriaged", 1, None, None, call_type="Unknown problem", frequent_caller=True)
    return w
