"""Encounters through real HTTP: who sees which encounter, and which categories of its person."""

import pytest
from django.urls import reverse

from coresponse.field.models import Encounter, EncounterKind
from coresponse.field.selectors import encounter_for, read_encounter, visible_encounters
from coresponse.field.tests.world import note_text
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.selectors import PART2_REDISCLOSURE_NOTICE

C = DataCategory
NOTICE_MARK = "42 CFR part 2"  # a phrase of the § 2.32 notice


def detail(login, username, key, world):
    client = login(username)
    return client.get(reverse("field:encounter_detail", args=[world.encounters[key].pk]))


def text(response) -> str:
    return response.content.decode()


# --- who sees which encounter -------------------------------------------------------------------


def test_encounters_are_visible_to_partners_of_their_program(world):
    officer = world.users["officer"]  # riverton-pd: ride-along only
    keys = {e.external_id for e in visible_encounters(officer)}
    assert keys == {"E-ann", "E-pete", "E-carl", "E-nobody"}
    clinician = world.users["clinician"]  # cedar-bhc: partner in every program
    assert visible_encounters(clinician).count() == Encounter.objects.count()
    assert not visible_encounters(world.users["dispatcher"]).exists()


def test_an_encounter_of_another_program_is_404_like_a_missing_one(login, world):
    client = login("officer")
    hidden = client.get(reverse("field:encounter_detail", args=[world.encounters["eve"].pk]))
    missing = client.get(reverse("field:encounter_detail", args=[999999]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


# --- the person panel and notes, role by role -----------------------------------------------------


@pytest.mark.parametrize("key", ["ann", "pete", "carl", "nobody"])
def test_officer_never_sees_clinical_or_substance_use_text(login, world, key):
    body = text(detail(login, "officer", key, world))
    assert note_text(key, C.MENTAL_HEALTH) not in body
    assert note_text(key, C.SUBSTANCE_USE) not in body
    assert NOTICE_MARK not in body
    assert "Suicidal ideation" not in body  # a presenting concern is mental-health data
    assert "Withheld:" in body


def test_officer_sees_identity_and_justice_of_own_agency_record(login, world):
    body = text(detail(login, "officer", "pete", world))
    assert "Pete Pine" in body
    assert note_text("pete", C.CRIMINAL_JUSTICE) in body
    assert note_text("pete", C.CONTACT_PLAN) in body
    assert note_text("pete", C.MEDICAL) not in body
    assert "Why can I see this?" in body


def test_officer_sees_who_holds_another_agencys_record(login, world):
    body = text(detail(login, "officer", "ann", world))
    assert "Ann Alder" not in body
    assert "Person record held by Cedar Behavioral Health Center" in body
    assert note_text("ann", C.CRIMINAL_JUSTICE) not in body
    assert "the record belongs to another agency" in body


def test_clinician_sees_clinical_and_part2_notes_with_the_notice(login, world):
    body = text(detail(login, "clinician", "ann", world))
    assert "Ann Alder" in body
    assert note_text("ann", C.MENTAL_HEALTH) in body
    assert note_text("ann", C.SUBSTANCE_USE) in body
    assert NOTICE_MARK in body
    # The notice sits beneath the substance-use note.
    assert body.index(note_text("ann", C.SUBSTANCE_USE)) < body.index("§ 2.32 notice")
    assert "Suicidal ideation" in body and "Substance use" in body


def test_clinician_sees_nothing_of_a_police_owned_person(login, world):
    body = text(detail(login, "clinician", "pete", world))
    assert "Pete Pine" not in body
    assert "Person record held by Riverton Police Department" in body
    assert note_text("pete", C.MENTAL_HEALTH) not in body


def test_case_manager_sees_substance_use(login, world):
    body = text(detail(login, "casemanager", "ann", world))
    assert note_text("ann", C.SUBSTANCE_USE) in body
    assert NOTICE_MARK in body


def test_paramedic_does_not_see_substance_use(login, world):
    body = text(detail(login, "paramedic", "eve", world))
    assert "Eve Elm" in body
    assert note_text("eve", C.MEDICAL) in body
    assert note_text("eve", C.SUBSTANCE_USE) not in body
    assert note_text("eve", C.MENTAL_HEALTH) not in body
    assert NOTICE_MARK not in body
    assert "42 CFR Part 2 substance-use record: treating staff only" in body


def test_peer_specialist_sees_mental_health_but_not_part2(login, world):
    body = text(detail(login, "peer", "ann", world))
    assert note_text("ann", C.MENTAL_HEALTH) in body
    assert note_text("ann", C.SUBSTANCE_USE) not in body


def test_outcomes_are_yes_no_and_governed_by_their_category(login, world):
    body = text(detail(login, "clinician", "ann", world))
    assert "Transported to an emergency room" in body
    assert "Yes" in body and "No" in body
    officer_body = text(detail(login, "officer", "pete", world))
    assert "Justice outcomes" in officer_body and "Arrest" in officer_body
    assert "Transported to an emergency room" not in officer_body  # medical


def test_an_encounter_without_a_person_is_decided_for_the_program_partners(login, world):
    body = text(detail(login, "clinician", "nobody", world))
    assert "No person record is linked" in body
    assert note_text("nobody", C.MENTAL_HEALTH) in body


# --- audit --------------------------------------------------------------------------------------


def test_each_detail_read_is_audited_with_the_categories_shown(login, world):
    detail(login, "officer", "pete", world)
    event = AuditEvent.objects.filter(action="read").latest("id")
    assert event.actor == world.users["officer"]
    assert (event.object_type, event.object_id) == ("person", str(world.persons["pete"].pk))
    assert set(event.categories) == {C.IDENTITY, C.CONTACT_PLAN, C.CRIMINAL_JUSTICE}

    detail(login, "clinician", "ann", world)
    event = AuditEvent.objects.filter(action="read").latest("id")
    assert event.actor == world.users["clinician"]
    assert set(event.categories) == set(C.values)


def test_read_encounter_explains_each_decision(world):
    clinician = world.users["clinician"]
    view = read_encounter(clinician, encounter_for(clinician, world.encounters["pete"].pk))
    assert view.identity is not None and not view.identity.allowed
    assert view.person_held_by == "Person record held by Riverton Police Department"
    assert all(note.text is None for note in view.notes)
    assert all(note.shown.reason for note in view.notes)

    view = read_encounter(clinician, encounter_for(clinician, world.encounters["ann"].pk))
    part2 = next(n for n in view.notes if n.category == C.SUBSTANCE_USE)
    assert part2.notice == PART2_REDISCLOSURE_NOTICE


# --- the list ---------------------------------------------------------------------------------


def test_list_filters(login, world):
    client = login("clinician")
    url = reverse("field:encounter_list")
    body = text(client.get(url, {"kind": EncounterKind.OUTREACH}))
    assert "E-nobody" in body and "E-ann" not in body
    body = text(client.get(url, {"program": world.programs["scrt"].pk}))
    assert "E-eve" in body and "E-ann" not in body
    body = text(client.get(url, {"disposition": "unable_to_locate"}))
    assert "E-nobody" in body and "E-pete" not in body
    assert client.get(url, {"kind": "nonsense", "program": "x", "page": "zz"}).status_code == 200


def test_list_names_only_persons_the_viewer_may_identify(login, world):
    body = text(login("officer").get(reverse("field:encounter_list")))
    assert "Pete Pine" in body
    assert "Ann Alder" not in body
    assert "Person record held by Cedar Behavioral Health Center" in body


def test_list_query_count_does_not_grow_with_rows(login, world, django_assert_max_num_queries):
    client = login("clinician")
    url = reverse("field:encounter_list")
    client.get(url)  # warm up (session, content types)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    base = len(few.captured_queries)
    program, person = world.programs["ride-along"], world.persons["ann"]
    Encounter.objects.bulk_create(
        Encounter(external_id=f"E-bulk-{i}", program=program, person=person, kind="crisis")
        for i in range(40)
    )
    with django_assert_max_num_queries(base):
        response = client.get(url)
    assert text(response).count("E-bulk-") >= 40
