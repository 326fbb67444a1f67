"""A small data set written by hand for the insights tests, with every metric worked out below.

Period: March 2025 (local dates, America/Denver; daylight saving starts on March 9).

    call  local time        source         district program triage         encounter
    c8    Feb 28 23:50      911            North    P1      co_responder   e8 ann   (before)
    c1    Mar 1  00:30      911            North    P1      co_responder   e1 ann
    c2    Mar 8  12:00      988            North    P1      co_responder   e2 ann2 (Ann's PD record)
    c6    Mar 10 10:00      988            North    P1      988_transfer   -
    c3    Mar 15 09:00      911            South    P1      police_only    e3 bob
    c4    Mar 20 18:00      non_emergency  South    P2      civilian_team  e4 bob
    c5    Mar 31 23:30      911            North    P2      co_responder   e5 cy
    c7    Apr 1  00:10      911            South    P2      civilian_team  e7 bob   (after)

    enc  response  on scene  outcomes
    e1   10 min    40 min    resolved on scene, assessment; the officer left after 15 min
    e2   20 min    30 min    arrest-eligible, no arrest, a referral (sent); no service
    e3   30 min    20 min    arrest, jail booking, force, arrest-eligible; de-escalation
    e4   40 min    60 min    ER transport, admission, involuntary hold; assessment;
                             follow-ups: connected, unable to reach, one still open
    e5    5 min    -         referred (a completed referral); safety planning

Worked out for March (`EXPECTED`): 6 calls (c1-c6), 4 eligible (c1, c2, c4, c5); 5 crisis
responses; 3 people (Ann's two records are one human, Bob, Cy); response times 5, 10, 20, 30,
40 (median 20, nearest-rank p90 40); times on scene 20, 30, 40, 60 (median 35); repeats within
30 days: e1 -> e2 (Ann, through her linked record), e3 -> e4 and e4 -> e7 (Bob; e7 falls after
the period, which does not matter) = 3 of 5; Ann is the one frequent client (e8, e1, e2 in the 12
months to March 31) and her enrollment started March 5, after e8: 1 of 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from coresponse.agencies.models import Agency, Membership, Program, Role, Team, User
from coresponse.care.models import Enrollment, FollowUp, Referral
from coresponse.dispatch.models import Assignment, Call, TriageResult
from coresponse.dispatch.services.triage import reason_ids
from coresponse.dispatch.triage.engine import Decision
from coresponse.field.models import Encounter
from coresponse.operations.models import Budget, Expenditure, FundingSource
from coresponse.people.models import IdentityLink, Person

TZ = ZoneInfo("America/Denver")
MIN = timedelta(minutes=1)
FIRST, LAST = date(2025, 3, 1), date(2025, 3, 31)

EXPECTED = {
    "calls_received": (6, 6, None),
    "calls_eligible": (4, 4, None),
    "responses": (5, 5, None),
    "persons_served": (3, 3, None),
    "response_time_median_min": (20, None, 5),
    "response_time_p90_min": (40, None, 5),
    "time_on_scene_median_min": (35, None, 4),
    "arrest_avoided_rate": (0.8, 4, 5),
    "arrests": (1, 1, None),
    "resolved_on_scene_rate": (0.2, 1, 5),
    "service_rate": (0.8, 4, 5),
    "er_transport_rate": (0.2, 1, 5),
    "involuntary_hold_rate": (0.2, 1, 5),
    "hospital_diversion_rate": (0.8, 4, 5),
    "no_er_no_jail_rate": (0.6, 3, 5),
    "diversion_rate": (0.5, 1, 2),
    "use_of_force_rate": (0.2, 1, 5),
    "officer_early_return_rate": (0.2, 1, 5),
    "officer_hours_saved": (25 / 60, None, 1),
    "followup_connection_rate": (0.5, 1, 2),
    "referral_completion_rate": (0.5, 1, 2),
    "frequent_client_enrollment_rate": (1.0, 1, 1),
    "repeat_crisis_30d_rate": (0.6, 3, 5),
    # The cost model's defaults (insights.costs.DEFAULTS) on 1 arrest-eligible encounter
    # without arrest, 5 encounters, 1 hold, 25 officer minutes:
    #   0.5 x 1 x 450 + 0.094 x 5 x 520 + 0.5 x 0.47 x 429 + 0 x 3013 + 25/60 x 33.66
    "cost_avoided": (584.24, None, None),
    # $1,500 spent in March / 3 people
    "cost_per_person_served": (500.0, 1500, 3),
    # 584.24 / 3 co-responders (the clinician on team 1, the paramedic and peer on team 2)
    "cost_avoided_per_co_responder": (194.75, 584, 3),
    # $1,500 of a $36,500 calendar-year budget pro-rated to 31 days ($3,100)
    "budget_utilization": (1500 / 3100, 1500, 3100),
}


@dataclass
class Data:
    agencies: dict = field(default_factory=dict)
    programs: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)
    persons: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)
    encounters: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


def build() -> Data:
    d = Data()
    d.agencies["bhc"] = Agency.objects.create(
        external_id="t-bhc", name="Test BHC", kind="behavioral_health"
    )
    d.agencies["pd"] = Agency.objects.create(
        external_id="t-pd", name="Test PD", kind="law_enforcement"
    )
    d.programs["p1"] = Program.objects.create(external_id="t-p1", name="P1", model="ride_along")
    d.programs["p1"].agencies.set([d.agencies["bhc"], d.agencies["pd"]])
    d.programs["p2"] = Program.objects.create(external_id="t-p2", name="P2", model="civilian_team")
    d.programs["p2"].agencies.set([d.agencies["bhc"]])

    for username, role, agency in (
        ("t-officer", Role.OFFICER, "pd"),
        ("t-clinician", Role.CLINICIAN, "bhc"),
        ("t-paramedic", Role.PARAMEDIC, "bhc"),
        ("t-peer", Role.PEER_SPECIALIST, "bhc"),
        ("t-manager", Role.PROGRAM_MANAGER, "bhc"),
    ):
        user = User.objects.create(username=username)
        Membership.objects.create(user=user, agency=d.agencies[agency], role=role)
        d.users[username] = user
    d.teams["t1"] = Team.objects.create(name="T1", program=d.programs["p1"], kind="ride_along_pair")
    d.teams["t1"].members.set([d.users["t-officer"], d.users["t-clinician"]])
    d.teams["t2"] = Team.objects.create(name="T2", program=d.programs["p2"], kind="civilian_pair")
    d.teams["t2"].members.set([d.users["t-paramedic"], d.users["t-peer"]])

    person = Person.objects.create
    d.persons["ann"] = person(
        external_id="t-ann",
        agency=d.agencies["bhc"],
        first_name="Ann",
        sex="female",
        race_ethnicity="black",
        dob=date(1990, 6, 15),
    )
    d.persons["ann2"] = person(
        external_id="t-ann2",
        agency=d.agencies["pd"],
        first_name="Anne",
        sex="female",
        race_ethnicity="black",
        dob=date(1990, 6, 15),
    )
    d.persons["bob"] = person(
        external_id="t-bob",
        agency=d.agencies["bhc"],
        first_name="Bob",
        sex="male",
        race_ethnicity="white",
        dob=date(2010, 1, 1),
    )
    d.persons["cy"] = person(external_id="t-cy", agency=d.agencies["pd"], first_name="Cy")
    a, b = sorted([d.persons["ann"], d.persons["ann2"]], key=lambda p: p.pk)
    IdentityLink.objects.create(person_a=a, person_b=b, score=0.97)

    rows = (
        # call, at, source, district, program, recommendation, team, encounter fields
        ("c8", local(2, 28, 23, 50), "911", "North", "p1", "co_responder", "t1", "ann", 15, 30, {}),
        ("c1", local(3, 1, 0, 30), "911", "North", "p1", "co_responder", "t1", "ann", 10, 40,
         {"services": ["assessment"], "disposition": "resolved_on_scene"}),
        ("c2", local(3, 8, 12), "988", "North", "p1", "co_responder", "t1", "ann2", 20, 30,
         {"arrest_eligible": True}),
        ("c6", local(3, 10, 10), "988", "North", "p1", "988_transfer", None, None, 0, 0, None),
        ("c3", local(3, 15, 9), "911", "South", "p1", "police_only", "t1", "bob", 30, 20,
         {"arrest": True, "jail_booking": True, "use_of_force": True, "arrest_eligible": True,
          "services": ["de_escalation"], "disposition": "arrest"}),
        ("c4", local(3, 20, 18), "non_emergency", "South", "p2", "civilian_team", "t2", "bob",
         40, 60, {"er_transport": True, "hospital_admission": True, "involuntary_hold": True,
                  "services": ["assessment"], "disposition": "involuntary_hold"}),
        ("c5", local(3, 31, 23, 30), "911", "North", "p2", "co_responder", "t2", "cy", 5, None,
         {"services": ["safety_planning"], "disposition": "referred"}),
        ("c7", local(4, 1, 0, 10), "911", "South", "p2", "civilian_team", "t2", "bob", 12, 25, {}),
    )  # fmt: skip
    for name, at, source, district, program, rec, team, who, response, scene, extra in rows:
        call = Call.objects.create(
            external_id=f"t-{name}",
            received_at=at,
            source=source,
            call_type="MENTAL",
            district=district,
            program=d.programs[program],
        )
        (reason,) = reason_ids([Decision(rec, (), "test")]).values()
        TriageResult.objects.create(call=call, recommendation=rec, reason_id=reason, triaged_at=at)
        d.calls[name] = call
        if extra is None:
            continue
        Assignment.objects.create(call=call, team=d.teams[team], dispatched_at=at + MIN)
        on_scene = at + response * MIN
        cleared = on_scene + scene * MIN if scene else None
        d.encounters["e" + name[1:]] = Encounter.objects.create(
            external_id=f"t-e{name[1:]}",
            call=call,
            person=d.persons[who],
            program=d.programs[program],
            kind="crisis",
            dispatched_at=at + MIN,
            on_scene_at=on_scene,
            cleared_at=cleared,
            **extra,
        )
    e1, e2, e4, e5 = (d.encounters[k] for k in ("e1", "e2", "e4", "e5"))
    e1.officer_cleared_at = e1.on_scene_at + 15 * MIN
    e1.save(update_fields=["officer_cleared_at"])
    # Not crisis encounters: counted nowhere.
    Encounter.objects.create(
        external_id="t-out",
        person=d.persons["bob"],
        program=d.programs["p2"],
        kind="outreach",
        on_scene_at=local(3, 12, 12),
        arrest=True,
    )
    Referral.objects.create(
        external_id="t-r1",
        encounter=e2,
        person=d.persons["ann2"],
        service_type="shelter",
        provider="X",
        sent_at=e2.cleared_at,
    )
    Referral.objects.create(
        external_id="t-r2",
        encounter=e5,
        person=d.persons["cy"],
        service_type="food",
        provider="Y",
        sent_at=e5.on_scene_at,
        status="completed",
        closed_at=e5.on_scene_at + 3 * 24 * 60 * MIN,
    )
    done = e4.cleared_at + 24 * 60 * MIN
    FollowUp.objects.create(
        external_id="t-f1",
        encounter=e4,
        person=d.persons["bob"],
        due_at=done,
        completed_at=done,
        outcome="connected",
    )
    FollowUp.objects.create(
        external_id="t-f2",
        encounter=e4,
        person=d.persons["bob"],
        due_at=done,
        completed_at=done,
        outcome="unable_to_reach",
    )
    FollowUp.objects.create(external_id="t-f3", encounter=e4, person=d.persons["bob"], due_at=done)
    Enrollment.objects.create(
        external_id="t-n1",
        person=d.persons["ann"],
        provider="Clinic",
        service_type="outpatient_mental_health",
        start_date=date(2025, 3, 5),
    )
    funder = FundingSource.objects.create(name="County", kind="county")
    budget = Budget.objects.create(
        program=d.programs["p1"], funding_source=funder, fiscal_year=2025, amount=Decimal(36500)
    )
    Expenditure.objects.create(
        budget=budget, spent_on=date(2025, 3, 10), amount=Decimal(1500), description="Staff"
    )
    Expenditure.objects.create(
        budget=budget, spent_on=date(2025, 4, 2), amount=Decimal(700), description="Staff"
    )
    return d


def county(*, usable_passwords: bool = False, days: int = 30, seed: int = 7):
    """The field tests' county (a user of every role, five people, three programs) with
    `days` days of crisis calls before its last day, for pages, reports and screenshots."""
    import random

    from coresponse.field.tests.world import LAST_DAY, build_world

    w = build_world(usable_passwords=usable_passwords)
    rng = random.Random(seed)
    programs, persons = list(w.programs.values()), list(w.persons.values())
    team_of = {t.program_id: t for t in w.teams.values()}
    outcomes = (
        {"disposition": "resolved_on_scene"},
        {"disposition": "resolved_on_scene"},
        {"disposition": "referred"},
        {"disposition": "voluntary_transport_er", "er_transport": True},
        {"disposition": "involuntary_hold", "involuntary_hold": True},
        {"disposition": "arrest", "arrest": True, "arrest_eligible": True},
    )
    calls, encounters, assignments = [], [], []
    for day in range(1, days):
        for n in range(rng.randint(4, 15)):
            received = LAST_DAY - timedelta(days=day, minutes=rng.randint(0, 20 * 60))
            program = rng.choice(programs)
            calls.append(
                Call(
                    external_id=f"H-{day:02}-{n:02}",
                    received_at=received,
                    source=rng.choice(["911", "911", "988"]),
                    call_type="Welfare check",
                    district=rng.choice(["North", "South"]),
                    program=program,
                )
            )
    Call.objects.bulk_create(calls)
    for call in calls:
        if rng.random() < 0.7:
            on_scene = call.received_at + timedelta(minutes=rng.randint(6, 35))
            encounters.append(
                Encounter(
                    external_id=f"EH-{call.external_id}",
                    call=call,
                    person=rng.choice(persons),
                    program=call.program,
                    kind="crisis",
                    dispatched_at=call.received_at + timedelta(minutes=2),
                    on_scene_at=on_scene,
                    cleared_at=on_scene + timedelta(minutes=rng.randint(20, 90)),
                    services=["assessment"],
                    **rng.choice(outcomes),
                )
            )
            assignments.append(
                Assignment(
                    call=call,
                    team=team_of[call.program_id],
                    dispatched_at=call.received_at + timedelta(minutes=2),
                )
            )
    Encounter.objects.bulk_create(encounters)
    Assignment.objects.bulk_create(assignments)
    return w
