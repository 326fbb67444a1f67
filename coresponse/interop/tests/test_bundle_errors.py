"""A bad bundle is refused whole: every problem is listed as FILE:LINE:COLUMN: reason, and
nothing is written."""

# The CSV texts are kept verbatim, as a person or another system would write them.
# ruff: noqa: E501

import io
import sys

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from coresponse.agencies.models import Agency, Program
from coresponse.care.models import Enrollment, FollowUp, Referral
from coresponse.dispatch.models import Call
from coresponse.field.models import Encounter, EncounterNote
from coresponse.interop.bundle import BundleError, MemorySource, Problem, import_bundle
from coresponse.interop.tests.test_bundle_import import write_small_bundle
from coresponse.people.models import Person
from coresponse.privacy.models import AuditEvent

ENCOUNTER_HEADER = (
    "encounter_id,call_id,person_id,program_id,kind,dispatched_at,on_scene_at,cleared_at,"
    "officer_cleared_at,disposition,services,arrest,citation,jail_booking,er_transport,"
    "hospital_admission,involuntary_hold,use_of_force,clinical_note,substance_use_note"
)  # arrest_eligible is missing

BROKEN = {
    "agencies.csv": """agency_id,name,kind,colour
A1,Police,police,blue
A1,,ems,red
""",
    "programs.csv": """program_id,name,model,agency_ids
P1,Ride-along,ride_along,A1;A7
P2,Team,three_person,A1
""",
    "persons.csv": """person_id,agency_id,first_name,last_name,dob,sex,race_ethnicity,address,phone,veteran
P1,A1,Ann,Lee,1990-13-01,female,white,,,maybe
P2,A9,Bo,Lee,,,,,,
P3,A1,Cy,Lee,,,,,
""",
    "calls.csv": """call_id,received_at,source,call_type,priority,address,latitude,longitude,district,narrative,program_id
C1,2025-01-02T09:00:00,911,Check,7,,91,-104.9,,,

C2,2025-01-02T09:00:00-07:00,phone,Check,1,,,,,"two
lines",P9
C3,yesterday,911,,,,,,,,
""",
    "encounters.csv": ENCOUNTER_HEADER
    + """
E1,C1,P1,P1,crisis,2025-01-02T09:05:00-07:00,2025-01-02T09:20:00-07:00,2025-01-02T09:10:00-07:00,,referred,assessment;hugs,false,false,true,false,false,false,false,,
E2,C404,P1,P1,,2025-01-02T10:00:00-07:00,2025-01-02T09:00:00-07:00,,,,,,,,,,,,,
""",
    "referrals.csv": """referral_id,encounter_id,person_id,service_type,provider,sent_at,status,closed_at
R1,E1,P1,housing,Shelter Co,2025-01-03T09:00:00-07:00,,2025-01-02T09:00:00-07:00
""",
    "followups.csv": """followup_id,encounter_id,person_id,due_at,completed_at,outcome,attempts
F1,E1,P1,2025-01-04T09:00:00-07:00,,connected,-1
""",
    "enrollments.csv": """enrollment_id,person_id,provider,service_type,start_date,end_date
N1,P1,Clinic,psychiatry,2025-02-01,2025-01-01
""",
}

AGENCY_KINDS = (
    "law_enforcement, behavioral_health, ems, fire, hospital, psap, crisis_line_988,"
    " community_provider"
)
PROGRAM_MODELS = "ride_along, on_call, civilian_team, three_person_team, ems_fire, specialised"
SOURCES = "911, 988, non_emergency, officer_initiated, outreach, walk_in"
SERVICES = (
    "assessment, de_escalation, crisis_counseling, safety_planning, resource_information,"
    " referral, transport, medical_care, peer_support, basic_needs, family_support,"
    " medication_support"
)

