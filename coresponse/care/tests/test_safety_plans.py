"""Safety plans made with the person, shared with responders only as the person agrees (their
consent), and `responder_view`: what the crisis alert may show of a person's care."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from coresponse.care import services
from coresponse.care.models import Enrollment, SafetyPlan
from coresponse.care.selectors import Contact, responder_view
from coresponse.field.models import Encounter, EncounterKind
from coresponse.privacy.models import Consent

SECTIONS = {
    "warning_signs": "Stops eating",
    "people_to_ask_for_help": "Brother Sam",
    "reasons_for_living": "The garden",
}


def test_a_clinician_makes_the_plan_and_the_person_agrees_to_share_parts(world):
    sam = world.persons["sam"]  # the Sheriff's record: the clinic may not plan it
    with pytest.raises(PermissionDenied):
        services.save_safety_plan(world.users["clinician"], sam, sections=SECTIONS)
    eve = world.persons["eve"]  # EMS's record; a paramedic is not clinical staff
    with pytest.raises(PermissionDenied):
        services.save_safety_plan(world.users["paramedic"], eve, sections=SECTIONS)
    ann = world.persons["ann"]
    with pytest.raises(ValidationError) as refused:
        services.save_safety_plan(
            world.users["clinician"], ann, sections=SECTIONS, share_with_responders=True
        )
    assert "signed_by" in refused.value.message_dict
    plan = services.save_safety_plan(
        world.users["clinician"], ann, sections=SECTIONS,
        shared_sections=["people_to_ask_for_help"], share_with_responders=True,
        responder_highlights="Speak slowly", de_escalation_tips="Offer water\nSit down",
        contact_name="Dana Cruz", contact_role="Case manager", contact_phone="(970) 555-0142",
        signed_by="Ann Alder",
    )  # fmt: skip
    consent = Consent.objects.get(pk=plan.consent_id)
    assert consent.to_class == "crisis_responders" and consent.signed_by == "Ann Alder"
    assert consent.categories == ["contact_plan"] and consent.purposes == ["emergency_response"]
    assert consent.expires_at > timezone.now() + timedelta(days=360)
    assert SafetyPlan.objects.filter(person=ann).count() == 1  # the world's plan, updated


def test_responder_view_shows_only_what_the_person_agreed_to_share(world):
    ann = world.persons["ann"]
    view = responder_view([ann.pk])
    assert view.engaged_in_care is True and view.care_providers == ("Cedar Psychiatry",)
    assert view.who_to_call[0] == Contact("Dana Cruz", "Case manager", "(970) 555-0142")
    assert view.safety_plan_highlights == (
        "Calms down with quiet voices",
        "Prefers a female clinician",
    )
    assert view.de_escalation_tips == ("Sit down, speak slowly", "Do not crowd the doorway")
    assert view.shared_sections == (("Warning signs", "Not sleeping; stops answering the phone"),)
    # Never the parts kept private: coping and reasons for living.
    text = repr(view)
    assert "river" not in text and "daughter" not in text
    assert (
        view.prior_crisis_contacts
        == Encounter.objects.filter(person=ann, kind=EncounterKind.CRISIS).count()
    )
    assert view.last_crisis_contact == world.encounters["ann"].on_scene_at


def test_an_unshared_plan_gives_responders_nothing(world):
    plan = SafetyPlan.objects.get(person=world.persons["ann"])
    plan.share_with_responders = False
    plan.save()
    Enrollment.objects.filter(person=world.persons["ann"]).update(
        end_date=timezone.localdate() - timedelta(days=1)
    )
    view = responder_view([world.persons["ann"].pk])
    assert view.who_to_call == () and view.safety_plan_highlights == ()
    assert view.shared_sections == () and view.de_escalation_tips == ()
    assert view.engaged_in_care is False
    empty = responder_view([])
    assert empty.prior_crisis_contacts == 0 and empty.last_crisis_contact is None


def test_the_plan_page_is_clinical(world, login):
    url = reverse("care:safety_plan", args=[world.persons["ann"].pk])
    page = login("clinician").get(url).content.decode()
    assert "Walks by the river" in page and "Share this part with responders" in page
    response = login("clinician").post(
        url,
        {**SECTIONS, "shared": ["warning_signs"], "share": "1", "signed_by": "Ann Alder",
         "responder_highlights": "Quiet voices"},
    )  # fmt: skip
    assert response.status_code == 302
    plan = SafetyPlan.objects.get(person=world.persons["ann"])
    assert plan.sections["warning_signs"] == "Stops eating" and plan.shared_sections == [
        "warning_signs"
    ]
    # The officer cannot open the clinic's record at all (404, like a missing person).
    assert login("officer").get(url).status_code == 404
    # The clinic's auditor may see the record but not its clinical plan.
    audit = login("auditor").get(url).content.decode()
    assert "Withheld:" in audit and "Stops eating" not in audit
