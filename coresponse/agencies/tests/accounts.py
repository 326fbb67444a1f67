"""Two agencies and three users with real passwords, for the account tests (which live in
coresponse/web/tests: they check the audit chain, a layer above agencies)."""

import functools
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password

from coresponse.agencies.models import Agency, Membership, Role, User

PASSWORD = "correct horse battery staple"


@functools.cache
def password_hash() -> str:
    return make_password(PASSWORD)  # argon2 takes a tenth of a second: once per test run


def build_accounts() -> SimpleNamespace:
    pd = Agency.objects.create(
        external_id="riverton-pd", name="Riverton Police Department", kind="law_enforcement"
    )
    so = Agency.objects.create(
        external_id="cedar-so", name="Cedar County Sheriff's Office", kind="law_enforcement"
    )
    bhc = Agency.objects.create(
        external_id="cedar-bhc", name="Cedar Behavioral Health Center", kind="behavioral_health"
    )
    users = {}
    for username, agency, role in (
        ("officer", pd, Role.OFFICER),
        ("deputy", so, Role.OFFICER),
        ("clinician", bhc, Role.CLINICIAN),
    ):
        user = User.objects.create(
            username=username,
            first_name=username.title(),
            last_name="Test",
            password=password_hash(),
        )
        Membership.objects.create(user=user, agency=agency, role=role)
        users[username] = user
    return SimpleNamespace(users=users, agencies={"pd": pd, "so": so, "bhc": bhc})
