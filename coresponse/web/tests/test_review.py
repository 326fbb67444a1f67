"""Clerical review of identity links: who may review, what they see (identity of both records,
nothing clinical), decisions audited and kept, htmx swapping in the next pair, splitting."""

from datetime import date

import pytest
from django.utils import timezone

from coresponse.people import services
from coresponse.people.identity import humans
from coresponse.people.models import IdentityLink, LinkStatus, Person
from coresponse.privacy.models import AuditEvent
from coresponse.web.tests.factories import USERS


def make_link(a, b, score, status=LinkStatus.REVIEW):
    a, b = sorted((a.pk, b.pk))
    decided = timezone.now() if status in (LinkStatus.CONFIRMED, LinkStatus.REJECTED) else None
    return IdentityLink.objects.create(
        person_a_id=a, person_b_id=b, score=score, status=status, decided_at=decided
    )


def second_record(w, key, agency, first, last, dob=None, phone="555-0100", address="100 Main St"):
    return services.create_person(
        external_id=f"P-{key}", agency=w.agencies[agency], first_name=first, last_name=last,
        dob=dob, phone=phone, address=address,
    )  # fmt: skip


@pytest.fixture
def pairs(county):
    """Pairs waiting for review: two at the clinic, one at the police, one across the two."""
    w = county
    ann = w.persons["ann"]
    Person.objects.filter(pk=ann.pk).update(dob=date(1980, 4, 5))
    ann.refresh_from_db()
    services.apply_keys(ann)
    ann.save()
    anne = second_record(w, "anne", "cedar-bhc", "Anne", "Alder", date(1980, 5, 4))
    annie = second_record(w, "annie", "cedar-bhc", "Annie", "Alder", date(1980, 4, 5))
    pete = w.persons["pete"]
    peter = second_record(w, "peter", "riverton-pd", "Peter", "Pine", phone="555-0100")
    return {
        "clinic": make_link(ann, anne, 0.81),
        "clinic2": make_link(anne, annie, 0.66),
        "police": make_link(pete, peter, 0.7),
        "across": make_link(ann, pete, 0.6),
        "records": {"ann": ann, "anne": anne, "annie": annie, "pete": pete, "peter": peter},
    }


REVIEWERS = {"admin", "supervisor"}


@pytest.mark.parametrize("username", sorted(USERS))
def test_only_reviewers_have_a_queue(login, pairs, username):
    client = login(username)
    response = client.get("/review/")
    assert response.status_code == (200 if username in REVIEWERS else 404)
    home = client.get("/").content.decode()
    assert ('href="/review/"' in home) == (username in REVIEWERS)


@pytest.mark.parametrize(
    ("username", "pair", "status"),
    [
        ("admin", "clinic", 200),  # both records held by the admin's agency
        ("admin", "police", 404),  # neither visible
        ("admin", "across", 404),  # one of the two is another agency's
        ("supervisor", "police", 200),
        ("supervisor", "clinic", 404),
        ("clinician", "clinic", 404),  # sees the records, but does not review
        ("auditor", "clinic", 404),
    ],
)
def test_a_pair_is_shown_only_when_both_records_are_visible(login, pairs, username, pair, status):
    link = pairs[pair]
    response = login(username).get(f"/review/pairs/{link.pk}/")
    assert response.status_code == status
    missing = login(username).get("/review/pairs/999999/")
    assert missing.status_code == 404  # the same answer as for a pair one may not see


def test_the_pair_page_shows_identity_side_by_side_and_nothing_clinical(login, pairs):
    link = pairs["clinic"]
    page = login("admin").get(f"/review/pairs/{link.pk}/").content.decode()
    assert "Anne" in page and "Alder" in page and "Apr 5, 1980" in page and "May 4, 1980" in page
    assert "day and month swapped" in page  # the level, in words
    assert "times more likely" in page  # the weights explained
    assert "compare-agree" in page and "compare-close" in page
    assert "NOTE-ann" not in page  # no clinical or substance-use note ever
    reads = AuditEvent.objects.filter(action="read", detail__startswith="identity review")
    assert {tuple(e.person_ids) for e in reads} == {(link.person_a_id,), (link.person_b_id,)}


def test_the_queue_shows_the_most_probable_visible_pair_first(login, pairs):
    page = login("admin").get("/review/").content.decode()
    assert f"/review/pairs/{pairs['clinic'].pk}/decide/" in page
    assert f"/review/pairs/{pairs['across'].pk}/" not in page
    assert "Waiting" in page


def test_a_decision_is_audited_and_the_next_pair_swaps_in(login, pairs):
    client = login("admin")
    link = pairs["clinic"]
    before = len(set(humans([link.person_a_id, link.person_b_id]).values()))
    response = client.post(
        f"/review/pairs/{link.pk}/decide/", {"decision": "same"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-swap-oob="true"' in html and 'id="review-pair"' in html
    assert f"/review/pairs/{pairs['clinic2'].pk}/decide/" in html  # the next one
    assert "now count as one person" in html
    link.refresh_from_db()
    assert link.status == "confirmed" and link.decided_by.username == "admin"
    assert before == 2 and len(set(humans([link.person_a_id, link.person_b_id]).values())) == 1
    event = AuditEvent.objects.get(action="write", object_type="identity_link")
    assert event.actor.username == "admin" and event.object_id == str(link.pk)
    assert sorted(event.person_ids) == [link.person_a_id, link.person_b_id]


def test_reject_and_skip_without_javascript(login, pairs):
    client = login("admin")
    skip = client.post(f"/review/pairs/{pairs['clinic'].pk}/decide/", {"decision": "skip"})
    assert skip.status_code == 302 and skip["Location"] == "/review/"
    page = client.get("/review/").content.decode()
    assert f"/review/pairs/{pairs['clinic2'].pk}/decide/" in page  # the skipped one waits
    client.post(f"/review/pairs/{pairs['clinic2'].pk}/decide/", {"decision": "different"})
    pairs["clinic2"].refresh_from_db()
    assert pairs["clinic2"].status == "rejected"
    pairs["clinic"].refresh_from_db()
    assert pairs["clinic"].status == "review"
    bad = client.post(f"/review/pairs/{pairs['clinic'].pk}/decide/", {"decision": "maybe"})
    assert bad.status_code == 400
    other = login("supervisor").post(
        f"/review/pairs/{pairs['clinic'].pk}/decide/", {"decision": "same"}
    )
    assert other.status_code == 404


def test_split_off_a_record_from_a_cluster(login, pairs):
    r = pairs["records"]
    client = login("admin")
    for key in ("clinic", "clinic2"):
        services.decide(pairs[key], LinkStatus.CONFIRMED, None)
    assert len(set(humans([r["ann"].pk, r["anne"].pk, r["annie"].pk]).values())) == 1
    page = client.get(f"/review/people/{r['ann'].pk}/").content.decode()
    assert "3 records count as one person" in page
    assert "you may not see" not in page
    response = client.post(f"/review/people/{r['ann'].pk}/split/", {"move": [r["annie"].pk]})
    assert response.status_code == 302
    result = humans([r["ann"].pk, r["anne"].pk, r["annie"].pk])
    assert result[r["ann"].pk] == result[r["anne"].pk] != result[r["annie"].pk]
    assert AuditEvent.objects.filter(action="write", object_type="identity_link").count() == 1
    nothing = client.post(f"/review/people/{r['ann'].pk}/split/", {})
    assert nothing.status_code == 302
    assert login("officer").get(f"/review/people/{r['pete'].pk}/").status_code == 404
