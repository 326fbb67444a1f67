"""Importing the same bundle again changes nothing; importing a changed bundle updates in place."""

import pytest

from coresponse.agencies.models import Agency, Program
from coresponse.care.models import Enrollment, FollowUp, Referral
from coresponse.dispatch.models import Call
from coresponse.field.models import Encounter, EncounterNote
from coresponse.interop.bundle import import_bundle
from coresponse.interop.tests.test_bundle_import import SMALL, write_small_bundle
from coresponse.people.models import Person
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.services import verify_chain

MODELS = (Agency, Program, Person, Call, Encounter, EncounterNote, Referral, FollowUp, Enrollment)


def snapshot():
    """Every stored row of the imported models, with primary keys: equal means unchanged."""
    rows = {model.__name__: sorted(model.objects.values_list()) for model in MODELS}
    rows["links"] = sorted(Program.agencies.through.objects.values_list())
    return rows


@pytest.mark.django_db
def test_importing_the_same_bundle_again_changes_nothing(tmp_path):
    folder = write_small_bundle(tmp_path / "bundle")
    import_bundle(folder)
    before = snapshot()
    report = import_bundle(folder)
    assert set(report.created.values()) == {0}
    assert report.rows["encounters.csv"] == 2
    assert snapshot() == before
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["import", "import"]
    assert verify_chain() == []


@pytest.mark.django_db
def test_a_changed_bundle_updates_the_stored_records_in_place(tmp_path):
    import_bundle(write_small_bundle(tmp_path / "first"))
    e1 = Encounter.objects.get(external_id="E-1")
    counts = {model.__name__: model.objects.count() for model in MODELS}

    encounters = SMALL["encounters.csv"].splitlines()
    header = encounters[0].split(",")
    assert header[-1] == "presenting_concerns"
    # E-1: blank clinical note, new substance-use note, an arrest; presenting_concerns (an
    # optional column) left out, so the stored concerns stay as they are.
    e1_row = encounters[1].split(",")
    e1_row[header.index("arrest")] = "true"
    e1_row[header.index("jail_booking")] = "true"
    e1_row[header.index("clinical_note")] = ""
    e1_row[header.index("substance_use_note")] = "Denies use today."
    changed = {
        "programs.csv": SMALL["programs.csv"].replace("A-PD; A-BH", "A-PD"),
        "calls.csv": SMALL["calls.csv"].replace("Welfare check", "Check on welfare"),
        "encounters.csv": "\n".join(
            [",".join(header[:-1]), ",".join(e1_row[:-1]), encounters[2].rsplit(",", 1)[0]]
        )
        + "\n",
        "followups.csv": SMALL["followups.csv"].replace(",connected,2", ",connected,3"),
    }
    report = import_bundle(write_small_bundle(tmp_path / "second", **changed))

    assert set(report.created.values()) == {0}
    assert {model.__name__: model.objects.count() for model in MODELS} == {
        **counts,
        "EncounterNote": counts["EncounterNote"] - 1,
    }
    e1_again = Encounter.objects.get(external_id="E-1")
    assert e1_again.pk == e1.pk
    assert (e1_again.arrest, e1_again.jail_booking) == (True, True)
    assert e1_again.presenting_concerns == ["psychosis", "substance_use"]
    assert dict(e1_again.notes.values_list("category", "text")) == {
        "substance_use": "Denies use today."
    }
    ride_along = Program.objects.get(external_id="P-RA")
    assert [a.external_id for a in ride_along.agencies.all()] == ["A-PD"]
    assert Call.objects.get(external_id="C-1").call_type == "Check on welfare"
    assert FollowUp.objects.get(external_id="F-1").attempts == 3
    # Records the second bundle does not mention are left alone.
    assert Referral.objects.filter(external_id="R-1").exists()


@pytest.mark.django_db
def test_a_note_is_added_to_a_stored_encounter_and_links_can_grow(tmp_path):
    import_bundle(write_small_bundle(tmp_path / "first"))
    changed = {
        "programs.csv": SMALL["programs.csv"].replace("P-Y,A-BH,", "P-Y,A-BH;A-PD,"),
        "encounters.csv": SMALL["encounters.csv"].replace(
            "resolved_on_scene,,,,,,,,,,,,", "resolved_on_scene,,,,,,,,,,Was calm.,,"
        ),
    }
    import_bundle(write_small_bundle(tmp_path / "second", **changed))
    e2 = Encounter.objects.get(external_id="E-2")
    assert list(e2.notes.values_list("category", "text")) == [("mental_health", "Was calm.")]
    youth = Program.objects.get(external_id="P-Y")
    assert sorted(a.external_id for a in youth.agencies.all()) == ["A-BH", "A-PD"]
    assert EncounterNote.objects.count() == 3
