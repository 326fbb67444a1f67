"""Who sees what on every care page and field-app endpoint: role by role, and data category by
data category (a substance-use referral is 42 CFR Part 2 data; a clinical note never reaches a
police or EMS role; a record another agency holds answers 404 like a missing one)."""

import uuid

import pytest
from django.urls import reverse

from coresponse.care import services
from coresponse.dispatch.models import Assignment
from coresponse.field.tests.world import USERS

ROLES = [*sorted(USERS), "provider"]
CLINIC = {"clinician", "peer", "casemanager", "manager", "admin", "auditor"}


def pages(world) -> dict[str, set[str]]:
    """Each page, and the users who get it (everyone else: 404, or for lists an empty one)."""
    ann = world.persons["ann"]
    overdue = ann.followups.get(external_id="F-overdue")
    return {
        reverse("care:followup_list"): set(ROLES),
        reverse("care:referral_list"): set(ROLES),
        reverse("care:referral_inbox"): set(ROLES),
        reverse("care:outreach"): set(ROLES),
        reverse("care:resource_list"): set(ROLES),
        reverse("care:resource_detail", args=[world.resources["Harbor House"].pk]): set(ROLES),
        reverse("field_app:app"): set(ROLES),
        reverse("field_app:conflicts"): set(ROLES),
        # Part 2: the clinic's treating staff, and the provider it is addressed to.
        reverse("care:referral_detail", args=[world.referrals["R-su"].pk]): {
            "clinician", "casemanager", "provider",
        },
        # A shelter referral is the contact plan: the clinic's staff may see it.
        reverse("care:referral_detail", args=[world.referrals["R-shelter"].pk]): CLINIC,
        reverse("care:followup_detail", args=[overdue.pk]): CLINIC,
        reverse("care:safety_plan", args=[ann.pk]): CLINIC,
    }  # fmt: skip


@pytest.mark.parametrize("username", ROLES)
def test_every_care_page_for_every_role(world, login, username):
    client = login(username)
    for url, allowed in pages(world).items():
        response = client.get(url)
        expected = 200 if username in allowed else 404
        assert response.status_code == expected, (url, username, response.status_code)


@pytest.mark.parametrize("url", ["/care/followups/", "/care/referrals/inbox/", "/care/resources/",
                                 "/care/outreach/", "/care/referrals/1/"])  # fmt: skip
def test_care_pages_need_a_signed_in_user(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "url",
    ["/api/v1/field/profile/", "/api/v1/field/work/", "/api/v1/care/resources/",
     "/api/v1/field/outreach/"],
)  # fmt: skip
def test_the_api_needs_a_signed_in_user(client, db, url):
    assert client.get(url).status_code == 401


def body(response) -> str:
    return response.content.decode()


def test_referral_lists_follow_the_category_of_the_service(world, login):
    clinician = body(login("clinician").get(reverse("care:referral_list"), {"show": "open"}))
    assert "Cedar Recovery" in clinician and "Harbor House" in clinician
    peer = body(login("peer").get(reverse("care:referral_list"), {"show": "open"}))
    assert "Cedar Recovery" not in peer and "Harbor House" in peer  # no Part 2 for peers
    auditor = body(login("auditor").get(reverse("care:referral_list"), {"show": "open"}))
    assert "Cedar Recovery" not in auditor and "Peer Network Drop-in" in auditor
    officer = body(login("officer").get(reverse("care:referral_list"), {"show": "open"}))
    assert "Ann Alder" not in officer and "Pete Pine" in officer  # their own agency's record


def test_the_inbox_is_the_receiving_agencys_only(world, login):
    inbox = body(login("provider").get(reverse("care:referral_inbox")))
    assert "Substance-use treatment" in inbox and "Peer support" in inbox
    assert "Shelter" not in inbox  # Harbor House is not Cedar Peer Network's
    assert "Ann Alder" not in inbox  # no consent names the provider: held by the clinic
    assert "Person record held by Cedar Behavioral Health Center" in inbox
    clinic = body(login("casemanager").get(reverse("care:referral_inbox")))
    assert "No referrals here." in clinic


def test_the_followup_worklist_follows_the_contact_plan(world, login):
    page = body(login("casemanager").get(reverse("care:followup_list")))
    assert "Ann Alder" in page and "Pete Pine" not in page
    police = body(login("officer").get(reverse("care:followup_list")))
    assert "Pete Pine" in police and "Ann Alder" not in police


def test_the_team_sees_of_a_record_only_what_each_role_may(world, login):
    active = Assignment.objects.get(call=world.calls["active"])
    services.submit_field_record(
        world.users["clinician"],
        {
            "client_id": str(uuid.uuid4()),
            "assignment": active.pk,
            "person": {"id": world.persons["ann"].pk},
            "values": {
                "presenting_concerns": ["depression", "substance_use"],
                "notes.mental_health": "CLINICAL-TEXT",
                "notes.substance_use": "PART2-TEXT",
                "notes.contact_plan": "CONTACT-TEXT",
            },
        },
    )
    seen = {}
    for username in ("clinician", "peer", "paramedic"):
        work = login(username).get("/api/v1/field/work/")
        text = work.content.decode()
        seen[username] = text
        assert work["Cache-Control"] == "no-store"
    assert "CLINICAL-TEXT" in seen["clinician"] and "PART2-TEXT" in seen["clinician"]
    assert "CLINICAL-TEXT" in seen["peer"] and "PART2-TEXT" not in seen["peer"]
    assert (
        '"substance_use"'
        not in seen["peer"].split('"withheld"')[0].split('"presenting_concerns"')[1][:60]
    )
    # The paramedic works for EMS: the clinic's record shows nothing of its person.
    assert "CLINICAL-TEXT" not in seen["paramedic"] and "CONTACT-TEXT" not in seen["paramedic"]
    assert (
        "Ann Alder" not in seen["paramedic"]
        and "Cedar Behavioral Health Center" in seen["paramedic"]
    )
    profile = login("officer").get("/api/v1/field/profile/").json()
    assert "mental_health" not in profile["writable"] and "substance_use" not in profile["writable"]
    assert "criminal_justice" in profile["writable"]