EXPECTED = [
    "agencies.csv:1:colour: unknown column (expected: agency_id, name, kind)",
    f"agencies.csv:2:kind: 'police' is not one of: {AGENCY_KINDS}",
    "agencies.csv:3:agency_id: repeats agency 'A1' (first on line 2)",
    "agencies.csv:3:name: is required",
    "programs.csv:2:agency_ids: refers to unknown agency 'A7' (not in agencies.csv or the database)",
    f"programs.csv:3:model: 'three_person' is not one of: {PROGRAM_MODELS}",
    "persons.csv:2:dob: '1990-13-01' is not a date YYYY-MM-DD",
    "persons.csv:2:veteran: 'maybe' is not true or false",
    "persons.csv:3:agency_id: refers to unknown agency 'A9' (not in agencies.csv or the database)",
    "persons.csv:4:: has 9 values; the header has 10 columns",
    "calls.csv:2:received_at: needs a UTC offset (2025-01-02T09:00:00)",
    "calls.csv:2:priority: is 7; must be from 1 to 5",
    "calls.csv:2:latitude: is 91; must be from -90 to 90",
    f"calls.csv:4:source: 'phone' is not one of: {SOURCES}",
    "calls.csv:4:program_id: refers to unknown program 'P9' (not in programs.csv or the database)",
    "calls.csv:6:received_at: 'yesterday' is not an ISO 8601 timestamp",
    "calls.csv:6:call_type: is required",
    "encounters.csv:1:arrest_eligible: column is missing from the header",
    "encounters.csv:2:cleared_at: is before on_scene_at (2025-01-02T09:20:00-07:00)",
    f"encounters.csv:2:services: 'hugs' not one of: {SERVICES}",
    "encounters.csv:2:jail_booking: is true but arrest is false",
    "encounters.csv:3:call_id: refers to unknown call 'C404' (not in calls.csv or the database)",
    "encounters.csv:3:kind: is required",
    "encounters.csv:3:on_scene_at: is before dispatched_at (2025-01-02T10:00:00-07:00)",
    "referrals.csv:2:status: is required",
    "referrals.csv:2:closed_at: is before sent_at (2025-01-03T09:00:00-07:00)",
    "followups.csv:2:outcome: is set but completed_at is blank",
    "followups.csv:2:attempts: is -1; must be from 0 to 32767",
    "enrollments.csv:2:end_date: is before start_date (2025-02-01)",
]

MODELS = (Agency, Program, Person, Call, Encounter, EncounterNote, Referral, FollowUp, Enrollment)


def write_broken_bundle(directory):
    directory.mkdir()
    for name, text in BROKEN.items():
        (directory / name).write_text(text, encoding="utf-8", newline="")
    return directory


def assert_nothing_written():
    assert {m.__name__: m.objects.count() for m in MODELS} == {m.__name__: 0 for m in MODELS}
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_every_problem_in_every_file_is_listed_and_nothing_is_written(tmp_path):
    with pytest.raises(BundleError) as raised:
        import_bundle(write_broken_bundle(tmp_path / "broken"))
    assert [str(p) for p in raised.value.problems] == EXPECTED
    assert raised.value.problems[0] == Problem(
        "agencies.csv", 1, "colour", "unknown column (expected: agency_id, name, kind)"
    )
    assert_nothing_written()


@pytest.mark.django_db
def test_the_command_prints_each_problem_on_stderr_and_fails(tmp_path):
    folder = write_broken_bundle(tmp_path / "broken")
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import", str(folder), "--no-progress", stdout=stdout, stderr=stderr)
    assert stderr.getvalue().splitlines() == EXPECTED
    assert str(raised.value) == f"{len(EXPECTED)} problems in {folder}; nothing was imported"
    assert raised.value.returncode == 1
    assert stdout.getvalue() == ""
    assert_nothing_written()


