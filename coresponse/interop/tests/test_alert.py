"""The responder crisis alert: the person found across agencies despite typos, nicknames and
swapped dates; only what the policy lets responders see comes out; a record held back answers
exactly like no record; every lookup is audited."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from coresponse.agencies.models import Agency, AgencyKind, Membership, Program, Role, User
from coresponse.care.models import Enrollment, SafetyPlan
from coresponse.field.models import Encounter, EncounterKind
from coresponse.interop.alert import lookup
from coresponse.people.models import IdentityLink, LinkStatus
from coresponse.people.services import create_person
from coresponse.privacy.models import AuditEvent, Purpose
from coresponse.privacy.services import record_consent, revoke_consent, save_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    clinic = Agency.objects.create(
        external_id="bhc", name="Clinic", kind=AgencyKind.BEHAVIORAL_HEALTH
    )
    police = Agency.objects.create(external_id="pd", name="Police", kind=AgencyKind.LAW_ENFORCEMENT)
    ems = Agency.objects.create(external_id="ems", name="EMS", kind=AgencyKind.EMS)
    program = Program.objects.create(external_id="p", name="Co-responders", model="ride_along")
    program.agencies.set([clinic, police])
    robert = create_person(
        external_id="bhc-1", agency=clinic, first_name="Robert", last_name="Smith",
        dob=date(1974, 3, 2), phone="970-555-0142", address="12 Elm St, Riverton",
    )  # fmt: skip
    bob = create_person(
        external_id="pd-1", agency=police, first_name="Bob", last_name="Smith",
        dob=date(1974, 3, 2), address="12 Elm Street",
    )  # fmt: skip
    IdentityLink.objects.create(
        person_a=min(robert, bob, key=lambda p: p.pk),
        person_b=max(robert, bob, key=lambda p: p.pk),
        score=0.99,
        status=LinkStatus.CONFIRMED,
        decided_at=timezone.now(),
    )
    Enrollment.objects.create(
        external_id="en-1", person=robert, provider="Cedar Outpatient",
        service_type="outpatient_mh", start_date=timezone.localdate() - timedelta(days=90),
    )  # fmt: skip
    SafetyPlan.objects.create(
        person=robert,
        share_with_responders=True,
        responder_highlights="Calms down when spoken to slowly\nLikes to sit outside",
        de_escalation_tips="Ask about his dog, Max",
        contact_name="Dana Ruiz",
        contact_role="Counselor",
        contact_phone="970-555-0199",
        sections={"warning_signs": "Not sleeping", "reasons_for_living": "His daughter"},
        shared_sections=["reasons_for_living"],
    )
    Encounter.objects.create(
        external_id="e-1", person=robert, program=program, kind=EncounterKind.CRISIS,
        on_scene_at=timezone.now() - timedelta(days=20), weapon_present=True,
    )  # fmt: skip
    officer = User.objects.create(username="officer", first_name="Marcus")
    Membership.objects.create(user=officer, agency=police, role=Role.OFFICER)
    medic = User.objects.create(username="medic")
    Membership.objects.create(user=medic, agency=ems, role=Role.PARAMEDIC)
    return {"clinic": clinic, "police": police, "robert": robert, "bob": bob,
            "officer": officer, "medic": medic}  # fmt: skip


def mou(county, to="police"):
    return save_agreement(
        title="Co-responder MOU",
        from_agency=county["clinic"],
        to_agency=county[to],
        categories=["identity", "contact_plan"],
        purposes=[Purpose.EMERGENCY_RESPONSE],
        effective_from=timezone.localdate() - timedelta(days=10),
    )


def fresh(user):
    return User.objects.get(pk=user.pk)  # the next request: no cached standing


def test_an_officer_finds_the_person_despite_a_nickname_and_swapped_date(county):
    mou(county)
    alert = lookup(
        county["officer"], first_name="Bobby", last_name="Smyth", dob=date(1974, 2, 3)
    )  # the PD's own record says "Bob"; the caller swapped day and month
    assert alert.found and alert.records == 2
    assert alert.engaged_in_care and alert.care_providers == ["Cedar Outpatient"]
    assert [c.phone for c in alert.who_to_call] == ["970-555-0199"]
    assert alert.safety_plan_highlights == [
        "Calms down when spoken to slowly",
        "Likes to sit outside",
    ]
    assert alert.de_escalation_tips == ["Ask about his dog, Max"]
    reasons = SafetyPlan.SECTION_LABELS["reasons_for_living"]
    assert alert.shared_plan_sections == [(reasons, "His daughter")]
    assert "Not sleeping" not in str(alert.as_dict())  # a section the person did not share
    assert alert.prior_crisis_contacts == 1
    assert alert.responder_safety and "weapon" in alert.responder_safety[0]
    assert any("Co-responder MOU" in reason for reason in alert.shown_because)


def test_the_alert_reads_dates_and_safety_notes_as_stored(county):
    """The hot path's hand-written SQL reads back what the ORM would: aware datetimes, dates,
    and the responder-safety window (a weapon 20 days ago counts, an injury 400 days ago not)."""
    mou(county)
    robert = county["robert"]
    weapon = Encounter.objects.get(external_id="e-1")
    Encounter.objects.create(
        external_id="e-2", person=robert, program=weapon.program, kind=EncounterKind.CRISIS,
        on_scene_at=timezone.now() - timedelta(days=400), injuries=True,
    )  # fmt: skip
    alert = lookup(county["officer"], first_name="Robert", last_name="Smith", dob=robert.dob)
    assert alert.prior_crisis_contacts == 2
    assert alert.last_crisis_contact == weapon.on_scene_at  # aware, to the microsecond
    assert alert.dob == date(1974, 3, 2)
    assert alert.responder_safety == [
        "A weapon was present at 1 crisis contact in the last 12 months "
        f"(last {timezone.localtime(weapon.on_scene_at):%b %-d, %Y})."
    ]


def test_a_lookup_is_a_dozen_statements(county, django_assert_max_num_queries):
    """Matching, cluster, records, consents, the care view, the audit write: each one round
    trip (the audit's lock, head and entry three), none per record of the human."""
    mou(county)
    for n in range(3, 8):  # a bigger human: more records must not mean more statements
        extra = create_person(
            external_id=f"ems-{n}", agency=county["clinic"], first_name="Robert",
            last_name="Smith", dob=date(1974, 3, 2),
        )  # fmt: skip
        IdentityLink.objects.create(
            person_a=county["robert"], person_b=extra, score=0.99, status=LinkStatus.AUTO
        )
    lookup(county["officer"], last_name="Smith", dob=date(1974, 3, 2))  # caches: model, terms
    officer = fresh(county["officer"])
    with django_assert_max_num_queries(13):
        alert = lookup(officer, last_name="Smith", dob=date(1974, 3, 2))
    assert alert.found and alert.records == 7


def test_without_agreement_or_consent_the_answer_is_the_same_as_for_nobody(county):
    held_back = lookup(
        county["medic"], first_name="Robert", last_name="Smith", dob=date(1974, 3, 2)
    )
    nobody = lookup(county["medic"], first_name="Zed", last_name="Nobody", dob=date(1990, 1, 1))
    assert held_back.as_dict() == nobody.as_dict() == {**nobody.as_dict(), "found": False}


def test_the_persons_consent_opens_it_and_revoking_closes_it_at_once(county):
    consent = record_consent(
        person=county["robert"],
        to_class="crisis_responders",
        categories=["contact_plan"],
        purposes=[Purpose.EMERGENCY_RESPONSE],
        signed_at=timezone.now() - timedelta(days=3),
        expires_at=timezone.now() + timedelta(days=300),
        kind="program",
        by=None,
    )
    alert = lookup(county["medic"], last_name="Smith", phone="(970) 555-0142")
    assert alert.found and alert.name == ""  # the contact plan, not the identity
    assert alert.records == 1 and alert.who_to_call
    revoke_consent(consent, by=None)
    assert not lookup(fresh(county["medic"]), last_name="Smith", phone="9705550142").found


def test_every_lookup_is_audited_with_what_it_showed(county):
    mou(county)
    lookup(county["officer"], first_name="Robert", last_name="Smith", dob=date(1974, 3, 2))
    lookup(county["officer"], first_name="Zed", last_name="Nobody")
    shown, empty = AuditEvent.objects.filter(action="lookup").order_by("id")
    assert shown.actor == county["officer"] and shown.purpose == "emergency_response"
    assert sorted(shown.person_ids) == sorted([county["robert"].pk, county["bob"].pk])
    assert shown.categories == ["contact_plan"] and "2 records shown" in shown.detail
    assert empty.person_ids == [] and "nothing shown" in empty.detail


def test_the_api_takes_any_subset_and_refuses_none(county, client):
    mou(county)
    client.force_login(county["officer"])
    response = client.post(
        "/api/v1/alerts/lookup",
        {"last_name": "Smith", "dob": "1974-03-02"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["found"] and body["who_to_call"][0]["name"] == "Dana Ruiz"
    assert [s["text"] for s in body["shared_plan_sections"]] == ["His daughter"]
    empty = client.post("/api/v1/alerts/lookup", {}, content_type="application/json")
    assert empty.status_code == 400
    client.logout()
    assert client.post("/api/v1/alerts/lookup", {"last_name": "Smith"}).status_code in (401, 403)
