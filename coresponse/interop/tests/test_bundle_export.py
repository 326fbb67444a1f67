"""Export writes the format the import reads: export -> import into an empty database -> export
gives the same bytes."""

import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from coresponse.agencies.models import Agency, Program
from coresponse.care.models import Enrollment, FollowUp, Referral
from coresponse.dispatch.models import Call
from coresponse.field.models import Encounter, EncounterNote
from coresponse.interop.bundle import FILES, export_bundle, import_bundle
from coresponse.interop.tests.test_bundle_import import write_small_bundle
from coresponse.people.models import Person
from coresponse.privacy.models import AuditEvent, Consent, SharingAgreement


def build_with_the_orm():
    pd = Agency.objects.create(external_id="A-PD", name="Metro Police", kind="law_enforcement")
    bh = Agency.objects.create(external_id="A-BH", name='"Mountain" BH, Inc.', kind="ems")
    ride_along = Program.objects.create(external_id="P-1", name="Ride-along", model="ride_along")
    ride_along.agencies.set([bh, pd])
    Program.objects.create(external_id="P-2", name="Vets", model="specialised",
                           focus_population="veterans")  # fmt: skip
    ana = Person.objects.create(
        external_id="PER-10", agency=bh, first_name="Ana María", last_name="Ortiz-Núñez",
        dob=date(1990, 5, 17), sex="female", veteran=False, language="es",
        address="12 Elm St\nApt 3",
    )  # fmt: skip
    bo = Person.objects.create(external_id="PER-9", agency=pd, veteran=None)
    call = Call.objects.create(
        external_id="C-1", received_at=datetime(2025, 7, 4, 4, 15, 0, 250000, tzinfo=UTC),
        source="911", call_type="Welfare check", priority=1, latitude=0.1 + 0.2,
        longitude=-104.99030000000001, narrative="Says: \"I can't\", then, 'leave'.\r\nEnd",
        program=ride_along,
    )  # fmt: skip
    Call.objects.create(external_id="C-2", received_at=datetime(2025, 1, 1, 6, 59, 59, tzinfo=UTC),
                        source="walk_in", call_type="Walk-in")  # fmt: skip
    e10 = Encounter.objects.create(
        external_id="E-10", call=call, person=ana, program=ride_along, kind="crisis",
        dispatched_at=datetime(2025, 7, 4, 4, 20, tzinfo=UTC),
        on_scene_at=datetime(2025, 7, 4, 4, 31, tzinfo=UTC),
        cleared_at=datetime(2025, 7, 4, 5, 40, tzinfo=UTC),
        officer_cleared_at=datetime(2025, 7, 4, 4, 45, tzinfo=UTC),
        services=["referral", "assessment"], presenting_concerns=["welfare"],
        disposition="arrest", arrest=True, jail_booking=True, weapon_present=True,
        injuries=True, arrest_eligible=True,
    )  # fmt: skip
    EncounterNote.objects.create(encounter=e10, category="mental_health", text="Line one\nline 2")
    EncounterNote.objects.create(encounter=e10, category="substance_use", text="None, he says")
    e9 = Encounter.objects.create(external_id="E-9", person=bo, program=ride_along, kind="outreach")
    Referral.objects.create(
        external_id="R-1", encounter=e10, person=ana, service_type="housing", provider="Shelter",
        sent_at=datetime(2025, 7, 5, 16, 0, tzinfo=UTC), status="scheduled",
        received_at=datetime(2025, 7, 5, 16, 30, 0, 125000, tzinfo=UTC),
        accepted_at=datetime(2025, 7, 6, 9, 0, tzinfo=UTC),
        scheduled_at=datetime(2025, 7, 6, 9, 5, tzinfo=UTC),
    )  # fmt: skip
    FollowUp.objects.create(
        external_id="F-1", encounter=e9, person=bo, due_at=datetime(2025, 7, 6, tzinfo=UTC),
        completed_at=datetime(2025, 7, 6, 1, tzinfo=UTC), outcome="declined", attempts=4,
    )  # fmt: skip
    Enrollment.objects.create(
        external_id="EN-1", person=ana, provider="Clinic", service_type="psychiatry",
        start_date=date(2025, 7, 1), end_date=date(2025, 12, 31),
    )  # fmt: skip
    SharingAgreement.objects.create(
        external_id="MOU-1", title="Clinic, to police", from_agency=bh, to_agency=pd,
        categories=["identity", "contact_plan"], purposes=["emergency_response"],
        effective_from=date(2024, 1, 1),
    )  # fmt: skip
    Consent.objects.create(
        external_id="CN-1", person=ana, from_agency=bh, to_class="crisis_responders",
        categories=["contact_plan", "mental_health"], purposes=["emergency_response"],
        signed_at=datetime(2025, 7, 4, 6, 0, tzinfo=UTC), expiry_event="end of the program",
        revoked_at=datetime(2025, 8, 1, 12, 0, tzinfo=UTC), kind="program",
    )  # fmt: skip


