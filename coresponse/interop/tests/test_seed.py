"""The synthetic Cedar County: deterministic, calibrated, consistent, and loadable end to end."""

import csv
import io
import math
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from coresponse.agencies.models import (
    Agency,
    AgencyKind,
    Membership,
    Program,
    ProgramModel,
    Shift,
    Team,
    User,
)
from coresponse.care.models import (
    Enrollment,
    FollowUp,
    FollowUpOutcome,
    Referral,
    ReferralStatus,
    Resource,
    ServiceType,
)
from coresponse.dispatch.models import Call, CallSource
from coresponse.field.models import Concern, Disposition, Encounter, EncounterKind, Service
from coresponse.interop.bundle import export_bundle, write_bundle
from coresponse.interop.synthetic import care as synthetic_care
from coresponse.interop.synthetic import cedar, county, generate, names, places, roster, write
from coresponse.operations.models import Budget, Expenditure, TrainingRecord
from coresponse.people.models import Person, RaceEthnicity, Sex

DENVER = ZoneInfo("America/Denver")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def bundle():
    return generate(seed=42)


@pytest.fixture(scope="module")
def files(bundle):
    return bundle.files


@pytest.fixture(scope="module")
def crisis(files):
    return [e for e in files["encounters.csv"] if e["kind"] == "crisis"]


@pytest.fixture(scope="module")
def calls(files):
    return {c["call_id"]: c for c in files["calls.csv"]}


@pytest.fixture(scope="module")
def referred(files):
    out = defaultdict(list)
    for referral in files["referrals.csv"]:
        out[referral["encounter_id"]].append(referral)
    return out


@pytest.fixture(scope="module")
def truth(bundle):
    return {row["person_id"]: row["human_id"] for row in bundle.identity_truth}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def share(rows, test) -> float:
    return sum(1 for row in rows if test(row)) / len(rows)


def true(row, key) -> bool:
    return row[key] == "true"


# --- determinism ---------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_bundle_and_another_seed_another():
    first = generate(seed=7, scale=0.2)
    assert generate(seed=7, scale=0.2) == first
    other = generate(seed=8, scale=0.2)
    assert other.files["calls.csv"] != first.files["calls.csv"]
    assert other.files["persons.csv"] != first.files["persons.csv"]


def test_written_files_are_byte_identical_and_in_the_bundle_dialect(tmp_path):
    counts = write(tmp_path / "a", seed=3, scale=0.05)
    write(tmp_path / "b", seed=3, scale=0.05)
    memory = generate(seed=3, scale=0.05)
    write_bundle(tmp_path / "c", memory.files)
    for name in cedar.COLUMNS:
        data = (tmp_path / "a" / name).read_bytes()
        assert data == (tmp_path / "b" / name).read_bytes(), name
        assert data == (tmp_path / "c" / name).read_bytes(), name  # what write_bundle writes
        assert counts[name] == len(memory.files[name])
    truth_file = (tmp_path / "a" / cedar.TRUTH_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(truth_file)))
    assert rows == memory.identity_truth
    assert {r["person_id"] for r in rows} == {p["person_id"] for p in memory.files["persons.csv"]}
    assert not list((tmp_path / "a").glob(".*"))  # no temporary files left behind


def test_until_moves_the_two_years():
    files = generate(seed=1, scale=0.05, until=date(2025, 6, 30)).files
    days = sorted(at(c["received_at"]).date() for c in files["calls.csv"])
    assert days[-1] <= date(2025, 6, 30)
    assert days[0] >= date(2025, 6, 30) - timedelta(days=cedar.DAYS - 1)


# --- volume, rhythm, mix -------------------------------------------------------------------------


def test_two_years_of_about_twenty_calls_a_day_with_a_daily_rhythm(files, calls):
    assert 14_000 <= len(calls) <= 16_000
    times = [at(c["received_at"]) for c in calls.values()]
    assert min(times).date() == cedar.UNTIL - timedelta(days=cedar.DAYS - 1)
    assert max(times).date() == cedar.UNTIL
    hours = Counter(t.hour for t in times)
    quiet = min(hours[h] for h in (4, 5))
    assert quiet == min(hours.values())
    assert max(hours, key=hours.get) in range(15, 21)
    assert hours[17] > 4 * hours[5]
    sources = Counter(c["source"] for c in calls.values())
    assert sources.most_common(1)[0][0] == "911"
    assert {"911", "988", "non_emergency", "officer_initiated", "outreach"} <= set(sources)
    assert Counter(c["priority"] for c in calls.values()).keys() == {"1", "2", "3", "4", "5"}
    # Real CAD strings of the Vera taxonomy: Seattle's in the city, Charleston's in the county.
    types = Counter(c["call_type"] for c in calls.values())
    assert types["SERVICE - WELFARE CHECK"] > 1000
    assert types["127D_Suicide Threat"] > 100
    for c in calls.values():
        assert 40.3 < float(c["latitude"]) < 40.8 and -105.5 < float(c["longitude"]) < -104.7
        assert c["district"] and c["address"] and c["narrative"]


