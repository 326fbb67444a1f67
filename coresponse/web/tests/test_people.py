"""People pages: only the viewer's agency's records, 404 like a missing id, every read audited."""

import pytest
from django.urls import reverse

from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditEvent

C = DataCategory


def body(response) -> str:
    return response.content.decode()


def detail(client, person):
    return client.get(reverse("person_detail", args=[person.pk]))


@pytest.mark.parametrize(
    "username,shown,hidden",
    [
        ("officer", ["Pete Pine"], ["Ann Alder", "Sam Spruce", "Eve Elm", "Carl Cedar"]),
        ("deputy", ["Sam Spruce"], ["Ann Alder", "Pete Pine", "Eve Elm"]),
        ("clinician", ["Ann Alder"], ["Pete Pine", "Sam Spruce", "Eve Elm", "Carl Cedar"]),
        ("paramedic", ["Eve Elm"], ["Ann Alder", "Pete Pine"]),
        ("dispatcher", ["Carl Cedar"], ["Ann Alder", "Pete Pine"]),
    ],
)
def test_the_list_never_includes_other_agencies_persons(login, username, shown, hidden):
    page = body(login(username).get(reverse("person_list")))
    for name in shown:
        assert name in page
    for name in hidden:
        assert name not in page


def test_search_by_name(login):
    client = login("clinician")
    assert "Ann Alder" in body(client.get(reverse("person_list"), {"q": "alder"}))
    assert "Ann Alder" not in body(client.get(reverse("person_list"), {"q": "pine"}))


def test_another_agencys_person_is_404_exactly_like_a_missing_id(login, county):
    client = login("officer")
    hidden = detail(client, county.persons["ann"])
    missing = client.get(reverse("person_detail", args=[Person.objects.latest("id").pk + 100]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")


@pytest.mark.parametrize(
    "username,person,categories",
    [
        ("clinician", "ann", {C.IDENTITY, C.CONTACT_PLAN, C.MENTAL_HEALTH, C.SUBSTANCE_USE}),
        ("casemanager", "ann", {C.IDENTITY, C.CONTACT_PLAN, C.MENTAL_HEALTH, C.SUBSTANCE_USE}),
        ("peer", "ann", {C.IDENTITY, C.CONTACT_PLAN, C.MENTAL_HEALTH}),
        ("auditor", "ann", {C.IDENTITY, C.CONTACT_PLAN}),
        ("officer", "pete", {C.IDENTITY, C.CONTACT_PLAN}),
        ("paramedic", "eve", {C.IDENTITY, C.CONTACT_PLAN}),
    ],
)
def test_every_person_read_is_audited_with_actor_and_categories(
    login, county, username, person, categories
):
    before = AuditEvent.objects.count()
    response = detail(login(username), county.persons[person])
    assert response.status_code == 200
    events = AuditEvent.objects.filter(action="read").order_by("-id")
    assert AuditEvent.objects.count() > before
    event = events[0]
    assert event.actor == county.users[username]
    assert (event.object_type, event.object_id) == ("person", str(county.persons[person].pk))
    assert set(event.categories) == categories


def test_part2_referrals_and_enrollments_are_for_treating_staff_only(login, county):
    ann = county.persons["ann"]
    page = body(detail(login("casemanager"), ann))
    assert "Cedar Recovery" in page and "Cedar Detox" in page
    assert "Cedar Psychiatry" in page and "Harbor House" in page
    page = body(detail(login("peer"), ann))
    assert "Cedar Recovery" not in page and "Cedar Detox" not in page
    assert "Cedar Psychiatry" in page and "Harbor House" in page
    assert "1 referral withheld (Substance use (42 CFR Part 2))" in page
    page = body(detail(login("auditor"), ann))
    assert "Cedar Psychiatry" not in page and "Pine Clinic" not in page
    assert "Harbor House" in page
    assert "Why can I see this?" in page


def test_person_page_shows_identity_encounters_and_followups(login, county):
    page = body(detail(login("clinician"), county.persons["ann"]))
    assert "Ann Alder" in page and "100 Main St" in page
    assert "E-ann" in page
    assert "Connected to care" in page
    assert "Cedar Behavioral Health Center holds this record (identity)" in page


def test_list_reads_are_audited_once_per_page(login, county):
    login("clinician").get(reverse("person_list"))
    event = AuditEvent.objects.filter(action="read").latest("id")
    assert event.categories == [C.IDENTITY]
    assert event.detail == f"people list page 1: persons {county.persons['ann'].pk}"


def test_list_query_count_does_not_grow_with_rows(login, county, django_assert_max_num_queries):
    client = login("clinician")
    url = reverse("person_list")
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    agency = county.agencies["cedar-bhc"]
    Person.objects.bulk_create(
        Person(external_id=f"bulk-{i}", agency=agency, first_name="Bulk", last_name=f"P{i:02}")
        for i in range(45)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert body(client.get(url)).count("Bulk P") == 45


def test_home_query_counts_do_not_grow_with_rows(login, county, django_assert_max_num_queries):
    """The worklists read a page of rows with their persons in a fixed number of queries."""
    from coresponse.care.models import FollowUp

    client = login("casemanager")
    client.get(reverse("home"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("home"))
    ann = county.persons["ann"]
    FollowUp.objects.bulk_create(
        FollowUp(external_id=f"F-bulk-{i}", person=ann, due_at=county.calls["ann"].received_at)
        for i in range(20)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))
