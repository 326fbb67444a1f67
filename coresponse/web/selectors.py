"""Reads for the shell's pages: each role's home and the person page.

Person data is read through `coresponse.privacy.selectors` (visible records, per-category
decisions, audit); calls and encounters through the dispatch and field selectors. Referrals,
follow-ups and enrollments are filed under the data category their service type reveals, so a
substance-use treatment referral is Part 2 data and a psychiatry enrollment is mental health.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q, QuerySet

from coresponse.agencies.models import Membership, Role
from coresponse.care.models import (
    REFERRAL_OPEN_STATUSES,
    Enrollment,
    FollowUp,
    Referral,
    ServiceType,
)
from coresponse.dispatch.models import Call
from coresponse.dispatch.selectors import (
    AsOf,
    calls_per_day,
    partner_programs,
)
from coresponse.field.models import Encounter, EncounterKind
from coresponse.field.selectors import (
    newest_first,
    team_encounters,
    visible_encounters,
    with_person_labels,
)
from coresponse.insights.metrics import Period, compute, crisis_encounters
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.policy import decide
from coresponse.privacy.selectors import (
    NO_PERSON,
    Shown,
    agencies_allowing,
    disclose_person,
    label_persons,
    memberships,
    person_for,
    user_agency_ids,
)

C = DataCategory
S = ServiceType

# The data category a referral or enrollment reveals through its service type.
SERVICE_CATEGORY = {
    S.DETOX: C.SUBSTANCE_USE,
    S.SUBSTANCE_USE_TREATMENT: C.SUBSTANCE_USE,
    S.CRISIS_STABILIZATION: C.MENTAL_HEALTH,
    S.OUTPATIENT_MENTAL_HEALTH: C.MENTAL_HEALTH,
    S.PSYCHIATRY: C.MENTAL_HEALTH,
    S.PRIMARY_CARE: C.MEDICAL,
}


def service_category(service_type: str) -> str:
    return SERVICE_CATEGORY.get(service_type, C.CONTACT_PLAN)


def _service_types_in(categories: set[str]) -> list[str]:
    return [s for s in S.values if service_category(s) in categories]


def _care_filter(user) -> Q | None:
    """Referrals/enrollments the user may see: per owning agency, the service types allowed."""
    q = None
    for agency_id in user_agency_ids(user):
        allowed = {c for c in C.values if decide(user, agency_id, c)}
        if C.IDENTITY not in allowed:
            continue
        part = Q(person__agency_id=agency_id, service_type__in=_service_types_in(allowed))
        q = part if q is None else q | part
    return q


def visible_referrals(user) -> QuerySet[Referral]:
    q = _care_filter(user)
    if q is None:
        return Referral.objects.none()
    return Referral.objects.filter(q).select_related("person__agency")


def open_referrals(user) -> QuerySet[Referral]:
    return visible_referrals(user).filter(status__in=REFERRAL_OPEN_STATUSES).order_by("sent_at")


def visible_followups(user) -> QuerySet[FollowUp]:
    agencies = agencies_allowing(user, C.CONTACT_PLAN) & agencies_allowing(user, C.IDENTITY)
    return FollowUp.objects.filter(person__agency_id__in=agencies).select_related(
        "person__agency", "encounter"
    )


def _labelled(user, detail: str, *groups) -> list[list]:
    """Each group of rows (follow-ups, referrals, encounters) with `person_label` set; the names
    of all groups are decided together and written as one audit event."""
    groups = [list(g) for g in groups]
    rows = [r for g in groups for r in g]
    labels = label_persons(user, [r.person for r in rows], detail=detail)
    for row in rows:
        row.person_label = labels.get(row.person_id, NO_PERSON)
    return groups


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


def _due_followups(user, at: AsOf) -> QuerySet[FollowUp]:
    return visible_followups(user).filter(completed_at__isnull=True).order_by("due_at")


def _clinician(user, at: AsOf, _program) -> dict:
    crisis = newest_first(visible_encounters(user).filter(kind=EncounterKind.CRISIS))[:10]
    due = _due_followups(user, at).filter(due_at__lt=at.now + timedelta(days=7))[:10]
    encounters, followups, referrals = _labelled(
        user, "clinician home", crisis, due, open_referrals(user)[:10]
    )
    return {
        "encounters": encounters,
        "followups": followups,
        "referrals": referrals,
        "programs": list(partner_programs(user)),
    }


def _team(user, at: AsOf, _program) -> dict:
    encounters = team_encounters(user)
    has_team = user.teams.exists()
    if not has_team:
        encounters = newest_first(visible_encounters(user))
    return {
        "has_team": has_team,
        "teams": list(user.teams.select_related("program")),
        "encounters": with_person_labels(user, encounters[:20], detail="team home"),
    }


def _case_manager(user, at: AsOf, _program) -> dict:
    pending = _due_followups(user, at)
    overdue = pending.filter(due_at__lt=at.now)
    upcoming = pending.filter(due_at__gte=at.now, due_at__lt=at.now + timedelta(days=7))
    referrals = open_referrals(user)
    overdue_rows, upcoming_rows, referral_rows = _labelled(
        user, "case manager worklist", overdue[:25], upcoming[:25], referrals[:25]
    )
    return {
        "overdue_count": overdue.count(),
        "upcoming_count": upcoming.count(),
        "referral_count": referrals.count(),
        "overdue": overdue_rows,
        "upcoming": upcoming_rows,
        "referrals": referral_rows,
    }


@dataclass(frozen=True)
class Figure:
    """One headline number with what it counts (numerator and denominator when a rate)."""

    label: str
    value: str
    detail: str
    key: str = ""


def _pct(metric) -> str:
    return "—" if metric.value is None else f"{metric.value * 100:.0f}%"


def _figures(metrics, timed: int) -> list[Figure]:
    m = metrics
    median = m["response_time_median_min"].value
    responses = m["responses"].value
    return [
        Figure("Calls received", f"{m['calls_received'].value:,}", "calls for service", "calls"),
        Figure("Crisis responses", f"{responses:,}", "crisis encounters on scene", "responses"),
        Figure(
            "Without arrest",
            _pct(m["arrest_avoided_rate"]),
            f"{m['arrest_avoided_rate'].numerator:,} of {responses:,} responses",
            "arrest_avoided",
        ),
        Figure(
            "Resolved on scene",
            _pct(m["resolved_on_scene_rate"]),
            f"{m['resolved_on_scene_rate'].numerator:,} of {responses:,} responses",
            "resolved",
        ),
        Figure(
            "Median response",
            "—" if median is None else f"{median:.0f} min",
            f"call to on scene, median of {timed:,} timed responses",
            "response_time",
        ),
        Figure(
            "Follow-ups connected",
            _pct(m["followup_connection_rate"]),
            f"{m['followup_connection_rate'].numerator or 0:,} of "
            f"{m['followup_connection_rate'].denominator or 0:,} completed follow-ups",
            "followups",
        ),
    ]


def _insights(user, at: AsOf, program: str | None) -> dict:
    programs = list(partner_programs(user))
    chosen = None
    if program and program.isdigit():
        chosen = next((p for p in programs if p.id == int(program)), None)
    elif program is None and len(programs) == 1:
        chosen = programs[0]  # one program: its numbers first; "all" is one click away
    program_id = chosen.id if chosen else None
    period = Period(at.days_back(30), at.end)
    metrics = compute(period, program_id)
    timed = (
        crisis_encounters(period, program_id)
        .filter(call__isnull=False, on_scene_at__isnull=False)
        .count()
    )
    per_day = calls_per_day(at, 30, program_id)
    return {
        "programs": programs,
        "program": chosen,
        "period": period,
        "period_last_day": at.today,
        "figures": _figures(metrics, timed),
        "chart": bar_chart(per_day),
        "per_day": per_day,
    }


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


# --- the calls-per-day chart, drawn as inline SVG from server-side numbers -----------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: object
    count: int


@dataclass
class BarChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar] = field(default_factory=list)
    maximum: int = 0
    total: int = 0
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value)
    labels: list[tuple[float, object]] = field(default_factory=list)  # (x center, day)


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 5:
            return -(-value // step) * step
    return value


def bar_chart(per_day: list[tuple], width: int = 720, height: int = 180) -> BarChart:
    # No text inside the SVG (it stretches to the width); axis labels are HTML around it.
    left, right, top, bottom = 0, 0, 6, 0
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((c for _, c in per_day), default=0))
    chart = BarChart(width, height, top, height - bottom, maximum=top_value)
    chart.total = sum(c for _, c in per_day)
    n = max(len(per_day), 1)
    slot = plot_w / n
    gap = min(4.0, slot * 0.25)
    for i, (day, count) in enumerate(per_day):
        h = plot_h * count / top_value if top_value else 0
        x = left + i * slot + gap / 2
        chart.bars.append(
            Bar(
                round(x, 2),
                round(top + plot_h - h, 2),
                round(slot - gap, 2),
                round(h, 2),
                day,
                count,
            )
        )
    for value in (0, top_value // 2, top_value):
        chart.ticks.append((round(top + plot_h - plot_h * value / top_value, 2), value))
    for i in sorted({0, n // 2, n - 1}):
        if i < len(per_day):
            chart.labels.append((round(left + i * slot + slot / 2, 2), per_day[i][0]))
    return chart


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
    )
