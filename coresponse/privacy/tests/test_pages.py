"""The trust pages through HTTP: each page x each role at the agency holding the record and at
another agency; consent captured with a signature and revoked; break-glass opened, shown loudly
and reviewed; the accounting of disclosures lists who saw the record, as a page and as CSV."""

import base64
import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from coresponse.agencies.models import Agency, AgencyKind, Membership, Role, User
from coresponse.people.models import Person
from coresponse.privacy.models import AuditEvent, BreakGlass, Consent, Purpose
from coresponse.privacy.services import record_consent

pytestmark = pytest.mark.django_db
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5e5a3f30000000049454e44ae426082"
    )
).decode()


@pytest.fixture
def world():
    clinic = Agency.objects.create(
        external_id="bhc", name="Clinic", kind=AgencyKind.BEHAVIORAL_HEALTH
    )
    police = Agency.objects.create(external_id="pd", name="Police", kind=AgencyKind.LAW_ENFORCEMENT)
    person = Person.objects.create(
        external_id="p1", agency=clinic, first_name="Ana", last_name="Ruiz"
    )
    users = {}
    for agency in (clinic, police):
        for role in Role:
            user = User.objects.create(username=f"{role}-{agency.external_id}")
            Membership.objects.create(user=user, agency=agency, role=role)
            users[(role, agency.external_id)] = user
    consent = record_consent(
        person=person,
        to_agency=police,
        categories=["contact_plan"],
        purposes=[Purpose.EMERGENCY_RESPONSE],
        signed_at=timezone.now() - timedelta(days=1),
        expires_at=timezone.now() + timedelta(days=30),
        kind="program",
        document=base64.b64decode(PNG),
        document_type="image/png",
        by=None,
    )
    return {
        "clinic": clinic,
        "police": police,
        "person": person,
        "users": users,
        "consent": consent,
    }


CONSENT_ROLES = {
    Role.CLINICIAN, Role.CASE_MANAGER, Role.PEER_SPECIALIST, Role.PARAMEDIC, Role.SUPERVISOR,
    Role.AGENCY_ADMIN,
}  # fmt: skip
ACCOUNTING_ROLES = {Role.AUDITOR, Role.AGENCY_ADMIN}
BREAK_GLASS_ROLES = {Role.CLINICIAN, Role.PARAMEDIC, Role.SUPERVISOR}


def pages(world):
    pk, consent = world["person"].pk, world["consent"].pk
    return {
        "consents": (f"/privacy/people/{pk}/consents/", CONSENT_ROLES, False),
        "consent form": (f"/privacy/consents/{consent}/document/", CONSENT_ROLES, False),
        "accounting": (f"/privacy/people/{pk}/accounting/", ACCOUNTING_ROLES, False),
        "accounting csv": (f"/privacy/people/{pk}/accounting/?format=csv", ACCOUNTING_ROLES, False),
        "break-glass": (f"/privacy/people/{pk}/break-glass/", BREAK_GLASS_ROLES, False),
        "reviews": ("/privacy/break-glass/review/", {Role.AUDITOR}, True),
        "audit log": ("/privacy/audit/", {Role.AUDITOR}, True),
        "agreements": ("/privacy/agreements/", set(Role), True),
    }


@pytest.mark.parametrize("agency", ["bhc", "pd"])
def test_every_trust_page_by_role_and_agency(world, client, agency):
    wrong = []
    for name, (url, roles, any_agency) in pages(world).items():
        for role in Role:
            client.force_login(world["users"][(role, agency)])
            allowed = role in roles and (agency == "bhc" or any_agency)
            if name == "break-glass":  # any agency outside law enforcement
                allowed = role in roles and agency == "bhc"
            status = client.get(url).status_code
            if status != (200 if allowed else 404):
                wrong.append((name, role.value, agency, status))
    assert wrong == []


def test_a_consent_is_captured_with_a_signature_then_revoked(world, client):
    clinician = world["users"][(Role.CLINICIAN, "bhc")]
    client.force_login(clinician)
    url = f"/privacy/people/{world['person'].pk}/consents/"
    form = {
        "kind": "part2",
        "recipient": "class:treating_providers",
        "categories": ["substance_use", "mental_health"],
        "purposes": ["treatment"],
        "signed_by": "Ana Ruiz",
        "expires_on": (timezone.localdate() + timedelta(days=180)).isoformat(),
        "revocation_explained": "on",
        "signature": "data:image/png;base64," + PNG,
    }
    response = client.post(url, form, follow=True)
    assert response.status_code == 200
    consent = Consent.objects.latest("id")
    assert consent.to_class == "treating_providers" and consent.created_by == clinician
    assert consent.categories == ["mental_health", "substance_use"]
    assert bytes(consent.document).startswith(b"\x89PNG") and consent.document_type == "image/png"
    assert "in force" in response.content.decode()
    event = AuditEvent.objects.filter(action="consent").latest("id")
    assert event.person_ids == [world["person"].pk] and event.actor == clinician

    client.post(f"/privacy/consents/{consent.pk}/revoke/", {"note": "asked to stop"})
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == clinician


