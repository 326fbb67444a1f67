"""The parts of Cedar County that are not in the exchange bundle, made with the ORM: accounts and
roles (the demo users), teams and their shifts, the resource directory, training records, and
each program's hours, unit costs, funding, budgets and spending.

Everything is keyed on stable names (usernames, team names, resource names, funding-source
names, (budget, day, description) ...), so seeding again updates in place and adds nothing.
Dates derive from the data's last day (`until`) except the shifts, which are laid around today
so that the dispatch board has teams on duty now.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from coresponse.agencies.models import (
    Agency,
    Membership,
    Program,
    Shift,
    ShiftMode,
    Team,
    TeamKind,
    User,
)
from coresponse.care.models import Resource
from coresponse.dispatch.services.triage import install_protocol
from coresponse.operations.models import Budget, Expenditure, FundingSource, TrainingRecord

from .cedar import AGENCIES, DAYS, ON_CALL, PROGRAMS, RIDE_ALONG, SCRT, UNIT_COSTS, UNTIL, ZONE

DEMO_PASSWORD = "coresponse-demo"

# username, first name, last name, role, agency. The web UI and the browser tests sign in as
# these; keep the usernames.
DEMO_USERS = (
    ("dispatcher", "Dana", "Whitfield", "dispatcher", "cedar-911"),
    ("officer", "Marcus", "Reyes", "officer", "riverton-pd"),
    ("deputy", "Kyle", "Brennan", "officer", "cedar-so"),
    ("clinician", "Priya", "Natarajan", "clinician", "cedar-bhc"),
    ("paramedic", "Tomás", "Herrera", "paramedic", "cedar-ems"),
    ("peer", "Jordan", "Tsosie", "peer_specialist", "cedar-bhc"),
    ("casemanager", "Aisha", "Coleman", "case_manager", "cedar-bhc"),
    ("supervisor", "Linda", "Kowalski", "supervisor", "riverton-pd"),
    ("manager", "Rachel", "Okafor", "program_manager", "cedar-bhc"),
    ("admin", "Samuel", "Lee", "agency_admin", "cedar-bhc"),
    ("auditor", "Margaret", "Chen", "auditor", "cedar-bhc"),
)
SUPERUSERS = {"admin"}  # also is_staff and is_superuser, for the Django admin

# The rest of the teams; they cannot sign in (unusable passwords).
STAFF = (
    ("dmiller", "Daniel", "Miller", "officer", "riverton-pd"),
    ("kwashington", "Keisha", "Washington", "officer", "riverton-pd"),
    ("rolson", "Ryan", "Olson", "officer", "cedar-so"),
    ("ebrooks", "Emily", "Brooks", "clinician", "cedar-bhc"),
    ("lsalazar", "Luis", "Salazar", "clinician", "cedar-bhc"),
    ("hkim", "Hannah", "Kim", "clinician", "cedar-bhc"),
    ("gbegay", "Grace", "Begay", "clinician", "cedar-bhc"),
    ("cnguyen", "Caleb", "Nguyen", "paramedic", "cedar-ems"),
    ("mlucero", "María", "Lucero", "peer_specialist", "cedar-bhc"),
    ("aromero", "Ana", "Romero", "clinician", "cedar-bhc"),
)

# program, team, kind, members, daily shifts as (start hour, length in hours, mode)
TEAMS = (
    (
        RIDE_ALONG,
        "Unit 1A",
        TeamKind.RIDE_ALONG_PAIR,
        ("officer", "clinician"),
        (11, 10, "on_duty"),
    ),
    (RIDE_ALONG, "Unit 1B", TeamKind.RIDE_ALONG_PAIR, ("dmiller", "ebrooks"), (13, 10, "on_duty")),
    # The demo clinician takes call too, so that whoever signs in as her at night finds the
    # live call her team is on (seed --live).
    (
        ON_CALL,
        "On-Call Clinician",
        TeamKind.ON_CALL_CLINICIAN,
        ("lsalazar", "hkim", "clinician"),
        (7, 24, "on_call"),
    ),
    (SCRT, "SCRT 1", TeamKind.THREE_PERSON, ("paramedic", "clinician", "peer"), (7, 10, "on_duty")),
    (SCRT, "SCRT 2", TeamKind.THREE_PERSON, ("cnguyen", "gbegay", "mlucero"), (9, 10, "on_duty")),
    # The night's second on-call clinician: with the 24-hour one, two teams are on at any hour.
    (
        ON_CALL,
        "On-Call Clinician 2",
        TeamKind.ON_CALL_CLINICIAN,
        ("aromero",),
        (19, 12, "on_call"),
    ),
)
SHIFT_DAYS_BEFORE, SHIFT_DAYS_AFTER = 2, 7

# The directory (invented local services; 970-555 numbers are fictional).
RESOURCES = (
    ("Cedar BHC Crisis Stabilization Unit", "crisis_stabilization", "Adults 18+ in crisis",
     "24/7", 16, "1100 S Lemay Ave, Riverton, CO 80525", 40.5682, -105.0578, "(970) 555-0110"),
    ("Riverton Withdrawal Management Center", "detox", "Adults 18+; walk-in or transport",
     "24/7", 20, "1217 Riverside Ave, Riverton, CO 80524", 40.5791, -105.0612, "(970) 555-0111"),
    ("Harbor House Shelter", "shelter", "Adults; no ID required", "Intake 4 pm - 9 pm", 120,
     "410 Linden St, Riverton, CO 80521", 40.5912, -105.0731, "(970) 555-0112"),
    ("Safe Haven Women's Shelter", "shelter", "Women and children; confidential location",
     "24/7 hotline", 40, "", None, None, "(970) 555-0113"),
    ("Cedar BHC Outpatient", "outpatient_mental_health", "All ages; Medicaid, sliding scale",
     "Mon-Fri 8 am - 6 pm", None, "1020 S Lemay Ave, Riverton, CO 80525", 40.5701, -105.0581,
     "(970) 555-0114"),
    ("Riverton Recovery Center", "substance_use_treatment",
     "Adults 18+; MAT (buprenorphine, methadone)", "Mon-Sat 7 am - 7 pm", 250,
     "3400 S College Ave, Riverton, CO 80525", 40.5442, -105.0771, "(970) 555-0115"),
    ("Cedar Peer Network", "peer_support", "Anyone in recovery or with lived experience",
     "Daily 10 am - 8 pm", None, "215 W Magnolia St, Riverton, CO 80521", 40.5849, -105.0793,
     "(970) 555-0116"),
    ("Cedar BHC Case Management", "case_management", "Adults with serious mental illness",
     "Mon-Fri 8 am - 5 pm", 300, "1020 S Lemay Ave, Riverton, CO 80525", 40.5701, -105.0581,
     "(970) 555-0117"),
    ("Cedar BHC Psychiatry Clinic", "psychiatry", "Established BHC clients; same-week bridge",
     "Mon-Fri 8 am - 5 pm", None, "1020 S Lemay Ave, Riverton, CO 80525", 40.5701, -105.0581,
     "(970) 555-0118"),
    ("Riverton Food Bank", "food", "Cedar County residents", "Tue-Sat 9 am - 4 pm", None,
     "1301 Blue Spruce Dr, Riverton, CO 80524", 40.6002, -105.0561, "(970) 555-0119"),
    ("Cedar Coordinated Entry", "housing", "People experiencing homelessness",
     "Mon-Fri 9 am - 4 pm", None, "242 Conifer St, Riverton, CO 80524", 40.5981, -105.0712,
     "(970) 555-0120"),
    ("VA Clinic Riverton", "veterans", "Veterans enrolled in VA health care",
     "Mon-Fri 8 am - 4:30 pm", None, "2509 Research Blvd, Riverton, CO 80526", 40.5621,
     -105.0411, "(970) 555-0121"),
    ("Cedar Youth & Family Services", "youth", "Youth 10-21 and their families",
     "Mon-Fri 9 am - 7 pm", None, "1600 W Plum St, Riverton, CO 80521", 40.5771, -105.1021,
     "(970) 555-0122"),
    ("Riverton Community Health Clinic", "primary_care", "Uninsured and Medicaid",
     "Mon-Fri 8 am - 6 pm, Sat 9 am - 1 pm", None, "202 Bristlecone Dr, Riverton, CO 80524",
     40.5993, -105.0688, "(970) 555-0123"),
)  # fmt: skip

# Course, years it stays valid (None: no expiry), who takes it.
COURSES = {
    "officer": (("cit", 3), ("de_escalation", 1), ("mhfa", 3)),
    "supervisor": (("cit", 3), ("de_escalation", 1)),
    "clinician": (("suicide_prevention", 2), ("trauma_informed", None), ("de_escalation", 1)),
    "paramedic": (("mhfa", 3), ("de_escalation", 1)),
    "peer_specialist": (("mhfa", 3), ("trauma_informed", None)),
    "case_manager": (("suicide_prevention", 2), ("trauma_informed", None)),
    "dispatcher": (("mhfa", 3),),
}

FUNDING_SOURCES = (
    ("BJA Connect and Protect: Law Enforcement Behavioral Health Response", "federal"),
    ("Colorado Behavioral Health Administration Co-Responder Grant", "state"),
    ("Cedar County General Fund", "county"),
    ("City of Riverton General Fund", "city"),
    ("Medicaid Mobile Crisis Reimbursement", "medicaid"),
    ("Cedar Regional Opioid Settlement Council", "opioid_settlement"),
    ("Cedar Community Foundation", "foundation"),
)
# program -> (funding source, annual amount in dollars)
BUDGETS = {
    RIDE_ALONG: (
        ("City of Riverton General Fund", 520_000),
        ("BJA Connect and Protect: Law Enforcement Behavioral Health Response", 250_000),
    ),
    ON_CALL: (
        ("Cedar County General Fund", 310_000),
        ("Colorado Behavioral Health Administration Co-Responder Grant", 180_000),
    ),
    SCRT: (
        ("City of Riverton General Fund", 650_000),
        ("Medicaid Mobile Crisis Reimbursement", 220_000),
        ("Cedar Regional Opioid Settlement Council", 150_000),
        ("Cedar Community Foundation", 40_000),
    ),
}
SPENDING = (("Personnel", 0.78), ("Vehicles and fuel", 0.08), ("Training", 0.04))


def build(until: date = UNTIL, today: date | None = None) -> list[dict[str, str]]:
    """Create or update the roster; returns the demo users as rows for the printed table."""
    today = today or timezone.localdate()
    with transaction.atomic():
        agencies = _agencies()
        _programs(agencies)
        users = _users(agencies)
        _teams(users, today)
        _resources()
        _training(users, until)
        _money(until)
        _protocols()
    names = {external_id: name for external_id, name, _ in AGENCIES}
    return [
        {"username": username, "role": role, "agency": names[agency], "password": DEMO_PASSWORD}
        for username, _, _, role, agency in DEMO_USERS
    ]


# Each program's triage protocol, an example shipped in coresponse/dispatch/triage/protocols/.
PROTOCOLS = {RIDE_ALONG: "ride-along", SCRT: "star", ON_CALL: "on-call"}


def _protocols() -> None:
    """Install the example protocols (and the default screening one) unless already there."""
    for program in Program.objects.filter(external_id__in=PROTOCOLS):
        install_protocol(program, PROTOCOLS[program.external_id])
    install_protocol(None, "default")


def _agencies() -> dict[str, Agency]:
    out = {}
    for external_id, name, kind in AGENCIES:
        out[external_id], _ = Agency.objects.update_or_create(
            external_id=external_id, defaults={"name": name, "kind": kind}
        )
    return out


def _programs(agencies) -> None:
    for spec in PROGRAMS:
        program, _ = Program.objects.update_or_create(
            external_id=spec["program_id"],
            defaults={
                "name": spec["name"],
                "model": spec["model"],
                "focus_population": spec["focus_population"],
                "service_hours": spec["service_hours"],
                "unit_costs": dict(UNIT_COSTS),
            },
        )
        program.agencies.add(*(agencies[a] for a in spec["agency_ids"]))


def _users(agencies) -> dict[str, User]:
    # One hash for all demo accounts: they share a published password, and hashing it once
    # keeps seeding fast.
    demo_hash = make_password(DEMO_PASSWORD)
    users = {}
    for demo, rows in ((True, DEMO_USERS), (False, STAFF)):
        for username, first, last, role, agency in rows:
            superuser = username in SUPERUSERS
            user, created = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@{agency}.example.org",
                    "is_active": True,
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            if demo:
                user.password = demo_hash
                user.save(update_fields=["password"])
            elif created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, agency=agencies[agency], role=role)
            users[username] = user
    return users


def _teams(users, today: date) -> None:
    programs = {p.external_id: p for p in Program.objects.filter(external_id__in=_program_ids())}
    for program_id, name, kind, members, (start_hour, hours, mode) in TEAMS:
        team, _ = Team.objects.update_or_create(
            program=programs[program_id], name=name, defaults={"kind": kind}
        )
        team.members.add(*(users[m] for m in members))
        for offset in range(-SHIFT_DAYS_BEFORE, SHIFT_DAYS_AFTER + 1):  # and today
            day = today + timedelta(days=offset)
            starts = _local(day, start_hour)
            ends = starts + timedelta(hours=hours)  # wall-clock: 07:00 to 07:00 across DST
            Shift.objects.update_or_create(
                team=team,
                starts_at=starts,
                defaults={"ends_at": ends, "mode": ShiftMode(mode)},
            )


def _resources() -> None:
    for name, kind, eligibility, hours, capacity, address, lat, lon, phone in RESOURCES:
        _upsert(
            Resource,
            {"name": name},
            {
                "service_type": kind,
                "eligibility": eligibility,
                "hours": hours,
                "capacity": capacity,
                "address": address,
                "latitude": lat,
                "longitude": lon,
                "phone": phone,
            },
        )


def _training(users, until: date) -> None:
    roles = {username: role for username, _, _, role, _ in (*DEMO_USERS, *STAFF)}
    for username, user in users.items():
        for course, years in COURSES.get(roles[username], ()):
            rng = random.Random(f"{username}:{course}")
            # Taken within the last four years; some have lapsed, as in any real roster.
            completed = until - timedelta(days=rng.randrange(30, 4 * 365))
            expires = completed + timedelta(days=365 * years) if years else None
            _upsert(
                TrainingRecord,
                {"user": user, "course": course},
                {"completed_on": completed, "expires_on": expires},
            )


def _money(until: date) -> None:
    sources = {}
    for name, kind in FUNDING_SOURCES:
        sources[name] = _upsert(FundingSource, {"name": name}, {"kind": kind})
    programs = {p.external_id: p for p in Program.objects.filter(external_id__in=_program_ids())}
    first_year = (until - timedelta(days=DAYS - 1)).year
    for program_id, lines in BUDGETS.items():
        for source_name, annual in lines:
            for year in range(first_year, until.year + 1):
                budget = _upsert(
                    Budget,
                    {
                        "program": programs[program_id],
                        "funding_source": sources[source_name],
                        "fiscal_year": year,
                    },
                    {"amount": Decimal(annual)},
                )
                rng = random.Random(f"{program_id}:{source_name}:{year}")
                last_month = until.month if year == until.year else 12
                wanted = {
                    (date(year, month, 28), description): (
                        Decimal(annual) / 12 * Decimal(share * rng.uniform(0.85, 1.05))
                    ).quantize(Decimal("0.01"))
                    for month in range(1, last_month + 1)
                    for description, share in SPENDING
                }
                _spend(budget, wanted)


def _spend(budget: Budget, wanted: dict) -> None:
    """Make the budget's monthly lines the wanted ones, in a few queries."""
    have = {(e.spent_on, e.description): e for e in budget.expenditures.order_by("pk")}
    changed = []
    for key, amount in wanted.items():
        line = have.get(key)
        if line is not None and line.amount != amount:
            line.amount = amount
            changed.append(line)
    Expenditure.objects.bulk_update(changed, ["amount"])
    Expenditure.objects.bulk_create(
        Expenditure(budget=budget, spent_on=day, description=description, amount=amount)
        for (day, description), amount in wanted.items()
        if (day, description) not in have
    )


def _upsert(model, lookup: dict, values: dict):
    """update_or_create that tolerates duplicates made by hand: the oldest one is updated."""
    record = model.objects.filter(**lookup).order_by("pk").first()
    if record is None:
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(record, name) != value]
    if changed:
        for name in changed:
            setattr(record, name, values[name])
        record.save(update_fields=changed)
    return record


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE)


def _program_ids() -> list[str]:
    return [p["program_id"] for p in PROGRAMS]
