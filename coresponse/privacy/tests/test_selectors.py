"""The person selectors: which records, which categories, and the audit event of each read."""

import pytest
from django.http import Http404

from coresponse.agencies.models import Agency, AgencyKind, Membership, Role, User
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.selectors import (
    _ids_detail,
    decide_all,
    disclose_person,
    label_persons,
    memberships,
    person_for,
    search_persons,
    visible_persons,
)

C = DataCategory
pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    bhc = Agency.objects.create(
        external_id="bhc", name="Cedar BHC", kind=AgencyKind.BEHAVIORAL_HEALTH
    )
    pd = Agency.objects.create(
        external_id="pd", name="Riverton PD", kind=AgencyKind.LAW_ENFORCEMENT
    )
    so = Agency.objects.create(external_id="so", name="Sheriff", kind=AgencyKind.LAW_ENFORCEMENT)
    persons = {
        "ann": Person.objects.create(
            external_id="a", agency=bhc, first_name="Ann", last_name="Alder"
        ),
        "pete": Person.objects.create(
            external_id="p", agency=pd, first_name="Pete", last_name="Pine"
        ),
        "sam": Person.objects.create(
            external_id="s", agency=so, first_name="Sam", last_name="Spruce"
        ),
    }
    return {"bhc": bhc, "pd": pd, "so": so}, persons


def member(username, *pairs):
    user = User.objects.create(username=username)
    for agency, role in pairs:
        Membership.objects.create(user=user, agency=agency, role=role)
    return User.objects.get(pk=user.pk)


def test_visible_persons_are_those_of_the_users_agencies(county):
    agencies, persons = county
    clinician = member("c", (agencies["bhc"], Role.CLINICIAN))
    assert list(visible_persons(clinician)) == [persons["ann"]]
    both = member("b", (agencies["bhc"], Role.CASE_MANAGER), (agencies["pd"], Role.OFFICER))
    assert set(visible_persons(both)) == {persons["ann"], persons["pete"]}
    nobody = member("n")
    assert not visible_persons(nobody).exists()


def test_search_by_name_words_or_record_id(county):
    agencies, persons = county
    user = member("b", (agencies["bhc"], Role.CLINICIAN), (agencies["pd"], Role.OFFICER))
    assert list(search_persons(user, "ann ald")) == [persons["ann"]]
    assert list(search_persons(user, "PINE")) == [persons["pete"]]
    assert list(search_persons(user, "p")) == [persons["pete"]]  # id, or a name containing p
    assert list(search_persons(user, "spruce")) == []  # another agency's record


def test_person_for_refuses_other_agencies_exactly_like_a_missing_id(county):
    agencies, persons = county
    officer = member("o", (agencies["pd"], Role.OFFICER))
    assert person_for(officer, persons["pete"].pk) == persons["pete"]
    with pytest.raises(Http404) as hidden:
        person_for(officer, persons["ann"].pk)
    with pytest.raises(Http404) as missing:
        person_for(officer, 987654)
    assert str(hidden.value) == str(missing.value)
    refused = AuditEvent.objects.filter(actor=officer, categories=[])
    assert refused.count() == 2  # both refusals are accounted for, identically
    assert {e.detail for e in refused} == {"refused: no such record or not visible to the viewer"}


def test_disclose_person_explains_each_category_and_audits_what_is_shown(county):
    agencies, persons = county
    officer = member("o", (agencies["pd"], Role.OFFICER))
    disclosure = disclose_person(officer, persons["pete"], detail="test read")
    assert disclosure.allows(C.IDENTITY) and disclosure.allows(C.CRIMINAL_JUSTICE)
    assert not disclosure.allows(C.MENTAL_HEALTH)
    assert not disclosure.allows(C.SUBSTANCE_USE)
    assert all(disclosure.get(c).reason for c in C.values)
    event = AuditEvent.objects.latest("id")
    assert event.actor == officer and event.action == "read"
    assert (event.object_type, event.object_id, event.detail) == (
        "person",
        str(persons["pete"].pk),
        "test read",
    )
    assert event.categories == sorted([C.CONTACT_PLAN, C.CRIMINAL_JUSTICE, C.IDENTITY])


def test_label_persons_names_own_records_and_says_who_holds_the_rest(county):
    agencies, persons = county
    officer = member("o", (agencies["pd"], Role.OFFICER))
    labels = label_persons(officer, [persons["pete"], persons["ann"], None], detail="list")
    assert labels[persons["pete"].pk].text == "Pete Pine"
    assert labels[persons["ann"].pk].text == "Person record held by Cedar BHC"
    assert not labels[persons["ann"].pk].shown
    event = AuditEvent.objects.latest("id")
    assert event.categories == [C.IDENTITY]
    assert event.detail == f"list: persons {persons['pete'].pk}"


def test_label_persons_writes_nothing_when_no_name_is_shown(county):
    agencies, persons = county
    officer = member("o", (agencies["pd"], Role.OFFICER))
    label_persons(officer, [persons["ann"]], detail="list")
    assert not AuditEvent.objects.exists()


def test_long_id_lists_are_cut_to_the_audit_detail_limit():
    detail = _ids_detail("people list page 1", list(range(100000, 100200)))
    assert len(detail) <= 500
    assert detail.endswith("more)")


def test_unowned_data_is_decided_for_the_fallback_agencies(county):
    agencies, _ = county
    clinician = member("c", (agencies["bhc"], Role.CLINICIAN))
    decisions = decide_all(
        clinician, None, [C.MENTAL_HEALTH], [agencies["pd"].pk, agencies["bhc"].pk]
    )
    assert decisions[C.MENTAL_HEALTH].allowed
    officer = member("o", (agencies["pd"], Role.OFFICER))
    decisions = decide_all(
        officer, None, [C.MENTAL_HEALTH], [agencies["pd"].pk, agencies["bhc"].pk]
    )
    assert not decisions[C.MENTAL_HEALTH].allowed
    assert not decide_all(officer, None, [C.IDENTITY], [])[C.IDENTITY].allowed


def test_the_viewers_standing_is_loaded_once(county, django_assert_num_queries):
    agencies, _ = county
    user = member("b", (agencies["bhc"], Role.CLINICIAN), (agencies["pd"], Role.OFFICER))
    # Memberships with their agencies, agreements in force, programs, open break-glass.
    with django_assert_num_queries(4):
        first = memberships(user)
    with django_assert_num_queries(0):
        again = memberships(user)
        visible_persons(user)  # builds the queryset without touching the database
        names = [m.agency.name for m in again]
    assert first == again and names == ["Cedar BHC", "Riverton PD"]
