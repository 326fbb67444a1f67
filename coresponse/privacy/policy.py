"""The one disclosure policy. Every read of person data asks `decide` first.

This first version knows ownership and the law's hard lines; consent, sharing agreements and
break-glass arrive with the trust work and plug in here, so no caller has to change.
"""

from dataclasses import dataclass

from coresponse.agencies.models import Role
from coresponse.privacy.categories import DataCategory

# Roles that may see clinical categories of their own agency's records.
CLINICAL_ROLES = frozenset(
    {Role.CLINICIAN, Role.CASE_MANAGER, Role.PEER_SPECIALIST, Role.SUPERVISOR, Role.PROGRAM_MANAGER}
)
MEDICAL_ROLES = CLINICAL_ROLES | {Role.PARAMEDIC}
# 42 CFR Part 2: substance-use records only to those who treat, never to a police role.
PART2_ROLES = frozenset({Role.CLINICIAN, Role.CASE_MANAGER})
# What a viewer outside the clinical roles may still see of an owned record.
OPERATIONAL_CATEGORIES = frozenset(
    {DataCategory.IDENTITY, DataCategory.CONTACT_PLAN, DataCategory.CRIMINAL_JUSTICE}
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def roles_at(user, agency_id: int) -> set[str]:
    return {m.role for m in user.memberships.all() if m.agency_id == agency_id}


def decide(user, owner_agency_id: int, category: str) -> Decision:
    """May `user` see `category` data of a record owned by `owner_agency_id`, and why."""
    if not user.is_authenticated:
        return Decision(False, "not signed in")
    roles = roles_at(user, owner_agency_id)
    if not roles:
        return Decision(False, "the record belongs to another agency")
    if category in OPERATIONAL_CATEGORIES:
        return Decision(True, f"your agency owns this record ({category})")
    if category == DataCategory.SUBSTANCE_USE:
        allowed = roles & PART2_ROLES
        return Decision(
            bool(allowed),
            "42 CFR Part 2: treating staff of the owning program"
            if allowed
            else "42 CFR Part 2 substance-use record: treating staff only",
        )
    needed = MEDICAL_ROLES if category == DataCategory.MEDICAL else CLINICAL_ROLES
    allowed = roles & needed
    return Decision(
        bool(allowed),
        f"your role may see {category} of your agency's records"
        if allowed
        else f"{category} is not shown to your role",
    )
