"""Reads for the shell's pages: each role's home and the person page.

Person data is read through `coresponse.privacy.selectors` (visible records, per-category
decisions, audit); calls and encounters through the dispatch and field selectors. Referrals,
follow-ups and enrollments are filed under the data category their service type reveals, so a
substance-use treatment referral is Part 2 data and a psychiatry enrollment is mental health.
"""

from __future__ import annotations

from dataclasses import dataclass

from coresponse.agencies.models import Membership, Role
from coresponse.care import selectors as care
from coresponse.care.models import Enrollment, FollowUp, Referral
from coresponse.care.selectors import service_category
from coresponse.dispatch.models import Call
from coresponse.dispatch.selectors import (
    AsOf,
    partner_programs,
)
from coresponse.field.models import Encounter
from coresponse.field.selectors import (
    newest_first,
    visible_encounters,
    with_person_labels,
)
from coresponse.insights import selectors as insights
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.selectors import (
    Shown,
    disclose_person,
    may_account,
    may_manage_consents,
    memberships,
    person_for,
)
from coresponse.privacy.services import may_break_glass

C = DataCategory

# --- home pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    role: str
    heading: str
    template: str


HOMES = {
    Role.DISPATCHER: Home(Role.DISPATCHER, "Dispatch board", "web/home/dispatcher.html"),
    Role.OFFICER: Home(Role.OFFICER, "Recent encounters", "web/home/officer.html"),
    Role.CLINICIAN: Home(Role.CLINICIAN, "Clinical worklist", "web/home/clinician.html"),
    Role.PARAMEDIC: Home(Role.PARAMEDIC, "Your team's encounters", "web/home/team.html"),
    Role.PEER_SPECIALIST: Home(
        Role.PEER_SPECIALIST, "Your team's encounters", "web/home/team.html"
    ),
    Role.CASE_MANAGER: Home(Role.CASE_MANAGER, "Follow-up worklist", "web/home/case_manager.html"),
    Role.SUPERVISOR: Home(Role.SUPERVISOR, "Last 30 days at a glance", "web/home/insights.html"),
    Role.PROGRAM_MANAGER: Home(
        Role.PROGRAM_MANAGER, "Last 30 days at a glance", "web/home/insights.html"
    ),
    Role.AGENCY_ADMIN: Home(Role.AGENCY_ADMIN, "Agency administration", "web/home/admin.html"),
    Role.AUDITOR: Home(Role.AUDITOR, "Audit trail", "web/home/auditor.html"),
}
NO_ROLE = Home("", "Welcome", "web/home/no_role.html")


def user_roles(user) -> list[str]:
    """The user's roles in membership order, each once; the first one picks the home page."""
    seen: list[str] = []
    for m in memberships(user):
        if m.role not in seen:
            seen.append(m.role)
    return seen


def home_for(user, requested: str | None = None) -> Home:
    roles = user_roles(user)
    if requested in roles:
        return HOMES[requested]
    return HOMES[roles[0]] if roles else NO_ROLE


def home_context(user, home: Home, at: AsOf, program: str | None = None) -> dict:
    builder = BUILDERS.get(home.role)
    return builder(user, at, program) if builder else {}


def _officer(user, at: AsOf, _program) -> dict:
    encounters = newest_first(visible_encounters(user))[:20]
    return {
        "encounters": with_person_labels(user, encounters, detail="officer home"),
        "programs": list(partner_programs(user)),
    }


# The care roles' homes are built by coresponse.care (their follow-ups, referrals and the
# receiving provider's inbox); a team member's is the team's encounters.
def _clinician(user, at: AsOf, _program) -> dict:
    return care.clinician_home(user, at)


def _team(user, at: AsOf, _program) -> dict:
    return care.team_home(user, at)


def _case_manager(user, at: AsOf, _program) -> dict:
    return care.case_manager_home(user, at)


def _insights(user, at: AsOf, program: str | None) -> dict:
    """The program manager's and supervisor's home: built by coresponse.insights."""
    return insights.home(user, at, program)


def _admin(user, at: AsOf, _program) -> dict:
    agencies = sorted(
        {m.agency for m in memberships(user) if m.role == Role.AGENCY_ADMIN}, key=lambda a: a.name
    )
    agency_ids = [a.id for a in agencies]
    rows = (
        Membership.objects.filter(agency_id__in=agency_ids)
        .select_related("user", "agency")
        .order_by("user__last_name", "user__first_name", "user__username", "id")
    )
    people: dict[int, dict] = {}
    for m in rows:
        entry = people.setdefault(
            m.user_id, {"user": m.user, "roles": [], "agencies": set(), "active": m.user.is_active}
        )
        entry["roles"].append(m.get_role_display())
        entry["agencies"].add(m.agency.name)
    programs = partner_programs(user)
    persons_of = {"person__agency_id__in": agency_ids}
    partner = {"program__in": programs.values("id")}
    counts = [
        ("Person records", Person.objects.filter(agency_id__in=agency_ids).count(), "held"),
        ("Referrals", Referral.objects.filter(**persons_of).count(), "of those persons"),
        ("Follow-ups", FollowUp.objects.filter(**persons_of).count(), "of those persons"),
        ("Enrollments", Enrollment.objects.filter(**persons_of).count(), "of those persons"),
        ("Calls", Call.objects.filter(**partner).count(), "in partner programs"),
        ("Encounters", Encounter.objects.filter(**partner).count(), "in partner programs"),
    ]
    return {
        "agencies": agencies,
        "staff": sorted(people.values(), key=lambda e: e["user"].username),
        "counts": counts,
        "programs": list(programs),
    }