def test_programs_by_place_and_time(files, crisis, calls):
    scrt = [e for e in crisis if e["program_id"] == cedar.SCRT]
    county_districts = {d.name for d in places.COUNTY_DISTRICTS}
    for encounter in scrt:
        local = at(calls[encounter["call_id"]]["received_at"])
        assert 7 <= local.hour < 19
        assert encounter["officer_cleared_at"] == ""  # civilian: no police
        assert calls[encounter["call_id"]]["district"] not in county_districts
    for encounter in crisis:
        if calls[encounter["call_id"]]["district"] in county_districts:
            assert encounter["program_id"] == cedar.ON_CALL
    assert {e["program_id"] for e in crisis} == {cedar.SCRT, cedar.ON_CALL, cedar.RIDE_ALONG}


# --- calibrated rates (bands around published co-responder results) ------------------------------


def test_most_calls_become_a_crisis_encounter_with_a_person(files, crisis, calls):
    with_person = [e for e in crisis if e["person_id"]]
    assert 0.70 <= len(with_person) / len(calls) <= 0.80
    nobody = [e for e in crisis if not e["person_id"]]
    assert nobody and all(e["disposition"] == "unable_to_locate" for e in nobody)


def test_outcome_rates_fall_in_their_bands(crisis, referred):
    rates = {
        "arrest": share(crisis, lambda e: true(e, "arrest")),
        "citation": share(crisis, lambda e: true(e, "citation")),
        "er_transport": share(crisis, lambda e: true(e, "er_transport")),
        "involuntary_hold": share(crisis, lambda e: true(e, "involuntary_hold")),
        "use_of_force": share(crisis, lambda e: true(e, "use_of_force")),
        "resolved_on_scene": share(crisis, lambda e: e["disposition"] == "resolved_on_scene"),
        "service": share(crisis, lambda e: e["services"] != ""),
        "arrest_eligible": share(crisis, lambda e: true(e, "arrest_eligible")),
        "referral": share(crisis, lambda e: e["encounter_id"] in referred),
        "substance": share(crisis, lambda e: e["substance_use_note"] != ""),
    }
    bands = {
        "arrest": (0.012, 0.03),
        "citation": (0.004, 0.016),
        "er_transport": (0.05, 0.08),
        "involuntary_hold": (0.04, 0.08),
        "use_of_force": (0.002, 0.01),
        "resolved_on_scene": (0.45, 0.55),
        "service": (0.82, 0.90),
        "arrest_eligible": (0.08, 0.13),
        "referral": (0.38, 0.50),
        "substance": (0.15, 0.26),
    }
    for key, (low, high) in bands.items():
        assert low <= rates[key] <= high, (key, rates[key])
    assert 1 - rates["arrest"] >= 0.97  # arrest avoided ~98%
    eligible = [e for e in crisis if true(e, "arrest_eligible")]
    diverted = share(eligible, lambda e: not true(e, "arrest") and e["encounter_id"] in referred)
    assert 0.45 <= diverted <= 0.65
    bookings = [e for e in crisis if true(e, "jail_booking")]
    assert bookings and all(true(e, "arrest") for e in bookings)
    admissions = [e for e in crisis if true(e, "hospital_admission")]
    assert admissions and all(true(e, "er_transport") for e in admissions)
    assert share(crisis, lambda e: e["clinical_note"] != "") >= 0.75


