"""A small bundle written by hand, as another system would write it, imports with the right
values and relations."""

# The CSV texts are kept verbatim, as a person or another system would write them.
# ruff: noqa: E501

import csv
from datetime import UTC, date, datetime

import pytest

from coresponse.agencies.models import Agency, Program
from coresponse.care.models import Enrollment, FollowUp, Referral
from coresponse.dispatch.models import Call
from coresponse.field.models import Encounter, EncounterNote
from coresponse.interop.bundle import (
    DirectorySource,
    MemorySource,
    import_bundle,
    write_bundle,
)
from coresponse.people.models import Person
from coresponse.privacy.models import AuditEvent

# Columns in an order of the writer's choosing; optional columns left out here and there.
SMALL = {
    "agencies.csv": """agency_id,name,kind
A-PD,Metro Police,law_enforcement

A-BH,"Mountain Behavioral Health, Inc.",behavioral_health
""",
    "programs.csv": """name,program_id,agency_ids,model,focus_population
Ride-along,P-RA,A-PD; A-BH,ride_along,
Youth team,P-Y,A-BH,specialised,youth
""",
    "persons.csv": """person_id,agency_id,first_name,last_name,dob,sex,race_ethnicity,address,phone,veteran
PER-1,A-BH,Ana,Ortiz,1990-05-17,female,hispanic_latino,"12 Elm St, Apt 3",555-0100,TRUE
PER-2,A-PD,,,,,,,,
""",
    "calls.csv": """call_id,received_at,source,call_type,priority,address,latitude,longitude,district,narrative,program_id
C-1,2025-03-04T22:15:00-07:00,911,Welfare check,2,100 Main St,39.7392,-104.9903,D3,"Brother is ""not himself"",
pacing outside",P-RA
C-2,2025-03-05T08:00:00Z,988,Suicidal ideation,,,,,,,
""",
    "encounters.csv": """encounter_id,call_id,person_id,program_id,kind,dispatched_at,on_scene_at,cleared_at,officer_cleared_at,disposition,services,arrest,citation,jail_booking,er_transport,hospital_admission,involuntary_hold,use_of_force,arrest_eligible,clinical_note,substance_use_note,presenting_concerns
E-1,C-1,PER-1,P-RA,crisis,2025-03-04T22:20:00-07:00,2025-03-04T22:31:00-07:00,2025-03-04T23:40:00-07:00,2025-03-04T22:50:00-07:00,referred,assessment;de_escalation;referral,false,false,false,false,false,false,false,true,Calm after talking; agreed to see a counselor.,Reports daily alcohol use.,psychosis;substance_use
E-2,,PER-2,P-Y,outreach,,2025-03-06T10:00:00-07:00,2025-03-06T10:30:00-07:00,,resolved_on_scene,,,,,,,,,,,,
""",
    "referrals.csv": """referral_id,encounter_id,person_id,service_type,provider,sent_at,status,closed_at
R-1,E-1,PER-1,outpatient_mental_health,Mountain Behavioral Health,2025-03-05T09:00:00-07:00,completed,2025-03-12T15:00:00-06:00
""",
    "followups.csv": """followup_id,encounter_id,person_id,due_at,completed_at,outcome,attempts
F-1,E-1,PER-1,2025-03-06T09:00:00-07:00,2025-03-06T11:15:00-07:00,connected,2
F-2,,PER-2,2025-03-10T09:00:00-06:00,,,
""",
    "enrollments.csv": """enrollment_id,person_id,provider,service_type,start_date,end_date
EN-1,PER-1,Mountain Behavioral Health,outpatient_mental_health,2025-03-12,
""",
}


