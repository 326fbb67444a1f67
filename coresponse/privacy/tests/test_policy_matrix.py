"""The whole matrix against the one policy function: role x the viewer's agency x data category
x consent state (none, active, expired, revoked, not yet signed) x sharing agreement x purpose.

The expectations are written from the rules in plain words (`expected`), independently of how
privacy.policy is built, so a change to the policy that breaks a rule of law shows up here."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coresponse.agencies.models import Agency, AgencyKind, Membership, Role, User
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import ConsentKind, Purpose, RecipientClass
from coresponse.privacy.policy import decide, forget
from coresponse.privacy.services import record_consent, revoke_consent, save_agreement

C = DataCategory
EVERYTHING = set(C.values)
OPERATIONAL = {C.IDENTITY, C.CONTACT_PLAN, C.CRIMINAL_JUSTICE}
CLINICAL = {C.MENTAL_HEALTH, C.SUBSTANCE_USE, C.MEDICAL}
# What each role may see of a record its own (non-police) agency holds.
OWN = {
    Role.DISPATCHER: OPERATIONAL,
    Role.OFFICER: OPERATIONAL,
    Role.AGENCY_ADMIN: OPERATIONAL,
    Role.AUDITOR: OPERATIONAL,
    Role.PARAMEDIC: OPERATIONAL | {C.MEDICAL},
    Role.PEER_SPECIALIST: OPERATIONAL | {C.MENTAL_HEALTH, C.MEDICAL},
    Role.SUPERVISOR: OPERATIONAL | {C.MENTAL_HEALTH, C.MEDICAL},
    Role.PROGRAM_MANAGER: OPERATIONAL | {C.MENTAL_HEALTH, C.MEDICAL},
    Role.CLINICIAN: EVERYTHING,
    Role.CASE_MANAGER: EVERYTHING,
}
# The program's MOU: the clinic shares these with each agency, for these purposes.
AGREEMENTS = {
    "police": ({C.IDENTITY, C.CONTACT_PLAN, C.MENTAL_HEALTH}, {Purpose.EMERGENCY_RESPONSE}),
    "hospital": (EVERYTHING, {Purpose.TREATMENT, Purpose.CARE_COORDINATION}),
}
CONSENT_STATES = ["none", "active", "expired", "revoked", "not_yet_signed", "hipaa_only"]


def expected(role, viewer, category, consent, purpose) -> bool:
    """The rules, in words:
    - substance use is never disclosed for a criminal investigation (42 CFR 2.12(d));
    - an active consent naming the viewer's agency, for the category and purpose, discloses;
      substance use only if it is a Part 2 consent (a general authorization is not enough);
    - otherwise an agreement discloses what it lists for its purposes, under the role rules of
      the viewer's own records, never substance use, never a clinical category to police;
    - otherwise nothing of another agency's record."""
    if category == C.SUBSTANCE_USE and purpose == Purpose.CRIMINAL_INVESTIGATION:
        return False
    if consent == "active" or (consent == "hipaa_only" and category != C.SUBSTANCE_USE):
        return True
    categories, purposes = AGREEMENTS[viewer]
    if category not in categories or purpose not in purposes or category == C.SUBSTANCE_USE:
        return False
    if viewer == "police" and category in CLINICAL:
        return False
    return category in OWN[role]


@pytest.fixture
def county(db):
    clinic = Agency.objects.create(
        external_id="bhc", name="Clinic", kind=AgencyKind.BEHAVIORAL_HEALTH
    )
    police = Agency.objects.create(external_id="pd", name="Police", kind=AgencyKind.LAW_ENFORCEMENT)
    hospital = Agency.objects.create(external_id="h", name="Hospital", kind=AgencyKind.HOSPITAL)
    person = Person.objects.create(external_id="p1", agency=clinic, first_name="Rob")
    for viewer, agency in (("police", police), ("hospital", hospital)):
        categories, purposes = AGREEMENTS[viewer]
        save_agreement(
            title=f"MOU {viewer}",
            from_agency=clinic,
            to_agency=agency,
            categories=categories,
            purposes=purposes,
            effective_from=timezone.localdate() - timedelta(days=30),
        )
    return {"clinic": clinic, "police": police, "hospital": hospital, "person": person}


def user_with(role, agency, name=None):
    user = User.objects.create(username=name or f"u-{role}-{agency.external_id}")
    Membership.objects.create(user=user, agency=agency, role=role)
    return User.objects.get(pk=user.pk)


def give_consent(county, viewer: str, state: str):
    if state == "none":
        return
    now = timezone.now()
    signed = now + timedelta(days=2) if state == "not_yet_signed" else now - timedelta(days=10)
    consent = record_consent(
        person=county["person"],
        to_agency=county[viewer],
        categories=EVERYTHING,
        purposes=Purpose.values,
        signed_at=signed,
        expires_at=now - timedelta(days=1) if state == "expired" else now + timedelta(days=365),
        kind=ConsentKind.HIPAA if state == "hipaa_only" else ConsentKind.PART2,
        by=None,
    )
    if state == "revoked":
        revoke_consent(consent, by=None, note="the person asked")


