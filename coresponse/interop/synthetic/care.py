"""Cedar County after the crisis, made with the ORM after the bundle and the roster: the whole
resource directory (every provider the seeded referrals name, with hours, eligibility, capacity
today, coordinates), two community providers that receive referrals in Coresponse (each with a
demo case manager), the referrals' steps (received, accepted, scheduled with an appointment,
then their outcome), follow-up attempts and who works the open follow-ups, safety plans of
frequent clients, and outreach visits planned for the coming days.

Deterministic (one random.Random per item, seeded by its id) and idempotent: seeding again
updates in place and adds nothing (steps and attempts are made only for items that have none).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Q

from coresponse.agencies.models import Agency, Membership, Program, Role, User
from coresponse.bulk import BATCH, Upsert
from coresponse.care.hours import ALWAYS, parse_hours
from coresponse.care.models import (
    ContactMethod,
    Enrollment,
    FollowUp,
    FollowUpAttempt,
    FollowUpOutcome,
    OutreachStatus,
    OutreachVisit,
    Referral,
    ReferralStatus,
    ReferralStep,
    Resource,
    SafetyPlan,
)
from coresponse.field.models import Encounter, EncounterKind
from coresponse.people.identity import humans

from .cedar import AGENCIES, ON_CALL, SCRT, UNTIL, ZONE
from .roster import DEMO_PASSWORD, RESOURCES
from .steps import referral_stamps

R = ReferralStatus
# The community providers that take referrals in their own Coresponse inbox (their agencies
# are in the bundle: cedar.AGENCIES).
PROVIDER_AGENCIES = ("riverton-recovery", "cedar-peer-network")
# username, first, last, agency: a receiving provider's intake staff (password: the demo one).
PROVIDER_USERS = (("provider", "Rosa", "Alvarez", "riverton-recovery"),)

# name -> (opening hours as written, eligibility tags, ages, description, provider agency).
# The roster's directory (roster.RESOURCES) gives name, type, eligibility text, hours text,
# capacity, address, coordinates and phone; this adds what search and referral need.
DETAILS = {
    "Cedar BHC Crisis Stabilization Unit": (
        ALWAYS,
        ["adults", "walk_in", "medicaid", "uninsured"],
        (18, None),
        "Short stays (up to 5 days) instead of an ER visit or a hold; walk in or be "
        "brought by the team.",
        None,
    ),
    "Riverton Withdrawal Management Center": (
        ALWAYS,
        ["adults", "walk_in", "medicaid", "no_id"],
        (18, None),
        "Medically monitored withdrawal, 3 to 7 days, with a bridge to treatment.",
        None,
    ),
    "Harbor House Shelter": (
        "Daily 16:00-09:00",
        ["adults", "homeless", "no_id"],
        (18, None),
        "Emergency beds; intake from 4 pm, lights out 10 pm, breakfast at 7.",
        None,
    ),
    "Safe Haven Women's Shelter": (
        ALWAYS,
        ["women", "families", "no_id"],
        (None, None),
        "Confidential shelter for women and children leaving violence; call first.",
        None,
    ),
    "Cedar BHC Outpatient": (
        "Mon-Fri 08:00-18:00",
        ["adults", "youth", "medicaid", "uninsured"],
        (None, None),
        "Counseling and therapy; same-week intake after a crisis.",
        None,
    ),
    "Riverton Recovery Center": (
        "Mon-Sat 07:00-19:00",
        ["adults", "medicaid"],
        (18, None),
        "Outpatient substance-use treatment and medication (buprenorphine, methadone); "
        "same-day starts.",
        "riverton-recovery",
    ),
    "Cedar Peer Network": (
        "Daily 10:00-20:00",
        ["adults", "walk_in"],
        (16, None),
        "Peer support by people with lived experience: drop-in, groups, a warm line.",
        "cedar-peer-network",
    ),
    "Cedar BHC Case Management": (
        "Mon-Fri 08:00-17:00",
        ["adults", "smi", "medicaid"],
        (18, None),
        "Long-term case management for adults with serious mental illness.",
        None,
    ),
    "Cedar BHC Psychiatry Clinic": (
        "Mon-Fri 08:00-17:00",
        ["adults", "youth", "medicaid"],
        (None, None),
        "Medication evaluation and a same-week bridge appointment.",
        None,
    ),
    "Riverton Food Bank": (
        "Tue-Sat 09:00-16:00",
        ["adults", "families", "no_id"],
        (None, None),
        "Groceries once a week; no proof of income needed.",
        None,
    ),
    "Cedar Coordinated Entry": (
        "Mon-Fri 09:00-16:00",
        ["homeless", "adults", "families"],
        (None, None),
        "The door to housing programs: assessment and the county's housing list.",
        None,
    ),
    "VA Clinic Riverton": (
        "Mon-Fri 08:00-16:30",
        ["veterans"],
        (None, None),
        "Mental health and primary care for enrolled veterans; walk-in mental health until 3 pm.",
        None,
    ),
    "Cedar Youth & Family Services": (
        "Mon-Fri 09:00-19:00",
        ["youth", "families"],
        (10, 21),
        "Counseling, mobile crisis follow-up and family support for young people.",
        None,
    ),
    "Riverton Community Health Clinic": (
        "Mon-Fri 08:00-18:00; Sat 09:00-13:00",
        ["uninsured", "medicaid", "adults", "families"],
        (None, None),
        "Primary care on a sliding scale.",
        None,
    ),
}
# Providers the seeded referrals name that the roster's directory lacks:
# name, type, eligibility, hours, capacity, address, latitude, longitude, phone.
MORE_RESOURCES = (
    ("Riverton Rescue Mission", "shelter", "Adults; men and women in separate dorms",
     "Daily 17:00-08:00", 90, "316 Jefferson St, Riverton, CO 80524", 40.5894, -105.0702,
     "(970) 555-0124", ["adults", "homeless", "no_id"], (18, None),
     "Beds, showers and meals; a case worker on weekdays.", None),
    ("Willow Creek Counseling", "outpatient_mental_health",
     "Adults and teens; private pay, most insurance",
     "Mon-Thu 09:00-20:00; Fri 09:00-17:00", None, "2120 S College Ave, Riverton, CO 80525",
     40.5569, -105.0765, "(970) 555-0125", ["adults", "youth"], (13, None),
     "Therapy for anxiety, depression and trauma; evening hours.", None),
    ("Riverton Family Counseling", "outpatient_mental_health", "Families, couples and children",
     "Mon-Fri 09:00-18:00", None, "801 E Drake Rd, Riverton, CO 80525", 40.5528, -105.0661,
     "(970) 555-0126", ["families", "youth", "medicaid"], (None, None),
     "Family and child therapy; Medicaid accepted.", None),
    ("New Dawn Treatment Services", "substance_use_treatment",
     "Adults 18+; residential and intensive outpatient",
     "24/7", 32, "4200 E Mulberry St, Riverton, CO 80524", 40.5811, -105.0152,
     "(970) 555-0127", ["adults", "medicaid"], (18, None),
     "Residential treatment (28 days) and intensive outpatient.", None),
    ("NAMI Cedar County", "peer_support", "People with mental illness and their families",
     "Tue-Thu 18:00-20:00", None, "1400 Remington St, Riverton, CO 80524", 40.5720, -105.0735,
     "(970) 555-0128", ["adults", "families"], (None, None),
     "Support groups and classes for people and families living with mental illness.", None),
    ("Cedar Community Kitchen", "food", "Anyone hungry", "Daily 11:00-13:30", None,
     "300 Remington St, Riverton, CO 80524", 40.5860, -105.0741, "(970) 555-0129",
     ["adults", "families", "homeless", "no_id"], (None, None), "A hot lunch every day.", None),
    ("St. Brigid Behavioral Medicine", "psychiatry", "Adults and youth; insurance and Medicaid",
     "Mon-Fri 08:00-17:00", None, "2500 E Prospect Rd, Riverton, CO 80525", 40.5671, -105.0401,
     "(970) 555-0130", ["adults", "youth", "medicaid"], (12, None),
     "Psychiatric evaluation and medication management.", None),
    ("Cedar County Housing Authority", "housing", "Low-income households of Cedar County",
     "Mon-Fri 08:00-17:00", None, "1715 W Mountain Ave, Riverton, CO 80521", 40.5880, -105.1012,
     "(970) 555-0131", ["families", "adults"], (18, None),
     "Housing vouchers and public housing applications.", None),
)  # fmt: skip

STEP_NOTES = {
    R.DECLINED: ("Not eligible for this program", "The person declined", "Full; referred on"),
    R.NO_SHOW: ("Did not come to the first appointment", "No answer to three reminder calls"),
    R.CLOSED: ("No contact after 30 days", "Moved out of the county", "Seen elsewhere"),
    R.COMPLETED: ("Seen for intake", "First appointment kept", "Started treatment"),
}
OUTREACH_PURPOSES = (
    "Check in after the last crisis; offer case management",
    "Bring the housing application; talk about the shelter",
    "Follow up on the psychiatry referral",
    "Peer visit: groups at the Peer Network",
)


def build(until: date = UNTIL) -> dict[str, int]:
    """Make or update the care data; returns counts of what it touched."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        agencies = _provider_agencies()
        _provider_users(agencies)
        resources = _directory(agencies)
        counts["resources"] = len(resources)
        counts["referral steps"] = _referral_steps(resources, until)
        counts["follow-up attempts"] = _followups(until)
        counts["safety plans"], counts["outreach visits"] = _plans_and_outreach(until)
    return counts


