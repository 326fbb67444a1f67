"""Role × data category × ownership against the one policy function."""

import pytest

from coresponse.agencies.models import Agency, AgencyKind, Membership, Role, User
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.policy import decide

C = DataCategory
EVERYTHING = set(C.values)
OPERATIONAL = {C.IDENTITY, C.CONTACT_PLAN, C.CRIMINAL_JUSTICE}
# What each role may see of a record its own agency owns.
EXPECTED = {
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


@pytest.fixture
def agencies(db):
    own = Agency.objects.create(external_id="own", name="Own", kind=AgencyKind.BEHAVIORAL_HEALTH)
    other = Agency.objects.create(
        external_id="other", name="Other", kind=AgencyKind.LAW_ENFORCEMENT
    )
    return own, other


def user_with(role, agency):
    user = User.objects.create(username=f"u-{role}")
    Membership.objects.create(user=user, agency=agency, role=role)
    return User.objects.prefetch_related("memberships").get(pk=user.pk)


def test_expected_table_covers_every_role():
    assert set(EXPECTED) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("category", list(C))
def test_own_agency_records(agencies, role, category):
    own, _ = agencies
    decision = decide(user_with(role, own), own.id, category)
    assert decision.allowed == (category in EXPECTED[role])
    assert decision.reason


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("category", list(C))
def test_other_agency_records_are_never_shown(agencies, role, category):
    own, other = agencies
    decision = decide(user_with(role, own), other.id, category)
    assert not decision.allowed
    assert decision.reason == "the record belongs to another agency"


def test_police_never_see_substance_use_even_when_also_member_elsewhere(agencies):
    own, other = agencies
    user = User.objects.create(username="dual")
    Membership.objects.create(user=user, agency=own, role=Role.OFFICER)
    Membership.objects.create(user=user, agency=other, role=Role.CLINICIAN)
    user = User.objects.prefetch_related("memberships").get(pk=user.pk)
    # A clinician role at another agency does not open this agency's Part 2 records.
    assert not decide(user, own.id, C.SUBSTANCE_USE)
    assert decide(user, other.id, C.SUBSTANCE_USE)


def test_anonymous_sees_nothing(agencies):
    from django.contrib.auth.models import AnonymousUser

    own, _ = agencies
    assert not decide(AnonymousUser(), own.id, C.IDENTITY)