@pytest.mark.parametrize("viewer", ["police", "hospital"])
@pytest.mark.parametrize("state", CONSENT_STATES)
def test_another_agencys_record(county, viewer, state):
    give_consent(county, viewer, state)
    person = county["person"]
    wrong = []
    for role in Role:
        user = user_with(role, county[viewer])
        for category in C:
            for purpose in (
                Purpose.EMERGENCY_RESPONSE,
                Purpose.TREATMENT,
                "criminal_investigation",
            ):
                decision = decide(user, person.agency_id, category, person.pk, purpose)
                assert decision.reason, (role, category)
                if decision.allowed != expected(role, viewer, category, state, purpose):
                    wrong.append((role.value, category.value, purpose, decision.reason))
    assert wrong == []


@pytest.mark.parametrize("role", list(Role))
def test_own_agency_records_by_role(county, role):
    person = county["person"]
    user = user_with(role, county["clinic"])
    shown = {c for c in C if decide(user, person.agency_id, c, person.pk)}
    assert shown == OWN[role]
    assert decide(user, person.agency_id, C.IDENTITY, person.pk).basis == "ownership"


@pytest.mark.parametrize("role", list(Role))
def test_a_police_agencys_own_records_never_show_clinical_data_to_its_staff(county, role):
    record = Person.objects.create(external_id="p2", agency=county["police"])
    user = user_with(role, county["police"])
    shown = {c for c in C if decide(user, record.agency_id, c, record.pk)}
    assert shown == OPERATIONAL


def test_no_agreement_and_no_consent_shows_nothing_of_another_agency(county):
    stranger = Agency.objects.create(external_id="x", name="Elsewhere", kind=AgencyKind.EMS)
    person = county["person"]
    for role in Role:
        user = user_with(role, stranger)
        for category in C:
            decision = decide(user, person.agency_id, category, person.pk)
            assert not decision.allowed and decision.reason


def test_the_reason_names_the_basis(county):
    person = county["person"]
    officer = user_with(Role.OFFICER, county["police"])
    shown = decide(officer, person.agency_id, C.CONTACT_PLAN, person.pk)
    assert shown.basis == "agreement" and "MOU police" in shown.reason
    withheld = decide(officer, person.agency_id, C.MENTAL_HEALTH, person.pk)
    assert withheld.reason == "police roles never see mental health without the person's consent"
    su = decide(officer, person.agency_id, C.SUBSTANCE_USE, person.pk)
    assert su.reason.startswith("42 CFR Part 2")
    criminal = decide(
        officer, person.agency_id, C.SUBSTANCE_USE, person.pk, "criminal_investigation"
    )
    assert criminal.reason.startswith("42 CFR 2.12(d)")

    give_consent(county, "police", "active")
    forget(officer)
    consented = decide(officer, person.agency_id, C.MENTAL_HEALTH, person.pk)
    assert (
        consented.basis == "consent" and "covers mental health for Police until" in consented.reason
    )


def test_revocation_takes_effect_on_the_next_decision(county):
    person = county["person"]
    consent = record_consent(
        person=person,
        to_agency=county["police"],
        categories=[C.MENTAL_HEALTH],
        purposes=[Purpose.EMERGENCY_RESPONSE],
        signed_at=timezone.now() - timedelta(hours=1),
        expiry_event="end of treatment",
        by=None,
    )
    officer = user_with(Role.OFFICER, county["police"])
    assert decide(officer, person.agency_id, C.MENTAL_HEALTH, person.pk).allowed
    revoke_consent(consent, by=None)
    fresh = User.objects.get(pk=officer.pk)  # the next request
    assert not decide(fresh, person.agency_id, C.MENTAL_HEALTH, person.pk).allowed


def test_a_consent_to_a_class_of_recipients(county):
    person = county["person"]
    record_consent(
        person=person,
        to_class=RecipientClass.TREATING_PROVIDERS,
        categories=[C.SUBSTANCE_USE],
        purposes=[Purpose.TREATMENT],
        signed_at=timezone.now() - timedelta(days=1),
        expires_at=timezone.now() + timedelta(days=90),
        by=None,
    )
    nurse = user_with(Role.CLINICIAN, county["hospital"])
    officer = user_with(Role.OFFICER, county["police"])
    assert decide(nurse, person.agency_id, C.SUBSTANCE_USE, person.pk, Purpose.TREATMENT)
    assert not decide(officer, person.agency_id, C.SUBSTANCE_USE, person.pk, Purpose.TREATMENT)


def test_an_agreement_out_of_its_dates_shares_nothing(county):
    ems = Agency.objects.create(external_id="ems", name="EMS", kind=AgencyKind.EMS)
    save_agreement(
        title="Old MOU",
        from_agency=county["clinic"],
        to_agency=ems,
        categories=[C.IDENTITY],
        purposes=[Purpose.TREATMENT],
        effective_from=timezone.localdate() - timedelta(days=400),
        effective_to=timezone.localdate() - timedelta(days=35),
    )
    medic = user_with(Role.PARAMEDIC, ems)
    person = county["person"]
    assert not decide(medic, person.agency_id, C.IDENTITY, person.pk)


def test_signed_out_sees_nothing(county):
    from django.contrib.auth.models import AnonymousUser

    assert decide(AnonymousUser(), county["clinic"].pk, C.IDENTITY).reason == "not signed in"