def _provider_agencies() -> dict[str, Agency]:
    """The community providers (in the bundle's agencies, cedar.AGENCIES)."""
    return {a.external_id: a for a in Agency.objects.filter(external_id__in=PROVIDER_AGENCIES)}


def _provider_users(agencies) -> None:
    demo_hash = make_password(DEMO_PASSWORD)
    for username, first, last, agency in PROVIDER_USERS:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{agency}.example.org",
                "is_active": True,
            },
        )
        user.password = demo_hash
        user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, agency=agencies[agency], role=Role.CASE_MANAGER)


def demo_users() -> list[dict[str, str]]:
    """The providers' demo users, as rows of the seed's printed table."""
    names = {a: n for a, n, _ in AGENCIES}
    return [
        {"username": u, "role": "case_manager", "agency": names[a], "password": DEMO_PASSWORD}
        for u, _, _, a in PROVIDER_USERS
    ]


def _slug(name: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(p for p in keep.split("-") if p)


def _directory(agencies) -> dict[str, Resource]:
    rows = []
    for name, kind, eligibility, hours, capacity, address, lat, lon, phone in RESOURCES:
        schedule, tags, ages, description, provider = DETAILS.get(
            name, ("", [], (None, None), "", None)
        )
        rows.append(
            (
                name,
                kind,
                eligibility,
                hours,
                capacity,
                address,
                lat,
                lon,
                phone,
                schedule,
                tags,
                ages,
                description,
                provider,
            )  # fmt: skip
        )
    for (name, kind, eligibility, schedule, capacity, address, lat, lon, phone, tags, ages,
         description, provider) in MORE_RESOURCES:  # fmt: skip
        rows.append(
            (
                name,
                kind,
                eligibility,
                schedule,
                capacity,
                address,
                lat,
                lon,
                phone,
                schedule,
                tags,
                ages,
                description,
                provider,
            )  # fmt: skip
        )
    out = {}
    for (name, kind, eligibility, hours, capacity, address, lat, lon, phone, schedule, tags,
         (low, high), description, provider) in rows:  # fmt: skip
        parsed = parse_hours(schedule) if schedule else []
        rng = random.Random(f"capacity:{name}")
        values = {
            "name": name,
            "service_type": kind,
            "eligibility": eligibility,
            "hours": hours,
            "capacity": capacity,
            "address": address,
            "latitude": lat,
            "longitude": lon,
            "phone": phone,
            "eligibility_tags": tags,
            "min_age": low,
            "max_age": high,
            "description": description,
            "opening_hours": [] if parsed == ALWAYS else parsed,
            "open_24_7": parsed == ALWAYS,
            "available_today": rng.randint(0, max(1, capacity // 4)) if capacity else None,
            "provider_agency": agencies.get(provider) if provider else None,
            "active": True,
        }
        resource = Resource.objects.filter(name=name).order_by("pk").first()
        if resource is None:
            resource = Resource(name=name)
        resource.external_id = resource.external_id or _slug(name)
        for field, value in values.items():
            setattr(resource, field, value)
        resource.save()
        out[name] = resource
    return out


def _referral_steps(resources: dict[str, Resource], until: date) -> int:
    """Link the bundle's referrals to their directory entry and receiving agency, add the
    appointment of a scheduled one, and log each step the bundle stamped (steps.py made the
    stamps with the bundle, the same way)."""
    end = datetime.combine(until + timedelta(days=1), time(0), ZONE)
    pending = Referral.objects.filter(steps__isnull=True).order_by("pk")
    changed, steps = [], []
    for referral in pending.iterator(2000):
        resource = resources.get(referral.provider)
        rng = random.Random(referral.external_id)
        if resource is not None:
            referral.resource = resource
            referral.to_agency_id = resource.provider_agency_id
        if referral.scheduled_at is not None and referral.appointment_at is None:
            planned = referral_stamps(
                referral.external_id, referral.status, referral.sent_at, referral.closed_at, end
            )
            referral.appointment_at = planned["appointment_at"] or referral.scheduled_at
        steps.append({"referral": referral.pk, "status": R.SENT, "at": referral.sent_at})
        for status, name in (
            (R.RECEIVED, "received_at"),
            (R.ACCEPTED, "accepted_at"),
            (R.SCHEDULED, "scheduled_at"),
        ):
            if getattr(referral, name):
                steps.append(
                    {"referral": referral.pk, "status": status, "at": getattr(referral, name)}
                )
        if referral.status in (R.COMPLETED, R.DECLINED, R.NO_SHOW, R.CLOSED) and referral.closed_at:
            note = rng.choice(STEP_NOTES[referral.status])
            referral.outcome_note = referral.outcome_note or note
            steps.append(
                {"referral": referral.pk, "status": referral.status, "at": referral.closed_at,
                 "note": note}
            )  # fmt: skip
        changed.append(referral)
    _update(changed, ["resource", "to_agency", "appointment_at", "outcome_note"])
    _insert(ReferralStep, steps)
    return len(steps)


def _update(rows: list, names: list[str]) -> None:
    """UPDATE ... WHERE id = %s for each row, in one executemany: bulk_update's CASE WHEN per
    field and row is minutes on a county's referrals; this is a second."""
    if not rows:
        return
    meta = rows[0]._meta
    fields = [meta.get_field(n) for n in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _insert(model, rows: list[dict]) -> None:
    """New rows through the imports' bulk writer (coresponse.bulk): executemany on SQLite,
    COPY on PostgreSQL, no model instances. Fields a row lacks get their default."""
    if not rows:
        return
    given = sorted({name for row in rows for name in row})
    writer = Upsert(model, ["id"], given)  # `given` fields get adapters, the rest defaults
    plan = [
        (f.name, f.name in given, writer.adapters[f.name], f.get_default()) for f in writer.fields
    ]
    batch = []
    for row in rows:
        values = []
        for name, present, adapt, default in plan:
            if not present:
                values.append(adapt)  # the prepared default
                continue
            value = row.get(name, default)
            values.append(adapt(value) if adapt is not None and value is not None else value)
        batch.append(values)
        if len(batch) == BATCH:
            writer.execute(batch, update=False)
            batch = []
    if batch:
        writer.execute(batch, update=False)


def _followups(until: date) -> int:
    """The clinic's case manager works the clinic's open follow-ups; completed follow-ups of
    the last 90 days get their attempt log (the count and outcome the bundle gives)."""
    clinic = Agency.objects.filter(external_id="cedar-bhc").first()
    manager = User.objects.filter(username="casemanager").first()
    if clinic is None or manager is None:
        return 0
    FollowUp.objects.filter(
        person__agency=clinic, completed_at__isnull=True, assigned_to__isnull=True
    ).update(assigned_to=manager, method=ContactMethod.PHONE)
    since = datetime.combine(until - timedelta(days=90), time.min, ZONE)
    done = (
        FollowUp.objects.filter(completed_at__gte=since, attempts__gt=0, person__agency=clinic)
        .annotate(logged=Count("attempt_log"))
        .filter(logged=0)
    )
    attempts = []
    methods = (ContactMethod.PHONE, ContactMethod.PHONE, ContactMethod.TEXT, ContactMethod.VISIT)
    for followup in done.iterator(2000):
        rng = random.Random(followup.external_id)
        for index in range(followup.attempts):
            last = index == followup.attempts - 1
            at = followup.completed_at - timedelta(days=followup.attempts - 1 - index, hours=index)
            result = followup.outcome if last else FollowUpOutcome.UNABLE_TO_REACH
            attempts.append(
                {
                    "followup": followup.pk,
                    "at": max(at, followup.due_at - timedelta(hours=12)),
                    "method": rng.choice(methods),
                    "result": result,
                    "by": manager.pk,
                    "note": "" if last else "Voicemail left",
                }
            )
    _insert(FollowUpAttempt, attempts)
    return len(attempts)


def _plans_and_outreach(until: date) -> tuple[int, int]:
    """Safety plans for the clinic's frequent clients (most shared with responders), and
    outreach visits planned this week for those not in long-term care."""
    end = datetime.combine(until, time(23, 59), ZONE)
    since = end - timedelta(days=365)
    crises = defaultdict(int)
    for person_id in (
        Encounter.objects.filter(
            kind=EncounterKind.CRISIS, person__isnull=False, on_scene_at__gte=since
        )
        .values_list("person_id", flat=True)
        .iterator(10_000)
    ):
        crises[person_id] += 1
    human_of = humans(crises)
    per_human = defaultdict(int)
    for person_id, n in crises.items():
        per_human[human_of[person_id]] += n
    frequent = {pid for pid, human in human_of.items() if per_human[human] >= 3}
    clinic_records = list(
        Encounter.objects.filter(person_id__in=frequent, person__agency__external_id="cedar-bhc")
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")
    )
    have_plan = set(SafetyPlan.objects.values_list("person_id", flat=True))
    enrolled = set(
        Enrollment.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=until)).values_list(
            "person_id", flat=True
        )
    )
    manager = User.objects.filter(username="casemanager").first()
    peer = User.objects.filter(username="peer").first()
    programs = {p.external_id: p for p in Program.objects.filter(external_id__in=[SCRT, ON_CALL])}
    plans, visits = [], []
    planned = set(
        OutreachVisit.objects.filter(status=OutreachStatus.PLANNED).values_list(
            "person_id", flat=True
        )
    )
    for index, person_id in enumerate(clinic_records):
        rng = random.Random(f"care:{person_id}")
        if person_id not in have_plan and rng.random() < 0.6:
            share = rng.random() < 0.7
            plans.append(
                SafetyPlan(
                    person_id=person_id,
                    sections={
                        "warning_signs": rng.choice(
                            (
                                "Stops sleeping, stays in the room",
                                "Gives things away",
                                "Stops answering the phone",
                                "Talks about being a burden",
                            )
                        ),
                        "internal_coping": rng.choice(
                            ("Walks by the river", "Music with headphones", "A hot shower")
                        ),
                        "people_to_ask_for_help": rng.choice(
                            ("Her sister Maria", "His neighbour Tom", "A friend from work")
                        ),
                        "professionals_to_contact": "Cedar BHC, (970) 555-0114; 988",
                        "making_environment_safe": "Medications kept by the sister",
                        "reasons_for_living": rng.choice(
                            ("The kids", "Getting back to work", "The dog, Biscuit")
                        ),
                    },
                    shared_sections=["warning_signs", "people_to_ask_for_help"] if share else [],
                    share_with_responders=share,
                    responder_highlights="Calms with a quiet, slow voice\nAsk about the dog"
                    if share
                    else "",
                    de_escalation_tips="Sit at eye level; no uniforms at the door first"
                    if share
                    else "",
                    contact_name="Aisha Coleman" if share else "",
                    contact_role="Case manager, Cedar BHC" if share else "",
                    contact_phone="(970) 555-0117" if share else "",
                    created_by=manager,
                    updated_at=end - timedelta(days=rng.randint(3, 200)),
                )
            )
        if person_id not in enrolled and person_id not in planned and index % 4 == 0:
            day = until + timedelta(days=1 + index % 6)
            visits.append(
                OutreachVisit(
                    person_id=person_id,
                    program=programs.get(SCRT) or next(iter(programs.values())),
                    scheduled_for=datetime.combine(day, time(10 + index % 6), ZONE),
                    assigned_to=peer if index % 8 == 0 else manager,
                    purpose=OUTREACH_PURPOSES[index % len(OUTREACH_PURPOSES)],
                    created_by=manager,
                )
            )
    SafetyPlan.objects.bulk_create(plans)
    OutreachVisit.objects.bulk_create(visits[:20])
    return len(plans), len(visits[:20])
