"""The test county with care data: `build_world` plus referrals, follow-ups and enrollments."""

from datetime import timedelta

from coresponse.care.models import Enrollment, FollowUp, Referral, ReferralStatus, ServiceType
from coresponse.field.tests.world import LAST_DAY, PASSWORD, USERS, World, build_world

__all__ = ["LAST_DAY", "PASSWORD", "USERS", "build_county"]


def build_county(*, usable_passwords: bool = False) -> World:
    w = build_world(usable_passwords=usable_passwords)
    ann, pete = w.persons["ann"], w.persons["pete"]
    encounter = w.encounters["ann"]
    referrals = (
        ("R-su", ann, ServiceType.SUBSTANCE_USE_TREATMENT, "Cedar Recovery", ReferralStatus.SENT),
        ("R-mh", ann, ServiceType.OUTPATIENT_MENTAL_HEALTH, "Pine Clinic", ReferralStatus.ACCEPTED),
        ("R-shelter", ann, ServiceType.SHELTER, "Harbor House", ReferralStatus.SCHEDULED),
        ("R-done", ann, ServiceType.FOOD, "Food Bank", ReferralStatus.COMPLETED),
        ("R-pd", pete, ServiceType.HOUSING, "County Housing", ReferralStatus.RECEIVED),
    )
    for ext, person, service, provider, status in referrals:
        Referral.objects.create(
            external_id=ext,
            encounter=encounter if person == ann else w.encounters["pete"],
            person=person,
            service_type=service,
            provider=provider,
            status=status,
            sent_at=LAST_DAY - timedelta(days=2),
        )
    FollowUp.objects.create(
        external_id="F-overdue",
        encounter=encounter,
        person=ann,
        due_at=LAST_DAY - timedelta(days=1),
    )
    FollowUp.objects.create(
        external_id="F-due", encounter=encounter, person=ann, due_at=LAST_DAY + timedelta(days=2)
    )
    FollowUp.objects.create(
        external_id="F-done",
        encounter=encounter,
        person=ann,
        due_at=LAST_DAY - timedelta(days=5),
        completed_at=LAST_DAY - timedelta(days=5),
        attempts=2,
        outcome="connected",
    )
    FollowUp.objects.create(external_id="F-pd", person=pete, due_at=LAST_DAY - timedelta(days=1))
    Enrollment.objects.create(
        external_id="N-psych",
        person=ann,
        provider="Cedar Psychiatry",
        service_type=ServiceType.PSYCHIATRY,
        start_date=(LAST_DAY - timedelta(days=20)).date(),
    )
    Enrollment.objects.create(
        external_id="N-detox",
        person=ann,
        provider="Cedar Detox",
        service_type=ServiceType.DETOX,
        start_date=(LAST_DAY - timedelta(days=40)).date(),
        end_date=(LAST_DAY - timedelta(days=33)).date(),
    )
    return w


def add_history(w: World, days: int = 30, seed: int = 7) -> None:
    """Thirty days of calls and crisis encounters before LAST_DAY, for realistic screenshots."""
    import random

    from coresponse.dispatch.models import Assignment, AssignmentStatus, Call, CallSource
    from coresponse.field.models import Disposition, Encounter, EncounterKind

    rng = random.Random(seed)
    programs = list(w.programs.values())
    persons = list(w.persons.values())
    types = ["Welfare check", "Suicidal subject", "Disturbance", "Mental health crisis", "Trespass"]
    dispositions = [
        Disposition.RESOLVED_ON_SCENE,
        Disposition.RESOLVED_ON_SCENE,
        Disposition.RESOLVED_ON_SCENE,
        Disposition.REFERRED,
        Disposition.REFERRED,
        Disposition.VOLUNTARY_TRANSPORT_CRISIS_CENTER,
        Disposition.VOLUNTARY_TRANSPORT_ER,
        Disposition.INVOLUNTARY_HOLD,
        Disposition.ARREST,
    ]
    calls, encounters = [], []
    for day in range(1, days):
        for n in range(rng.randint(4, 15)):
            received = LAST_DAY - timedelta(days=day, minutes=rng.randint(0, 20 * 60))
            program = rng.choice(programs)
            calls.append(
                Call(
                    external_id=f"H-{day:02}-{n:02}",
                    received_at=received,
                    source=rng.choice([CallSource.E911, CallSource.E911, CallSource.L988]),
                    call_type=rng.choice(types),
                    priority=rng.randint(1, 4),
                    address=f"{rng.randint(10, 990)} {rng.choice(['Elm', 'Oak', 'Pine'])} St",
                    program=program,
                )
            )
    Call.objects.bulk_create(calls)
    for call in calls:
        if rng.random() < 0.7:
            on_scene = call.received_at + timedelta(minutes=rng.randint(6, 35))
            disposition = rng.choice(dispositions)
            encounters.append(
                Encounter(
                    external_id=f"EH-{call.external_id}",
                    call=call,
                    person=rng.choice(persons),
                    program=call.program,
                    kind=EncounterKind.CRISIS,
                    dispatched_at=call.received_at + timedelta(minutes=2),
                    on_scene_at=on_scene,
                    cleared_at=on_scene + timedelta(minutes=rng.randint(20, 90)),
                    services=["assessment"],
                    disposition=disposition,
                    arrest=disposition == Disposition.ARREST,
                    involuntary_hold=disposition == Disposition.INVOLUNTARY_HOLD,
                    er_transport=disposition == Disposition.VOLUNTARY_TRANSPORT_ER,
                )
            )
    Encounter.objects.bulk_create(encounters)
    team_of = {t.program_id: t for t in w.teams.values()}
    Assignment.objects.bulk_create(
        Assignment(
            call=e.call,
            team=team_of[e.program_id],
            status=AssignmentStatus.CLEARED,
            dispatched_at=e.dispatched_at,
            on_scene_at=e.on_scene_at,
            cleared_at=e.cleared_at,
        )
        for e in encounters
    )