def _auditor(user, at: AsOf, _program) -> dict:
    agency_ids = {m.agency_id for m in memberships(user) if m.role == Role.AUDITOR}
    actors = Membership.objects.filter(agency_id__in=agency_ids).values("user_id")
    events = AuditEvent.objects.filter(actor_id__in=actors).select_related("actor")
    return {
        "events": list(events.order_by("-id")[:50]),
        "event_count": events.count(),
        "agencies": sorted({m.agency.name for m in memberships(user) if m.role == Role.AUDITOR}),
    }


# The dispatcher's home is the live dispatch board, rendered by `coresponse.dispatch.board_views`
# (see `views.home`).
BUILDERS = {
    Role.OFFICER: _officer,
    Role.CLINICIAN: _clinician,
    Role.PARAMEDIC: _team,
    Role.PEER_SPECIALIST: _team,
    Role.CASE_MANAGER: _case_manager,
    Role.SUPERVISOR: _insights,
    Role.PROGRAM_MANAGER: _insights,
    Role.AGENCY_ADMIN: _admin,
    Role.AUDITOR: _auditor,
}


# --- the person page -----------------------------------------------------------------------------


@dataclass
class CareSection:
    """Rows of one kind (referrals, enrollments) the viewer may see, and what was withheld."""

    rows: list
    withheld: list[tuple[Shown, int]]  # (the decision, how many rows it withheld)
    shown: list[Shown]  # the decisions that let the shown rows through


@dataclass
class PersonPage:
    person: Person
    identity: Shown
    contact_plan: Shown
    encounters: list
    encounter_count: int
    followups: list
    referrals: CareSection
    enrollments: CareSection
    shown_categories: list[str]
    emergency: bool = False  # something is shown only by break-glass
    part2: bool = False  # a substance-use record is shown: the 42 CFR 2.32 notice goes with it
    may_consent: bool = False
    may_account: bool = False
    may_break_glass: bool = False


def _care_section(rows, disclosure) -> CareSection:
    shown_rows, withheld, shown = [], {}, set()
    for row in rows:
        category = service_category(row.service_type)
        if disclosure.allows(category):
            row.category_label = C(category).label
            shown_rows.append(row)
            shown.add(category)
        else:
            withheld[category] = withheld.get(category, 0) + 1
    return CareSection(
        shown_rows,
        [(disclosure.get(c), n) for c, n in sorted(withheld.items())],
        [disclosure.get(c) for c in sorted(shown)],
    )


PERSON_PAGE_ENCOUNTERS = 25


def person_page(user, person_id) -> PersonPage:
    """The person page: identity, encounters, follow-ups, referrals, enrollments; one audit event.

    Raises Http404 (the same as for a missing id) when the viewer may not see the record.
    """
    person = person_for(user, person_id)
    referrals = list(Referral.objects.filter(person=person).order_by("-sent_at"))
    enrollments = list(Enrollment.objects.filter(person=person).order_by("-start_date"))
    needed = {C.IDENTITY, C.CONTACT_PLAN}
    needed |= {service_category(r.service_type) for r in referrals + enrollments}
    # Decide every category (for the "why" panels) but audit only those the page shows.
    disclosure = disclose_person(user, person, sorted(needed), detail="person page")
    encounters = newest_first(visible_encounters(user).filter(person=person))
    followups = []
    if disclosure.allows(C.CONTACT_PLAN):
        followups = list(
            FollowUp.objects.filter(person=person).select_related("encounter").order_by("-due_at")
        )
    return PersonPage(
        person=person,
        identity=disclosure.get(C.IDENTITY),
        contact_plan=disclosure.get(C.CONTACT_PLAN),
        encounters=list(encounters[:PERSON_PAGE_ENCOUNTERS]),
        encounter_count=encounters.count(),
        followups=followups,
        referrals=_care_section(referrals, disclosure),
        enrollments=_care_section(enrollments, disclosure),
        shown_categories=disclosure.shown_categories,
        emergency=disclosure.emergency,
        part2=disclosure.part2,
        may_consent=may_manage_consents(user, person),
        may_account=may_account(user, person),
        may_break_glass=may_break_glass(user)
        and len(disclosure.shown_categories) < len(disclosure.decisions),
    )
