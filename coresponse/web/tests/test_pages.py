"""Every page for every role through real HTTP, sign-in and sign-out, and each role's home."""

import pytest
from django.urls import reverse

from coresponse.dispatch.selectors import visible_calls
from coresponse.field.selectors import visible_encounters
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.selectors import visible_persons
from coresponse.web.tests.factories import PASSWORD, USERS, build_county

HEADINGS = {
    "dispatcher": "Dispatch board",
    "officer": "Recent encounters",
    "deputy": "Recent encounters",
    "clinician": "Clinical worklist",
    "paramedic": "Your team&#x27;s encounters",
    "peer": "Your team&#x27;s encounters",
    "casemanager": "Follow-up worklist",
    "supervisor": "Last 30 days at a glance",
    "manager": "Last 30 days at a glance",
    "admin": "Agency administration",
    "auditor": "Audit trail",
}


def body(response) -> str:
    return response.content.decode()


def test_every_demo_user_has_a_heading():
    assert set(HEADINGS) == set(USERS)


@pytest.mark.parametrize("username", sorted(USERS))
def test_every_page_renders_for_every_role(login, county, username):
    client = login(username)
    user = county.users[username]
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert f"<h1>{HEADINGS[username]}</h1>" in body(home)
    assert "Sign out" in body(home) and "Skip to content" in body(home)

    pages = [
        reverse("dispatch:call_list"),
        reverse("field:encounter_list"),
        reverse("person_list"),
    ]
    call = visible_calls(user).first()
    if call:
        pages.append(reverse("dispatch:call_detail", args=[call.pk]))
    encounter = visible_encounters(user).filter(person__isnull=False).first()
    if encounter:
        pages.append(reverse("field:encounter_detail", args=[encounter.pk]))
    person = visible_persons(user).first()
    assert person is not None, "every demo user's agency holds a person record"
    pages.append(reverse("person_detail", args=[person.pk]))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'id="main"' in body(response)


@pytest.mark.parametrize(
    "url",
    ["/", "/calls/", "/calls/1/", "/encounters/", "/encounters/1/", "/people/", "/people/1/"],
)
def test_pages_need_a_signed_in_user(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_in_shows_the_system_use_notice_and_lands_home(client, db):
    build_county(usable_passwords=True)
    page = body(client.get(reverse("login")))
    assert "Authorized users only." in page
    assert "criminal justice information and protected health information" in page
    response = client.post(
        reverse("login"), {"username": "clinician", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "<h1>Clinical worklist</h1>" in body(response)
    assert AuditEvent.objects.filter(action="login", detail="signed in (password)").count() == 1


def test_a_wrong_password_is_refused_and_logged(client, db):
    build_county(usable_passwords=True)
    response = client.post(reverse("login"), {"username": "officer", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in body(response)
    assert AuditEvent.objects.filter(action="login_failed", detail="wrong password").exists()


def test_sign_out_is_a_post(login):
    client = login("officer")
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_the_top_bar_names_the_user_role_and_agency(login):
    page = body(login("officer").get(reverse("home")))
    assert "Marcus Hale" in page
    assert "Officer · Riverton Police Department" in page
    assert 'aria-current="page"' in page


def test_dispatchers_get_no_encounters_link(login):
    page = body(login("dispatcher").get(reverse("home")))
    assert reverse("field:encounter_list") not in page
    assert reverse("dispatch:call_list") in page


def test_homes_anchor_on_the_data_sets_last_day(login):
    page = body(login("dispatcher").get(reverse("home")))
    assert "As of October 31, 2026." in page
    assert "C-waiting" in page and "C-active" in page  # the queue
    assert "Waiting" in page and "Active" in page


def test_a_user_with_several_roles_sees_the_first_and_can_switch(login, county):
    from coresponse.agencies.models import Membership, Role

    user = county.users["clinician"]
    Membership.objects.create(user=user, agency=county.agencies["cedar-bhc"], role=Role.AUDITOR)
    client = login("clinician")
    assert "<h1>Clinical worklist</h1>" in body(client.get(reverse("home")))
    switched = body(client.get(reverse("home"), {"as": "auditor"}))
    assert "<h1>Audit trail</h1>" in switched
    assert "View as" in switched
    # A role the user does not hold falls back to the first one.
    assert "<h1>Clinical worklist</h1>" in body(client.get(reverse("home"), {"as": "dispatcher"}))


def test_officer_home_reminds_that_clinical_details_are_withheld(login):
    page = body(login("officer").get(reverse("home")))
    assert "Clinical details are not shown to police roles." in page
    assert "Pete Pine" in page and "Ann Alder" not in page


def test_clinician_home_lists_crisis_encounters_followups_and_open_referrals(login):
    page = body(login("clinician").get(reverse("home")))
    assert "E-ann" in page and "Ann Alder" in page
    assert "Cedar Recovery" in page  # a Part 2 referral: clinicians treat
    assert "Food Bank" not in page  # completed, not open
    assert "County Housing" not in page  # another agency's person


def test_case_manager_worklist(login):
    page = body(login("casemanager").get(reverse("home")))
    assert "Overdue follow-ups" in page and "Overdue" in page
    assert "Ann Alder" in page and "Pete Pine" not in page
    assert "Harbor House" in page and "Cedar Recovery" in page and "Pine Clinic" in page


def test_team_home_shows_the_teams_encounters(login):
    page = body(login("paramedic").get(reverse("home")))
    assert "Street Team A" in page and "E-eve" in page and "Eve Elm" in page
    assert "E-ann" not in page  # another team's call


def test_insights_home_shows_numerators_denominators_and_an_svg_chart(login, county):
    client = login("manager")
    page = body(client.get(reverse("home")))
    assert "Without arrest" in page and "5 of 5 responses" in page
    assert "Resolved on scene" in page and "100%" in page
    assert "Median response" in page and "median of 5 timed responses" in page
    assert "<svg" in page and page.count('class="chart-bar') == 30
    assert "Show the numbers" in page
    scoped = body(client.get(reverse("home"), {"program": county.programs["scrt"].pk}))
    assert "1 of 1 responses" in scoped and "Cedar Street Crisis Team" in scoped


def test_admin_home_lists_users_roles_and_counts(login):
    page = body(login("admin").get(reverse("home")))
    for username in ("clinician", "peer", "casemanager", "manager", "admin", "auditor"):
        assert f">{username}<" in page
    assert ">officer<" not in page
    assert "Person records" in page and "in partner programs" in page and "Case manager" in page


def test_auditor_home_lists_reads_by_the_agencys_users(login, county):
    login("clinician").get(reverse("person_detail", args=[county.persons["ann"].pk]))
    login("officer").get(reverse("person_detail", args=[county.persons["pete"].pk]))
    page = body(login("auditor").get(reverse("home")))
    assert f"person #{county.persons['ann'].pk}" in page
    assert ">clinician<" in page and ">officer<" not in page


def test_insights_default_to_the_only_program_of_the_users_agency(login):
    client = login("supervisor")  # riverton-pd partners in the ride-along program only
    page = body(client.get(reverse("home")))
    assert "Riverton Co-Responder" in page and "3 of 3 responses" in page
    # "All" is all of the user's programs (insights.selectors.home): here the same one.
    every = body(client.get(reverse("home"), {"program": ""}))
    assert "all your programs" in every and "3 of 3 responses" in every