def empty_the_database():
    for model in (Consent, SharingAgreement):
        model.objects.all().delete()
    for model in (Referral, FollowUp, Enrollment, Encounter, Call, Person, Program, Agency):
        model.objects.all().delete()
    assert not EncounterNote.objects.exists()


def read_all(folder):
    return {spec.name: (folder / spec.name).read_bytes() for spec in FILES}


@pytest.mark.django_db
def test_export_then_import_into_an_empty_database_then_export_is_byte_identical(
    tmp_path, settings
):
    settings.TIME_ZONE = "America/Denver"
    build_with_the_orm()
    counts = export_bundle(tmp_path / "first")
    assert counts == {
        "agencies.csv": 2,
        "programs.csv": 2,
        "persons.csv": 2,
        "calls.csv": 2,
        "encounters.csv": 2,
        "referrals.csv": 1,
        "followups.csv": 1,
        "enrollments.csv": 1,
        "agreements.csv": 1,
        "consents.csv": 1,
        "identity_links.csv": 0,
    }
    first = read_all(tmp_path / "first")

    empty_the_database()
    import_bundle(tmp_path / "first")
    export_bundle(tmp_path / "second")
    assert read_all(tmp_path / "second") == first
    written = sorted(p.name for p in (tmp_path / "second").iterdir())
    assert written == sorted([*first, "identity_links.csv"])  # no temp files

    # What the files say: rows by external id, local times with their offset (and microseconds
    # only when there are some), floats that round-trip, veteran blank when unknown.
    assert first["agencies.csv"] == (
        b'agency_id,name,kind\nA-BH,"""Mountain"" BH, Inc.",ems\n'
        b"A-PD,Metro Police,law_enforcement\n"
    )
    assert first["programs.csv"].decode().splitlines() == [
        "program_id,name,model,agency_ids,focus_population",
        "P-1,Ride-along,ride_along,A-BH;A-PD,general",
        "P-2,Vets,specialised,,veterans",
    ]
    persons = first["persons.csv"].decode()
    assert persons.startswith(
        "person_id,agency_id,first_name,last_name,dob,sex,race_ethnicity,address,phone,veteran,"
        "language\nPER-10,A-BH,Ana María,Ortiz-Núñez,1990-05-17,female,,"
        '"12 Elm St\nApt 3",,false,es\n'
    )
    assert persons.endswith("PER-9,A-PD,,,,,,,,,\n")
    calls = first["calls.csv"].decode()
    assert "C-1,2025-07-03T22:15:00.250000-06:00,911,Welfare check,1,,0.30000000000000004," in calls
    assert "C-2,2024-12-31T23:59:59-07:00,walk_in,Walk-in,,,,,,," in calls
    encounters = first["encounters.csv"].decode().splitlines()
    assert encounters[1].startswith(
        "E-10,C-1,PER-10,P-1,crisis,2025-07-03T22:20:00-06:00,2025-07-03T22:31:00-06:00,"
        "2025-07-03T23:40:00-06:00,2025-07-03T22:45:00-06:00,arrest,referral;assessment,"
        'true,false,true,false,false,false,false,true,"Line one'
    )
    assert encounters[-1] == (
        "E-9,,PER-9,P-1,outreach,,,,,,,false,false,false,false,false,false,false,false,,,,false,false"
    )
    # The referral's steps are the optional columns after closed_at (docs/exchange-format.md).
    assert first["referrals.csv"].decode().splitlines() == [
        "referral_id,encounter_id,person_id,service_type,provider,sent_at,status,closed_at,"
        "received_at,accepted_at,scheduled_at,completed_at,declined_at,no_show_at",
        "R-1,E-10,PER-10,housing,Shelter,2025-07-05T10:00:00-06:00,scheduled,,"
        "2025-07-05T10:30:00.125000-06:00,2025-07-06T03:00:00-06:00,2025-07-06T03:05:00-06:00,,,",
    ]


@pytest.mark.django_db
def test_the_export_command_writes_every_file_and_an_audit_event(tmp_path):
    import_bundle(write_small_bundle(tmp_path / "bundle"))
    stdout = io.StringIO()
    call_command("export", str(tmp_path / "out" / "new"), stdout=stdout)
    assert sorted(p.name for p in (tmp_path / "out" / "new").iterdir()) == sorted(
        [*(spec.name for spec in FILES), "identity_links.csv"]
    )
    assert "encounters.csv: 2" in stdout.getvalue()
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type) == ("export", "bundle")
    assert event.detail == (
        f"{tmp_path / 'out' / 'new'}: agencies=2, programs=2, persons=2, calls=2, encounters=2,"
        " referrals=1, followups=2, enrollments=1, agreements=0, consents=0, identity_links=0"
    )


@pytest.mark.django_db
def test_an_empty_database_exports_headers_only(tmp_path):
    export_bundle(tmp_path)
    for spec in FILES:
        text = (tmp_path / spec.name).read_text()
        assert text == ",".join(c.name for c in spec.columns) + "\n"