def test_a_consent_form_missing_its_elements_is_refused_with_every_reason(world, client):
    client.force_login(world["users"][(Role.CLINICIAN, "bhc")])
    response = client.post(
        f"/privacy/people/{world['person'].pk}/consents/",
        {"kind": "hipaa", "recipient": f"agency:{world['police'].pk}",
         "categories": ["substance_use"], "purposes": ["treatment"], "signed_by": "Ana"},
    )  # fmt: skip
    assert response.status_code == 400
    text = response.content.decode()
    assert "Give a date or an event" in text
    assert "signs on the screen, or you upload" in text
    assert "need a 42 CFR Part 2 consent" in text
    assert "revoke" in text  # the right-to-revoke statement is required
    assert Consent.objects.count() == 1


def test_break_glass_opens_the_record_loudly_and_an_auditor_reviews_it(world, client):
    hospital = Agency.objects.create(external_id="h", name="Hospital", kind=AgencyKind.HOSPITAL)
    doctor = User.objects.create(username="doctor")
    Membership.objects.create(user=doctor, agency=hospital, role=Role.CLINICIAN)
    client.force_login(doctor)
    person_url = f"/people/{world['person'].pk}/"
    assert client.get(person_url).status_code == 404  # not shared with the hospital
    glass = f"/privacy/people/{world['person'].pk}/break-glass/"
    short = client.post(glass, {"justification": "emergency"})
    assert short.status_code == 400 and not BreakGlass.objects.exists()
    client.post(glass, {"justification": "Unconscious in the ER, need medication history now"})
    page = client.get(person_url)
    assert page.status_code == 200 and "Emergency access (break-glass)" in page.content.decode()
    grant = BreakGlass.objects.get()
    assert grant.expires_at > timezone.now()

    auditor = world["users"][(Role.AUDITOR, "bhc")]
    client.force_login(auditor)
    queue = client.get("/privacy/break-glass/review/").content.decode()
    assert "Unconscious in the ER" in queue
    client.post("/privacy/break-glass/review/", {"grant": grant.pk, "outcome": "appropriate"})
    grant.refresh_from_db()
    assert grant.review_outcome == "appropriate" and grant.reviewed_by == auditor


def test_police_cannot_break_the_glass(world, client):
    client.force_login(world["users"][(Role.SUPERVISOR, "pd")])
    url = f"/privacy/people/{world['person'].pk}/break-glass/"
    assert client.post(url, {"justification": "x" * 40}).status_code == 404
    assert not BreakGlass.objects.exists()


def test_the_accounting_lists_who_saw_the_record_and_exports_it(world, client):
    officer = world["users"][(Role.OFFICER, "pd")]
    client.force_login(officer)
    assert client.get(f"/people/{world['person'].pk}/").status_code == 404  # identity not shared
    clinician = world["users"][(Role.CLINICIAN, "bhc")]
    client.force_login(clinician)
    client.get(f"/people/{world['person'].pk}/")
    client.force_login(world["users"][(Role.AUDITOR, "bhc")])
    page = client.get(f"/privacy/people/{world['person'].pk}/accounting/").content.decode()
    assert "clinician-bhc" in page and "Consent change" in page
    exported = client.get(f"/privacy/people/{world['person'].pk}/accounting/?format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert {"at", "who", "action", "record", "categories", "purpose", "basis"} <= set(rows[0])
    assert any(r["who"].startswith("clinician-bhc") and r["action"] == "Read" for r in rows)
    assert AuditEvent.objects.filter(action="export", object_type="accounting").exists()


def test_an_agency_admin_adds_an_agreement_and_it_takes_effect(world, client):
    admin = world["users"][(Role.AGENCY_ADMIN, "bhc")]
    client.force_login(admin)
    response = client.post(
        "/privacy/agreements/",
        {"title": "MOU", "from_agency": world["clinic"].pk, "to_agency": world["police"].pk,
         "categories": ["identity"], "purposes": ["emergency_response"],
         "effective_from": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    officer = User.objects.get(username="officer-pd")
    client.force_login(officer)
    assert client.get(f"/people/{world['person'].pk}/").status_code == 200
    # A police admin may not add agreements for the clinic's records.
    client.force_login(world["users"][(Role.AGENCY_ADMIN, "pd")])
    refused = client.post(
        "/privacy/agreements/",
        {"title": "Grab", "from_agency": world["clinic"].pk, "to_agency": world["police"].pk,
         "categories": ["mental_health"], "purposes": ["treatment"],
         "effective_from": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert refused.status_code == 400
