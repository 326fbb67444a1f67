"""A small county for tests, built with the ORM: agencies of every kind, three programs, persons
owned by several agencies, calls with team assignments, encounters with a note of every data
category, and one user per role. Unique marker strings in the notes let tests search the HTML.

Lives in `field` (it needs calls and encounters); `coresponse.web.tests.factories` adds the care
data (referrals, follow-ups, enrollments) on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password

from coresponse.agencies.models import (
    Agency,
    AgencyKind,
    Membership,
    Program,
    ProgramModel,
    Role,
    Team,
    TeamKind,
    User,
)
from coresponse.dispatch.models import Assignment, AssignmentStatus, Call, CallSource
from coresponse.field.models import Disposition, Encounter, EncounterKind, EncounterNote
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory

TZ = ZoneInfo("America/Denver")
# The synthetic county's data ends on a fixed date; tests use the same kind of snapshot.
LAST_DAY = datetime(2026, 10, 31, 16, 0, tzinfo=TZ)
MIN = timedelta(minutes=1)
PASSWORD = "coresponse-demo"

AGENCIES = (
    ("cedar-911", "Cedar Regional 911", AgencyKind.PSAP),
    ("riverton-pd", "Riverton Police Department", AgencyKind.LAW_ENFORCEMENT),
    ("cedar-so", "Cedar County Sheriff's Office", AgencyKind.LAW_ENFORCEMENT),
    ("cedar-bhc", "Cedar Behavioral Health Center", AgencyKind.BEHAVIORAL_HEALTH),
    ("cedar-ems", "Cedar County EMS", AgencyKind.EMS),
    ("cedar-fire", "Cedar Fire District", AgencyKind.FIRE),
    ("cedar-hospital", "Cedar General Hospital", AgencyKind.HOSPITAL),
    ("cedar-988", "Mountain 988 Lifeline", AgencyKind.CRISIS_LINE_988),
    ("cedar-peers", "Cedar Peer Network", AgencyKind.COMMUNITY_PROVIDER),
)
PROGRAMS = (
    ("ride-along", "Riverton Co-Responder", ProgramModel.RIDE_ALONG, ("riverton-pd", "cedar-bhc")),
    (
        "scrt",
        "Cedar Street Crisis Team",
        ProgramModel.THREE_PERSON_TEAM,
        ("cedar-ems", "cedar-bhc"),
    ),
    ("so-oncall", "Sheriff On-Call Clinician", ProgramModel.ON_CALL, ("cedar-so", "cedar-bhc")),
)
# username: (role, agency); the demo users of the README.
USERS = {
    "dispatcher": (Role.DISPATCHER, "cedar-911"),
    "officer": (Role.OFFICER, "riverton-pd"),
    "deputy": (Role.OFFICER, "cedar-so"),
    "clinician": (Role.CLINICIAN, "cedar-bhc"),
    "paramedic": (Role.PARAMEDIC, "cedar-ems"),
    "peer": (Role.PEER_SPECIALIST, "cedar-bhc"),
    "casemanager": (Role.CASE_MANAGER, "cedar-bhc"),
    "supervisor": (Role.SUPERVISOR, "riverton-pd"),
    "manager": (Role.PROGRAM_MANAGER, "cedar-bhc"),
    "admin": (Role.AGENCY_ADMIN, "cedar-bhc"),
    "auditor": (Role.AUDITOR, "cedar-bhc"),
}
NAMES = {
    "dispatcher": ("Dana", "Reyes"),
    "officer": ("Marcus", "Hale"),
    "deputy": ("Tess", "Okafor"),
    "clinician": ("Priya", "Natarajan"),
    "paramedic": ("Luis", "Ortega"),
    "peer": ("Jordan", "Whitfield"),
    "casemanager": ("Amara", "Bello"),
    "supervisor": ("Grace", "Lindqvist"),
    "manager": ("Noah", "Castellanos"),
    "admin": ("Ruth", "Feld"),
    "auditor": ("Owen", "Marsh"),
}
# person key: (first, last, owning agency, program of their encounter)
PERSONS = {
    "ann": ("Ann", "Alder", "cedar-bhc", "ride-along"),
    "pete": ("Pete", "Pine", "riverton-pd", "ride-along"),
    "sam": ("Sam", "Spruce", "cedar-so", "so-oncall"),
    "eve": ("Eve", "Elm", "cedar-ems", "scrt"),
    "carl": ("Carl", "Cedar", "cedar-911", "ride-along"),
}


def note_text(person_key: str, category: str) -> str:
    """The marker text of one note, e.g. NOTE-ann-mental_health."""
    return f"NOTE-{person_key}-{category}"


@dataclass
class World:
    agencies: dict[str, Agency] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    encounters: dict[str, Encounter] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)


def build_world(*, usable_passwords: bool = False) -> World:
    w = World()
    for ext, name, kind in AGENCIES:
        w.agencies[ext] = Agency.objects.create(external_id=ext, name=name, kind=kind)
    for ext, name, model, partners in PROGRAMS:
        program = Program.objects.create(external_id=ext, name=name, model=model)
        program.agencies.set([w.agencies[a] for a in partners])
        w.programs[ext] = program

    hashed = make_password(PASSWORD) if usable_passwords else make_password(None)
    for username, (role, agency) in USERS.items():
        first, last = NAMES[username]
        user = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            password=hashed,
            is_staff=username == "admin",
        )
        Membership.objects.create(user=user, agency=w.agencies[agency], role=role)
        w.users[username] = user

    w.teams["ride"] = Team.objects.create(
        name="Riverton Unit 1", program=w.programs["ride-along"], kind=TeamKind.RIDE_ALONG_PAIR
    )
    w.teams["ride"].members.set([w.users["officer"], w.users["clinician"]])
    w.teams["scrt"] = Team.objects.create(
        name="Street Team A", program=w.programs["scrt"], kind=TeamKind.THREE_PERSON
    )
    w.teams["scrt"].members.set([w.users["paramedic"], w.users["peer"], w.users["clinician"]])
    w.teams["so"] = Team.objects.create(
        name="Sheriff On-Call", program=w.programs["so-oncall"], kind=TeamKind.ON_CALL_CLINICIAN
    )
    team_of = {"ride-along": "ride", "scrt": "scrt", "so-oncall": "so"}

    for i, (key, (first, last, agency, program)) in enumerate(PERSONS.items()):
        person = Person.objects.create(
            external_id=f"P-{key}",
            agency=w.agencies[agency],
            first_name=first,
            last_name=last,
            phone="555-0100",
            address=f"{100 + i} Main St",
        )
        w.persons[key] = person
        received = LAST_DAY - timedelta(hours=3 * i + 1)
        call = Call.objects.create(
            external_id=f"C-{key}",
            received_at=received,
            source=CallSource.E911,
            call_type="Welfare check",
            priority=1 + i % 5,
            address=f"{100 + i} Main St",
            narrative=f"Caller worried about a neighbour ({key}).",
            program=w.programs[program],
        )
        w.calls[key] = call
        on_scene = received + 12 * MIN
        Assignment.objects.create(
            call=call,
            team=w.teams[team_of[program]],
            status=AssignmentStatus.CLEARED,
            dispatched_at=received + 2 * MIN,
            en_route_at=received + 3 * MIN,
            on_scene_at=on_scene,
            cleared_at=on_scene + 45 * MIN,
        )
        encounter = Encounter.objects.create(
            external_id=f"E-{key}",
            call=call,
            person=person,
            program=w.programs[program],
            kind=EncounterKind.CRISIS,
            dispatched_at=received + 2 * MIN,
            on_scene_at=on_scene,
            cleared_at=on_scene + 45 * MIN,
            presenting_concerns=["suicidal_ideation", "substance_use"],
            services=["assessment", "safety_planning"],
            disposition=Disposition.RESOLVED_ON_SCENE,
            er_transport=True,
        )
        w.encounters[key] = encounter
        for category in DataCategory.values:
            EncounterNote.objects.create(
                encounter=encounter, category=category, text=note_text(key, category)
            )

    # A call still waiting for a team, and one with a team still out.
    w.calls["waiting"] = Call.objects.create(
        external_id="C-waiting",
        received_at=LAST_DAY,
        source=CallSource.L988,
        call_type="Suicidal subject",
        priority=1,
        program=w.programs["ride-along"],
    )
    w.calls["active"] = Call.objects.create(
        external_id="C-active",
        received_at=LAST_DAY - 30 * MIN,
        source=CallSource.NON_EMERGENCY,
        call_type="Disturbance",
        priority=2,
        program=w.programs["scrt"],
    )
    Assignment.objects.create(
        call=w.calls["active"],
        team=w.teams["scrt"],
        status=AssignmentStatus.ON_SCENE,
        dispatched_at=LAST_DAY - 25 * MIN,
        on_scene_at=LAST_DAY - 10 * MIN,
    )
    # An encounter with no person record (outreach, unable to locate).
    w.encounters["nobody"] = Encounter.objects.create(
        external_id="E-nobody",
        program=w.programs["ride-along"],
        kind=EncounterKind.OUTREACH,
        on_scene_at=LAST_DAY - 2 * timedelta(days=1),
        disposition=Disposition.UNABLE_TO_LOCATE,
        presenting_concerns=["homelessness"],
    )
    EncounterNote.objects.create(
        encounter=w.encounters["nobody"],
        category=DataCategory.MENTAL_HEALTH,
        text=note_text("nobody", DataCategory.MENTAL_HEALTH),
    )
    return w
