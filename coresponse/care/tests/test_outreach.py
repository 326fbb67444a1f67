"""Frequent clients (N or more crisis encounters in D days; linked records are one human),
their last contact and long-term care, and outreach visits planned and then recorded from the
field app as encounters of kind outreach."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from coresponse.care import selectors, services
from coresponse.care.models import OutreachStatus, OutreachVisit
from coresponse.dispatch.selectors import AsOf
from coresponse.field.models import Encounter, EncounterKind
from coresponse.field.tests.world import LAST_DAY
from coresponse.people.models import IdentityLink, LinkStatus, Person


def crises(world, person, count, start_days=10):
    for i in range(count):
        on_scene = LAST_DAY - timedelta(days=start_days + 7 * i)
        Encounter.objects.create(
            external_id=f"EX-{person.pk}-{i}-{start_days}",
            person=person,
            program=world.programs["ride-along"],
            kind=EncounterKind.CRISIS,
            on_scene_at=on_scene,
        )


def now() -> AsOf:
    return AsOf(timezone.now(), False)


def test_linked_records_count_as_one_human(world, settings):
    ann = world.persons["ann"]  # the clinic's record, one crisis already
    twin = Person.objects.create(
        external_id="P-ann-pd", agency=world.agencies["riverton-pd"], first_name="Anne",
        last_name="Alder",
    )  # fmt: skip
    crises(world, twin, 2)  # 1 + 2 = 3 crises, only if the records are one human
    clinician = world.users["clinician"]
    assert selectors.frequent_clients(clinician, now()) == []
    link = IdentityLink.objects.create(person_a=ann, person_b=twin, score=0.97)
    rows = selectors.frequent_clients(clinician, now())
    assert len(rows) == 1 and rows[0].crises == 3
    assert rows[0].person == ann  # the record the clinic may name
    assert rows[0].enrolled is True and rows[0].enrolled_with == ["Cedar Psychiatry"]
    link.status, link.decided_at = LinkStatus.REJECTED, timezone.now()
    link.save()
    assert selectors.frequent_clients(clinician, now()) == []
    # N is configurable.
    settings.CORESPONSE_FREQUENT_CLIENT_ENCOUNTERS = 2
    assert [r.person for r in selectors.frequent_clients(clinician, now())] == [twin]
    assert selectors.frequent_clients(clinician, now(), minimum=4) == []


def test_last_contact_includes_follow_ups_and_outreach(world):
    pete = world.persons["pete"]
    crises(world, pete, 3, start_days=40)
    rows = selectors.frequent_clients(world.users["officer"], now())
    (row,) = [r for r in rows if r.person == pete]
    assert row.last_contact >= row.last_crisis
    assert row.enrolled is False  # Riverton PD may see that he is not in care


def test_plan_an_outreach_visit_and_record_it_in_the_field(world, login):
    ann = world.persons["ann"]
    crises(world, ann, 3)
    client = login("casemanager")
    page = client.get(reverse("care:outreach")).content.decode()
    assert "Ann Alder" in page and "4 crises" in page and "In care" in page
    when = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0)
    client.post(
        reverse("care:plan_outreach"),
        {"person": ann.pk, "program": world.programs["ride-along"].pk,
         "scheduled_for": when.strftime("%Y-%m-%dT%H:%M"),
         "assigned_to": world.users["peer"].pk, "purpose": "Check in"},
    )  # fmt: skip
    visit = OutreachVisit.objects.get(person=ann)
    assert visit.assigned_to == world.users["peer"] and visit.status == OutreachStatus.PLANNED
    assert "Check in" in client.get(reverse("care:outreach")).content.decode()
    # The peer's field app lists it; recording it makes an encounter of kind outreach.
    peer = login("peer")
    listed = peer.get("/api/v1/field/outreach/").json()["visits"]
    assert [v["id"] for v in listed] == [visit.pk] and listed[0]["person"] == "Ann Alder"
    result = services.submit_field_record(
        world.users["peer"],
        {"client_id": "7b0c1e4e-5f0a-4c55-9b6b-0f3a8c4d2e11", "outreach_visit": visit.pk,
         "values": {"services": ["peer_support"], "disposition": "resolved_on_scene"}},
    )  # fmt: skip
    visit.refresh_from_db()
    assert result.encounter.kind == EncounterKind.OUTREACH and result.encounter.person == ann
    assert visit.status == OutreachStatus.DONE and visit.encounter == result.encounter
    assert peer.get("/api/v1/field/outreach/").json()["visits"] == []


def test_enroll_from_the_outreach_list(world, login):
    pete_like = world.persons["ann"]
    services.end_enrollment(
        world.users["clinician"], pete_like.enrollments.get(), end_date=timezone.localdate()
        - timedelta(days=1)
    )  # fmt: skip
    client = login("casemanager")
    client.post(
        reverse("care:enroll", args=[pete_like.pk]),
        {"provider": "Cedar BHC Case Management", "service_type": "case_management"},
    )
    assert pete_like.enrollments.filter(end_date__isnull=True).get().provider == (
        "Cedar BHC Case Management"
    )