@pytest.mark.django_db(transaction=True)
def test_the_command_line_exits_non_zero(tmp_path, capsys, monkeypatch):
    folder = write_broken_bundle(tmp_path / "broken")
    monkeypatch.setattr(sys, "argv", ["coresponse", "import", str(folder), "--no-progress"])
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(sys.argv)
    assert exited.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[: len(EXPECTED)] == EXPECTED
    assert err[len(EXPECTED) :] == [
        f"CommandError: {len(EXPECTED)} problems in {folder}; nothing was imported"
    ]
    assert_nothing_written()


@pytest.mark.django_db
def test_a_good_import_through_the_command(tmp_path):
    folder = write_small_bundle(tmp_path / "bundle")
    stdout = io.StringIO()
    call_command("import", str(folder), "--no-progress", stdout=stdout)
    assert stdout.getvalue().startswith("Imported 14 rows in ")
    assert "encounters.csv: 2 (2 new)" in stdout.getvalue()
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import", str(tmp_path / "nowhere"), "--no-progress")


@pytest.mark.django_db
def test_one_bad_row_among_good_ones_blocks_the_whole_import(tmp_path):
    bad_followup = SMALL_FOLLOWUPS_WITH_BAD_ROW
    with pytest.raises(BundleError) as raised:
        import_bundle(write_small_bundle(tmp_path / "bundle", **{"followups.csv": bad_followup}))
    assert [str(p) for p in raised.value.problems] == [
        "followups.csv:3:due_at: is required",
        "followups.csv:3:outcome: is set but completed_at is blank",
    ]
    assert_nothing_written()


SMALL_FOLLOWUPS_WITH_BAD_ROW = """followup_id,encounter_id,person_id,due_at,completed_at,outcome
F-1,E-1,PER-1,2025-03-06T09:00:00-07:00,2025-03-06T11:15:00-07:00,connected
F-2,,PER-2,,,declined
"""


@pytest.mark.django_db
def test_header_and_cell_problems_of_in_memory_bundles():
    mapping = {
        "agencies.csv": [
            {"agency_id": "A1", "name": "PD", "kind": "law_enforcement", "Name": "typo"},
            {"agency_id": " ", "name": "x" * 201, "kind": "ems"},
        ],
        "calls.csv": [
            {
                "call_id": "C1",
                "received_at": "2025-01-02T09:00:00+00:00",
                "source": "911",
                "call_type": "Check",
                "priority": "high",
                "latitude": "nan",
                "longitude": "-181",
                "program_id": "",
            }
        ],
    }
    with pytest.raises(BundleError) as raised:
        import_bundle(MemorySource(mapping))
    assert [str(p) for p in raised.value.problems] == [
        "agencies.csv:1:Name: unknown column (expected: agency_id, name, kind)",
        "agencies.csv:3:agency_id: is required",
        "agencies.csv:3:name: is 201 characters long; at most 200 fit",
        "calls.csv:1:address: column is missing from the header",
        "calls.csv:1:district: column is missing from the header",
        "calls.csv:1:narrative: column is missing from the header",
        "calls.csv:2:priority: 'high' is not a whole number",
        "calls.csv:2:latitude: 'nan' is not a finite number",
        "calls.csv:2:longitude: is -181; must be from -180 to 180",
    ]
    assert_nothing_written()


@pytest.mark.django_db
def test_files_that_are_not_csv_text_are_reported(tmp_path):
    (tmp_path / "agencies.csv").write_bytes(b"agency_id,name,kind\nA1,Caf\xe9,ems\n")
    (tmp_path / "programs.csv").write_text(
        "program_id,name,model,agency_ids\nP1,Team,ride_along,\n\nP2," + "x" * 200_000 + "\n"
    )
    with pytest.raises(BundleError) as raised:
        import_bundle(tmp_path)
    assert [str(p) for p in raised.value.problems] == [
        "agencies.csv:2:: is not UTF-8 (invalid continuation byte)",
        "programs.csv:4:: is not valid CSV (field larger than field limit (131072))",
    ]