def test_holds_fall_and_officers_return_earlier_over_the_two_years(crisis, calls):
    middle = cedar.UNTIL - timedelta(days=cedar.DAYS // 2)
    first = [e for e in crisis if at(calls[e["call_id"]]["received_at"]).date() < middle]
    second = [e for e in crisis if at(calls[e["call_id"]]["received_at"]).date() >= middle]
    early_ids = {e["encounter_id"] for e in first}
    assert share(first, lambda e: true(e, "involuntary_hold")) > share(
        second, lambda e: true(e, "involuntary_hold")
    )

    def early(e):
        return e["officer_cleared_at"] and at(e["officer_cleared_at"]) < at(e["cleared_at"])

    ride = [e for e in crisis if e["program_id"] == cedar.RIDE_ALONG]
    assert 0.25 <= share(ride, early) <= 0.36
    ride_first = [e for e in ride if e["encounter_id"] in early_ids]
    ride_second = [e for e in ride if e["encounter_id"] not in early_ids]
    assert share(ride_first, early) < share(ride_second, early)


def test_response_and_on_scene_times(crisis, calls):
    response = sorted(
        (at(e["on_scene_at"]) - at(calls[e["call_id"]]["received_at"])).total_seconds() / 60
        for e in crisis
    )
    p90 = response[math.ceil(len(response) * 0.9) - 1]
    assert 10 <= statistics.median(response) <= 15
    assert 24 <= p90 <= 36
    on_scene = [(at(e["cleared_at"]) - at(e["on_scene_at"])).total_seconds() / 60 for e in crisis]
    assert 38 <= statistics.median(on_scene) <= 52


def test_referrals_close_the_loop_and_follow_ups_connect(files):
    referrals = files["referrals.csv"]
    assert 0.45 <= share(referrals, lambda r: r["status"] == "completed") <= 0.55
    followups = files["followups.csv"]
    completed = [f for f in followups if f["completed_at"]]
    assert 0.60 <= share(completed, lambda f: f["outcome"] == "connected") <= 0.70
    end = datetime.combine(cedar.UNTIL + timedelta(days=1), datetime.min.time(), DENVER)
    open_ones = [f for f in followups if not f["completed_at"]]
    assert any(at(f["due_at"]) > end for f in open_ones)  # due after the data ends
    assert any(at(f["due_at"]) < end for f in open_ones)  # overdue
    assert {f["attempts"] for f in completed} == {"1", "2", "3"}


def test_a_heavy_tail_of_frequent_clients_most_of_them_enrolled(files, calls, truth):
    times = defaultdict(list)
    for e in files["encounters.csv"]:
        if e["kind"] == "crisis" and e["person_id"]:
            times[truth[e["person_id"]]].append(at(calls[e["call_id"]]["received_at"]))
    counts = Counter(len(t) for t in times.values())
    assert counts[1] / len(times) > 0.7  # most appear once
    assert max(counts) >= 10

    def frequent(moments):
        moments = sorted(moments)
        return any(b - a <= timedelta(days=365) for a, b in zip(moments, moments[2:], strict=False))

    clients = [h for h, t in times.items() if frequent(t)]
    assert 0.035 <= len(clients) / len(times) <= 0.07
    starts = defaultdict(list)
    for row in files["enrollments.csv"]:
        starts[truth[row["person_id"]]].append(date.fromisoformat(row["start_date"]))
    enrolled = [h for h in clients if any(s >= min(times[h]).date() for s in starts[h])]
    assert 0.55 <= len(enrolled) / len(clients) <= 0.75


def test_people_are_known_to_several_agencies_under_drifting_details(files, truth):
    persons = {p["person_id"]: p for p in files["persons.csv"]}
    assert set(truth) == set(persons)
    humans = defaultdict(list)
    for person_id, human in truth.items():
        humans[human].append(persons[person_id])
    assert all(any(r["agency_id"] == "cedar-bhc" for r in records) for records in humans.values())
    assert sum(1 for records in humans.values() if len(records) >= 3) > 500
    agencies = Counter(p["agency_id"] for p in persons.values())
    assert set(agencies) == {
        "cedar-bhc", "riverton-pd", "cedar-so", "cedar-ems", "st-brigid", "cedar-988"
    }  # fmt: skip
    differ = Counter()
    for records in humans.values():
        bhc = next(r for r in records if r["agency_id"] == "cedar-bhc")
        for other in records:
            if other is bhc:
                continue
            for key in ("first_name", "last_name", "dob", "address", "phone"):
                differ[key] += other[key] != bhc[key]
            if other["dob"] and bhc["dob"]:
                a, b = date.fromisoformat(other["dob"]), date.fromisoformat(bhc["dob"])
                differ["day_month_swap"] += a != b and (a.month, a.day) == (b.day, b.month)
            differ["nickname"] += other["first_name"] in names.NICKNAMES.get(bhc["first_name"], ())
    for key in ("first_name", "last_name", "dob", "address", "phone", "day_month_swap", "nickname"):
        assert differ[key] > 20, (key, differ)
    # A person id says nothing about the human: agencies number their records independently.
    same_number = [
        h for h, records in humans.items() if len({r["person_id"][4:] for r in records}) == 1
    ]
    assert len(same_number) < 0.5 * len(humans)
    veterans = share(list(persons.values()), lambda p: p["veteran"] == "true")
    assert 0.04 <= veterans <= 0.12
    languages = Counter(p["language"] for p in persons.values() if p["agency_id"] == "cedar-bhc")
    assert languages.most_common(1)[0][0] == "English" and languages["Spanish"] > 100
    ages = [
        (cedar.UNTIL - date.fromisoformat(p["dob"])).days / 365.25
        for p in persons.values()
        if p["agency_id"] == "cedar-bhc"
    ]
    assert min(ages) >= 11.5 and max(ages) <= 87.5


def test_encounters_point_at_the_documenting_agencys_record(files):
    prefixes = Counter(
        e["person_id"].split("-")[0] for e in files["encounters.csv"] if e["person_id"]
    )
    assert prefixes.most_common(1)[0][0] == "bhc"
    assert {"rpd", "cso", "ems"} <= set(prefixes)


def test_repeat_callers_keep_their_number_and_some_are_frequent_callers(files, calls, crisis):
    """A household calls from one number each time, so people who keep coming back make it a
    frequent caller: N or more calls within the window ending at the call (intake's default
    rule, 3 in 90 days), the call included."""
    rows = sorted(files["calls.csv"], key=lambda c: at(c["received_at"]))
    numbers = defaultdict(list)
    for call in rows:
        phone = call["caller_phone"]
        if call["source"] in ("officer_initiated", "outreach"):
            assert phone == call["caller_name"] == "" and call["frequent_caller"] == "false"
            continue
        assert len(phone) == 10 and phone.isdigit()
        moment = at(call["received_at"])
        numbers[phone].append(moment)
        recent = [t for t in numbers[phone] if moment - t < cedar.FREQUENT_CALLER_WINDOW]
        expected = len(recent) >= cedar.FREQUENT_CALLER_CALLS
        assert call["frequent_caller"] == ("true" if expected else "false"), call
    flagged = share(rows, lambda c: c["frequent_caller"] == "true")
    assert 0.02 <= flagged <= 0.15
    # Most people who come back are called in again from a number used before.
    numbers_of = defaultdict(list)
    for encounter in crisis:
        if encounter["person_id"]:
            numbers_of[encounter["person_id"]].append(calls[encounter["call_id"]]["caller_phone"])
    returning = [n for n in numbers_of.values() if len(n) >= 2]
    again = [n for n in returning if max(Counter(p for p in n if p).values(), default=0) >= 2]
    assert len(again) / len(returning) > 0.5


# --- invariants ----------------------------------------------------------------------------------


def test_every_row_is_consistent_and_every_reference_resolves(files, calls, referred):
    ids = {}
    for name, rows in files.items():
        key = cedar.COLUMNS[name][0]
        values = [row[key] for row in rows]
        assert len(values) == len(set(values)), name
        ids[name] = set(values)
        assert all(tuple(row) == cedar.COLUMNS[name] for row in rows), name
        assert all(isinstance(v, str) for row in rows for v in row.values()), name
    agencies = ids["agencies.csv"]
    programs = ids["programs.csv"]
    persons = {p["person_id"]: p for p in files["persons.csv"]}
    for program in files["programs.csv"]:
        assert set(program["agency_ids"].split(";")) <= agencies
        assert program["model"] in ProgramModel.values
    assert {a["kind"] for a in files["agencies.csv"]} <= set(AgencyKind.values)
    for p in persons.values():
        assert p["agency_id"] in agencies
        assert p["sex"] in Sex.values and p["race_ethnicity"] in RaceEthnicity.values
        assert p["veteran"] in ("true", "false", "")
    for c in calls.values():
        assert c["program_id"] in programs or c["program_id"] == ""
        assert c["source"] in CallSource.values and 1 <= int(c["priority"]) <= 5
    encounters = {}
    for e in files["encounters.csv"]:
        encounters[e["encounter_id"]] = e
        call = calls[e["call_id"]]
        assert e["program_id"] == call["program_id"] != ""
        assert e["kind"] in EncounterKind.values
        assert e["person_id"] == "" or e["person_id"] in persons
        assert e["disposition"] in Disposition.values
        assert set(filter(None, e["services"].split(";"))) <= set(Service.values)
        assert set(filter(None, e["presenting_concerns"].split(";"))) <= set(Concern.values)
        received, dispatched = at(call["received_at"]), at(e["dispatched_at"])
        on_scene, cleared = at(e["on_scene_at"]), at(e["cleared_at"])
        assert received <= dispatched <= on_scene <= cleared
        if e["officer_cleared_at"]:
            assert on_scene <= at(e["officer_cleared_at"]) <= cleared
        booleans = {k: true(e, k) for k in cedar.COLUMNS["encounters.csv"] if k in _BOOLEANS}
        assert all(e[k] in ("true", "false") for k in _BOOLEANS)
        assert not booleans["jail_booking"] or booleans["arrest"]
        assert booleans["arrest"] == (e["disposition"] == "arrest")
        assert booleans["involuntary_hold"] == (e["disposition"] == "involuntary_hold")
        if e["disposition"] == "citation":
            assert booleans["citation"]
        if booleans["arrest"] or booleans["citation"]:
            assert booleans["arrest_eligible"]
        if e["disposition"] == "voluntary_transport_er":
            assert booleans["er_transport"]
        assert (e["person_id"] == "") == (e["disposition"] == "unable_to_locate")
        assert ("referral" in e["services"].split(";")) == (e["encounter_id"] in referred)
        if e["disposition"] == "referred":
            assert e["encounter_id"] in referred
        if e["person_id"]:
            substance = "substance_use" in e["presenting_concerns"].split(";")
            assert (e["substance_use_note"] != "") == substance
        if e["program_id"] == cedar.SCRT or e["kind"] == "outreach":
            assert e["officer_cleared_at"] == ""
    for r in files["referrals.csv"]:
        encounter = encounters[r["encounter_id"]]
        assert r["person_id"] == encounter["person_id"] != ""
        assert r["service_type"] in ServiceType.values and r["status"] in ReferralStatus.values
        assert at(r["sent_at"]) >= at(encounter["cleared_at"])
        assert (r["closed_at"] != "") == (
            r["status"] in ("completed", "declined", "no_show", "closed")
        )
        assert r["closed_at"] == "" or at(r["closed_at"]) >= at(r["sent_at"])
    for f in files["followups.csv"]:
        encounter = encounters[f["encounter_id"]]
        assert f["person_id"] == encounter["person_id"] != "" and encounter["kind"] == "crisis"
        assert f["outcome"] == "" or (f["completed_at"] and f["outcome"] in FollowUpOutcome.values)
        assert f["completed_at"] == "" or at(f["completed_at"]) > at(encounter["cleared_at"])
        due_days = (at(f["due_at"]).date() - at(encounter["cleared_at"]).date()).days
        assert 1 <= due_days <= 12
        assert int(f["attempts"]) >= (1 if f["completed_at"] else 0)
    for n in files["enrollments.csv"]:
        assert n["person_id"] in persons and n["service_type"] in ServiceType.values
        assert n["end_date"] == "" or n["end_date"] >= n["start_date"]
        assert n["start_date"] <= cedar.UNTIL.isoformat()


_BOOLEANS = (
    "arrest",
    "citation",
    "jail_booking",
    "er_transport",
    "hospital_admission",
    "involuntary_hold",
    "use_of_force",
    "arrest_eligible",
    "weapon_present",
    "injuries",
)


# --- time zones ----------------------------------------------------------------------------------


def test_every_timestamp_carries_the_denver_offset_of_its_instant(files):
    offsets = Counter()
    for name, columns in cedar.COLUMNS.items():
        stamps = [c for c in columns if c.endswith("_at")]
        for row in files[name]:
            for column in stamps:
                if row[column]:
                    moment = at(row[column])
                    assert moment.utcoffset() == moment.astimezone(DENVER).utcoffset(), row
                    assert moment.microsecond == 0
                    offsets[row[column][-6:]] += 1
    assert set(offsets) == {"-06:00", "-07:00"}
    summer = [c for c in files["calls.csv"] if c["received_at"].startswith("2025-07")]
    winter = [c for c in files["calls.csv"] if c["received_at"].startswith("2026-01")]
    assert all(c["received_at"].endswith("-06:00") for c in summer)
    assert all(c["received_at"].endswith("-07:00") for c in winter)


def test_call_times_skip_the_missing_hour_and_use_both_offsets_of_the_repeated_one():
    generator = county.County(seed=5, scale=1, until=cedar.UNTIL)
    first = generator.first_day

    def times_on(day: date):
        return [t.astimezone(DENVER) for t in generator._times((day - first).days, 4000)]

    spring = times_on(date(2025, 3, 9))
    assert not [t for t in spring if t.hour == 2]
    assert all(t.date() == date(2025, 3, 9) for t in spring)
    autumn = times_on(date(2025, 11, 2))
    repeated = {t.isoformat()[-6:] for t in autumn if t.hour == 1}
    assert repeated == {"-06:00", "-07:00"}
    instants = [t.astimezone(UTC) for t in autumn]
    assert instants == sorted(instants)


# --- end to end ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_imports_the_county_and_the_demo_users_sign_in(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    out = io.StringIO()
    call_command("seed", scenario="county", seed=42, scale=0.03, no_progress=True, stdout=out)
    expected = generate(seed=42, scale=0.03).files
    # The bundle's seven, and the community providers of the care seed (their own inbox).
    agencies = 7 + len(synthetic_care.PROVIDER_AGENCIES)
    assert Agency.objects.count() == agencies and Program.objects.count() == 3
    assert Call.objects.count() == len(expected["calls.csv"])
    assert Encounter.objects.count() == len(expected["encounters.csv"])
    assert Person.objects.count() == len(expected["persons.csv"])
    assert Referral.objects.count() == len(expected["referrals.csv"])
    assert FollowUp.objects.count() == len(expected["followups.csv"])
    assert Enrollment.objects.count() == len(expected["enrollments.csv"])
    text = out.getvalue()
    for username, *_ in roster.DEMO_USERS:
        assert username in text
        user = authenticate(username=username, password=roster.DEMO_PASSWORD)
        assert user is not None, username
    assert "coresponse-demo" in text
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(username="officer").is_staff
    assert not User.objects.get(username="ebrooks").has_usable_password()
    assert Membership.objects.filter(user__username="deputy", agency__external_id="cedar-so",
                                     role="officer").exists()  # fmt: skip
    unit = Team.objects.get(name="Unit 1A", program__external_id=cedar.RIDE_ALONG)
    assert set(unit.members.values_list("username", flat=True)) == {"officer", "clinician"}
    scrt = Team.objects.get(name="SCRT 1")
    assert set(scrt.members.values_list("username", flat=True)) == {
        "paramedic",
        "clinician",
        "peer",
    }
    shifts = Shift.objects.filter(team=unit).order_by("starts_at")
    assert shifts.count() == 2 + 1 + 7  # the last two days, today, the next seven
    today = timezone.localdate()
    assert shifts[2].starts_at.astimezone(DENVER).date() == today
    assert all(s.ends_at > s.starts_at for s in Shift.objects.all())
    scrt_program = Program.objects.get(external_id=cedar.SCRT)
    assert scrt_program.service_hours and scrt_program.unit_costs["er_visit"] > 0
    assert Resource.objects.count() == len(roster.RESOURCES) + len(synthetic_care.MORE_RESOURCES)
    assert TrainingRecord.objects.filter(user__username="officer", course="cit").exists()
    assert Budget.objects.filter(program=scrt_program).exists()
    assert Expenditure.objects.exists()

    # Seeding again changes nothing; the export is the bundle the seed generated.
    models = (Call, Encounter, Person, Referral, FollowUp, Enrollment, User, Membership, Team,
              Shift, Resource, TrainingRecord, Budget, Expenditure)  # fmt: skip
    before = {m: m.objects.count() for m in models}
    call_command("seed", seed=42, scale=0.03, no_progress=True, stdout=io.StringIO())
    assert {m: m.objects.count() for m in models} == before
    export_bundle(tmp_path / "export")
    write(tmp_path / "seed", seed=42, scale=0.03)
    for name in cedar.COLUMNS:
        assert (tmp_path / "export" / name).read_bytes() == (tmp_path / "seed" / name).read_bytes()


@pytest.mark.django_db
def test_seed_out_writes_files_and_imports_nothing(tmp_path):
    out = io.StringIO()
    call_command("seed", seed=1, scale=0.02, out=str(tmp_path), no_progress=True, stdout=out)
    assert (tmp_path / "calls.csv").exists() and (tmp_path / cedar.TRUTH_FILE).exists()
    assert Call.objects.count() == 0 and not User.objects.exists()
    assert "nothing was imported" in out.getvalue()


@pytest.mark.django_db
def test_seed_refuses_to_make_demo_accounts_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed", scale=0.01, no_progress=True, stdout=io.StringIO())
    assert not User.objects.exists()