def write_small_bundle(directory, **replacements):
    """Write SMALL (or replacement texts) into `directory`; agencies.csv gets a byte-order mark
    and Windows line ends, as a spreadsheet on Windows writes them."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in {**SMALL, **replacements}.items():
        if name == "agencies.csv":
            (directory / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
        else:
            (directory / name).write_text(text, encoding="utf-8", newline="")
    return directory


def as_mapping(directory):
    """The files of a bundle folder as MemorySource takes them."""
    mapping = {}
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            mapping[path.name] = list(csv.DictReader(handle))
    return mapping


def assert_small_bundle_stored():
    assert Agency.objects.count() == 2
    assert Agency.objects.get(external_id="A-BH").name == "Mountain Behavioral Health, Inc."
    assert Agency.objects.get(external_id="A-PD").kind == "law_enforcement"

    ride_along, youth = (
        Program.objects.get(external_id="P-RA"),
        Program.objects.get(external_id="P-Y"),
    )
    assert {a.external_id for a in ride_along.agencies.all()} == {"A-PD", "A-BH"}
    assert [a.external_id for a in youth.agencies.all()] == ["A-BH"]
    assert (ride_along.model, ride_along.focus_population) == ("ride_along", "general")
    assert (youth.model, youth.focus_population) == ("specialised", "youth")

    ana, unnamed = Person.objects.get(external_id="PER-1"), Person.objects.get(external_id="PER-2")
    assert ana.agency.external_id == "A-BH"
    assert (ana.first_name, ana.last_name, ana.dob) == ("Ana", "Ortiz", date(1990, 5, 17))
    assert (ana.sex, ana.race_ethnicity, ana.address) == (
        "female",
        "hispanic_latino",
        "12 Elm St, Apt 3",
    )
    assert (ana.veteran, ana.language) == (True, "")
    assert unnamed.agency.external_id == "A-PD"
    assert (unnamed.first_name, unnamed.dob, unnamed.sex, unnamed.veteran) == ("", None, "", None)

    c1, c2 = Call.objects.get(external_id="C-1"), Call.objects.get(external_id="C-2")
    assert c1.received_at == datetime(2025, 3, 5, 5, 15, tzinfo=UTC)
    assert c1.narrative == 'Brother is "not himself",\npacing outside'
    assert (c1.priority, c1.latitude, c1.longitude, c1.district) == (2, 39.7392, -104.9903, "D3")
    assert c1.program == ride_along
    assert c2.received_at == datetime(2025, 3, 5, 8, 0, tzinfo=UTC)
    assert (c2.priority, c2.latitude, c2.address, c2.program) == (None, None, "", None)

    e1, e2 = Encounter.objects.get(external_id="E-1"), Encounter.objects.get(external_id="E-2")
    assert (e1.call, e1.person, e1.program) == (c1, ana, ride_along)
    assert e1.kind == "crisis"
    assert e1.dispatched_at == datetime(2025, 3, 5, 5, 20, tzinfo=UTC)
    assert e1.officer_cleared_at == datetime(2025, 3, 5, 5, 50, tzinfo=UTC)
    assert e1.services == ["assessment", "de_escalation", "referral"]
    assert e1.presenting_concerns == ["psychosis", "substance_use"]
    assert (e1.disposition, e1.arrest_eligible, e1.arrest, e1.weapon_present) == (
        "referred",
        True,
        False,
        False,
    )
    assert dict(e1.notes.values_list("category", "text")) == {
        "mental_health": "Calm after talking; agreed to see a counselor.",
        "substance_use": "Reports daily alcohol use.",
    }
    assert (e2.call, e2.person, e2.program, e2.dispatched_at) == (None, unnamed, youth, None)
    assert (e2.services, e2.presenting_concerns, e2.arrest, e2.use_of_force) == (
        [],
        [],
        False,
        False,
    )
    assert not e2.notes.exists()

    referral = Referral.objects.get(external_id="R-1")
    assert (referral.encounter, referral.person, referral.status) == (e1, ana, "completed")
    assert referral.closed_at == datetime(2025, 3, 12, 21, 0, tzinfo=UTC)  # -06:00 after DST
    f1, f2 = FollowUp.objects.get(external_id="F-1"), FollowUp.objects.get(external_id="F-2")
    assert (f1.encounter, f1.outcome, f1.attempts) == (e1, "connected", 2)
    assert f1.completed_at == datetime(2025, 3, 6, 18, 15, tzinfo=UTC)
    assert (f2.encounter, f2.person, f2.completed_at, f2.outcome, f2.attempts) == (
        None,
        unnamed,
        None,
        "",
        0,
    )
    enrollment = Enrollment.objects.get(external_id="EN-1")
    assert (enrollment.person, enrollment.start_date, enrollment.end_date) == (
        ana,
        date(2025, 3, 12),
        None,
    )


@pytest.mark.django_db
def test_a_hand_written_bundle_imports_with_its_values_and_relations(tmp_path):
    folder = write_small_bundle(tmp_path / "bundle")
    report = import_bundle(DirectorySource(folder))
    assert report.rows == {
        "agencies.csv": 2,
        "programs.csv": 2,
        "persons.csv": 2,
        "calls.csv": 2,
        "encounters.csv": 2,
        "referrals.csv": 1,
        "followups.csv": 2,
        "enrollments.csv": 1,
    }
    assert report.created == report.rows
    assert_small_bundle_stored()
    assert EncounterNote.objects.count() == 2
    (event,) = AuditEvent.objects.all()
    assert (event.action, event.object_type, event.actor) == ("import", "bundle", None)
    assert event.detail == (
        f"{folder}: agencies=2, programs=2, persons=2, calls=2, encounters=2, referrals=1,"
        " followups=2, enrollments=1"
    )


@pytest.mark.django_db
def test_the_same_bundle_in_memory_imports_the_same(tmp_path):
    mapping = as_mapping(write_small_bundle(tmp_path / "bundle"))
    assert mapping["agencies.csv"][0] == {
        "agency_id": "A-PD",
        "name": "Metro Police",
        "kind": "law_enforcement",
    }
    import_bundle(MemorySource(mapping), progress=True)  # no terminal here: no bar either
    assert_small_bundle_stored()


@pytest.mark.django_db
def test_write_bundle_writes_files_that_read_back_to_the_same_mapping(tmp_path):
    mapping = as_mapping(write_small_bundle(tmp_path / "bundle"))
    mapping["persons.csv"][0]["language"] = "es"  # an optional column in one record only
    counts = write_bundle(tmp_path / "copy", {**mapping, "referrals.csv": []})
    assert counts["calls.csv"] == 2 and counts["referrals.csv"] == 0
    copy = as_mapping(tmp_path / "copy")
    assert copy["calls.csv"] == mapping["calls.csv"]
    assert copy["persons.csv"][0]["language"] == "es" and copy["persons.csv"][1]["language"] == ""
    # Declared column order, whatever order the records had; an empty file gets the full header.
    assert (tmp_path / "copy" / "programs.csv").read_text().splitlines()[0] == (
        "program_id,name,model,agency_ids,focus_population"
    )
    assert (tmp_path / "copy" / "referrals.csv").read_text() == (
        "referral_id,encounter_id,person_id,service_type,provider,sent_at,status,closed_at,"
        "received_at,accepted_at,scheduled_at,completed_at,declined_at,no_show_at\n"
    )
    assert not list((tmp_path / "copy").glob(".*"))  # no temporary files left behind


@pytest.mark.django_db
def test_references_resolve_to_records_already_in_the_database(tmp_path):
    import_bundle(DirectorySource(write_small_bundle(tmp_path / "first")))
    later = tmp_path / "later"
    later.mkdir()
    (later / "encounters.csv").write_text(
        "encounter_id,call_id,person_id,program_id,kind,dispatched_at,on_scene_at,cleared_at,"
        "officer_cleared_at,disposition,services,arrest,citation,jail_booking,er_transport,"
        "hospital_admission,involuntary_hold,use_of_force,arrest_eligible,clinical_note,"
        "substance_use_note\n"
        "E-3,C-2,PER-1,P-Y,follow_up,,,,,,,,,,,,,,,,\n"
    )
    (later / "identity_truth.csv").write_text("person_id,human_id\n")  # not a bundle file
    report = import_bundle(later)
    assert report.rows == {"encounters.csv": 1} and report.ignored == ["identity_truth.csv"]
    e3 = Encounter.objects.get(external_id="E-3")
    assert (e3.call.external_id, e3.person.external_id, e3.program.external_id) == (
        "C-2",
        "PER-1",
        "P-Y",
    )
    assert Encounter.objects.count() == 3


@pytest.mark.django_db
def test_empty_files_and_empty_mappings_import_nothing(tmp_path):
    (tmp_path / "agencies.csv").write_bytes(b"")
    (tmp_path / "calls.csv").write_text(
        "call_id,received_at,source,call_type,priority,address,latitude,longitude,district,"
        "narrative,program_id\n\n"
    )
    assert import_bundle(tmp_path).rows == {"calls.csv": 0}
    assert import_bundle(MemorySource({"agencies.csv": []})).rows == {}
    assert not Agency.objects.exists() and not Call.objects.exists()
