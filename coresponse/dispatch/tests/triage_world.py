"""A small county for the triage protocol tests: who reads and who edits which protocol."""

from datetime import datetime
from zoneinfo import ZoneInfo

from coresponse.agencies.models import Agency, Membership, Program, Role, User
from coresponse.dispatch.services.triage import install_protocol

TZ = ZoneInfo("America/Denver")
AFTERNOON = datetime(2026, 10, 27, 15, 0, tzinfo=TZ)  # a Tuesday, within program hours

# username: (role, agency)
USERS = {
    "manager": (Role.PROGRAM_MANAGER, "bhc"),  # partner of both programs
    "supervisor": (Role.SUPERVISOR, "pd"),  # partner of the ride-along only
    "ems_manager": (Role.PROGRAM_MANAGER, "ems"),  # partner of the street team only
    "clinician": (Role.CLINICIAN, "bhc"),
    "officer": (Role.OFFICER, "pd"),
    "dispatcher": (Role.DISPATCHER, "psap"),
    "psap_supervisor": (Role.SUPERVISOR, "psap"),
    "deputy": (Role.OFFICER, "so"),
}
# Who reads (200) or does not see (404) each protocol, and who may edit it (else 403/404).
READ = {
    "ride": {"manager", "supervisor", "clinician", "officer", "dispatcher"},
    "scrt": {"manager", "ems_manager", "clinician", "dispatcher"},
    "default": set(USERS),
}
EDIT = {
    "ride": {"manager", "supervisor"},
    "scrt": {"manager", "ems_manager"},
    "default": {"psap_supervisor"},
}


def build_world(password: str | None = None) -> dict:
    """Agencies, two programs with protocols (and one without), the default protocol and one
    user per (role, agency) case of USERS; with `password`, the users can sign in."""
    agencies = {
        key: Agency.objects.create(external_id=key, name=name, kind=kind)
        for key, name, kind in (
            ("psap", "Cedar Regional 911", "psap"),
            ("pd", "Riverton Police Department", "law_enforcement"),
            ("so", "Cedar County Sheriff's Office", "law_enforcement"),
            ("bhc", "Cedar Behavioral Health Center", "behavioral_health"),
            ("ems", "Cedar County EMS", "ems"),
        )
    }
    ride = Program.objects.create(
        external_id="ride",
        name="Riverton Co-Responder Unit",
        model="ride_along",
        service_hours=[{"days": list(range(7)), "start": "11:00", "end": "23:00"}],
    )
    ride.agencies.set([agencies["pd"], agencies["bhc"]])
    scrt = Program.objects.create(external_id="scrt", name="Street team", model="civilian_team")
    scrt.agencies.set([agencies["ems"], agencies["bhc"]])
    spare = Program.objects.create(external_id="youth", name="Youth unit", model="specialised")
    spare.agencies.set([agencies["bhc"]])
    users = {}
    for username, (role, agency) in USERS.items():
        users[username] = User.objects.create(username=username, first_name=username.title())
        if password:
            users[username].set_password(password)
            users[username].save(update_fields=["password"])
        Membership.objects.create(user=users[username], agency=agencies[agency], role=role)
    found = {
        "ride": install_protocol(ride, "ride-along"),
        "scrt": install_protocol(scrt, "star"),
        "default": install_protocol(None, "default"),
    }
    return {"users": users, "protocols": found, "programs": {"ride": ride, "scrt": scrt}}
