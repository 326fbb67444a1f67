"""Cedar County's records steward: the demo reviewer of identity links.

Deciding whether two records of different agencies are one person needs the identity of both,
so the county's records steward holds an agency-admin account at each agency that keeps
person records (the clinic, both police agencies, EMS, the hospital and the crisis line).
Agency admins see the operational categories of their agencies' records (identity, contact
plan, criminal justice), never clinical notes. The links themselves come from
`coresponse link` (make demo runs it after the seed).
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction

from coresponse.agencies.models import Agency, Membership, Role, User

from .cedar import AGENCIES, PERSON_PREFIX
from .roster import DEMO_PASSWORD

REVIEWER = ("reviewer", "Iris", "Mendez")


def build() -> list[dict[str, str]]:
    """Create or update the reviewer; returns their row for the seed's table of demo users."""
    username, first, last = REVIEWER
    with transaction.atomic():
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@cedar-bhc.example.org",
                "is_active": True,
                "password": make_password(DEMO_PASSWORD),
            },
        )
        agencies = Agency.objects.filter(external_id__in=PERSON_PREFIX)
        for agency in agencies.order_by("external_id"):
            Membership.objects.get_or_create(user=user, agency=agency, role=Role.AGENCY_ADMIN)
    names = {external_id: name for external_id, name, _ in AGENCIES}
    return [
        {
            "username": username,
            "role": "agency_admin (identity review)",
            "agency": f"{names['cedar-bhc']} and {len(PERSON_PREFIX) - 1} more",
            "password": DEMO_PASSWORD,
        }
    ]
