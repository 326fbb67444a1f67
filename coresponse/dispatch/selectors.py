"""Reads of calls for service, filtered by who may see them, and the demo-safe "now".

A user sees the calls of programs in which one of their agencies is a partner; a dispatcher (at
any agency) sees every call. Calls carry no person record, so no disclosure decision is needed
here; encounters (with person data) are read through `coresponse.field.selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from coresponse.agencies.models import (
    Agency,
    AgencyKind,
    Membership,
    Program,
    Role,
    Shift,
    ShiftMode,
    Team,
    TeamKind,
    User,
)
from coresponse.dispatch.models import (
    Assignment,
    AssignmentStatus,
    Call,
    Handoff,
    HandoffState,
    PageOut,
    Recommendation,
)
from coresponse.privacy.selectors import memberships, user_agency_ids

# A data set whose newest call is older than this is a snapshot (the synthetic county ends on a
# fixed date): pages then anchor "today" and "the last 30 days" on that call instead of the clock.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class AsOf:
    """The moment the pages treat as "now", and whether it was anchored on the data."""

    now: datetime
    anchored: bool

    @property
    def today(self):
        return timezone.localtime(self.now).date()

    @property
    def start_of_today(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.today, time.min))

    def days_back(self, days: int) -> datetime:
        """Start of the local day `days - 1` days before today: a window of `days` whole days."""
        start = self.today - timedelta(days=days - 1)
        return timezone.make_aware(datetime.combine(start, time.min))

    @property
    def end(self) -> datetime:
        """Exclusive end of the window: the end of today."""
        return self.start_of_today + timedelta(days=1)


def as_of() -> AsOf:
    """The one place that decides what "now" is for the pages.

    The clock, unless the newest call is more than a day older than it (a seeded or archived
    data set): then the newest call's time, and pages say "as of <date>".
    """
    now = timezone.now()
    latest = Call.objects.aggregate(latest=Max("received_at"))["latest"]
    if latest is not None and latest < now - STALE_AFTER:
        return AsOf(latest, True)
    return AsOf(now, False)


def is_dispatcher(user) -> bool:
    return any(m.role == Role.DISPATCHER for m in memberships(user))


def partner_programs(user) -> QuerySet[Program]:
    """Programs in which one of the user's agencies is a partner."""
    return Program.objects.filter(agencies__in=user_agency_ids(user)).distinct()


def partner_program_ids(user) -> set[int]:
    return set(partner_programs(user).values_list("id", flat=True))


def call_programs(user) -> QuerySet[Program]:
    """Programs a user may filter calls by."""
    return Program.objects.all() if is_dispatcher(user) else partner_programs(user)


def visible_calls(user) -> QuerySet[Call]:
    """Every call for a dispatcher; else the calls of partner programs, and any call a team of
    the user's was sent to (a team member must read the call they are answering)."""
    calls = Call.objects.select_related("program")
    if is_dispatcher(user):
        return calls
    sent = Assignment.objects.filter(call=OuterRef("pk"), team__members=user)
    return calls.filter(Q(program__in=partner_programs(user).values("id")) | Exists(sent))


def with_status(calls: QuerySet[Call]) -> QuerySet[Call]:
    """Annotate each call: `has_team` (any assignment) and `has_open_team` (one not cleared).

    A call is waiting without a team, active while a team is out, and cleared after.
    """
    assignments = Assignment.objects.filter(call=OuterRef("pk"))
    return calls.annotate(
        has_team=Exists(assignments),
        has_open_team=Exists(assignments.filter(cleared_at__isnull=True)),
    )


def call_list(
    user,
    *,
    source: str = "",
    priority: int | None = None,
    program_id: int | None = None,
    q: str = "",
) -> QuerySet[Call]:
    calls = visible_calls(user)
    if source:
        calls = calls.filter(source=source)
    if priority:
        calls = calls.filter(priority=priority)
    if program_id:
        calls = calls.filter(program_id=program_id)
    q = q.strip()
    if q:
        calls = calls.filter(
            Q(external_id__icontains=q) | Q(call_type__icontains=q) | Q(address__icontains=q)
        )
    return with_status(calls).order_by("-received_at", "-id")


def call_for(user, call_id) -> Call:
    """The call with its assignments, or Http404 when missing or not visible (same response)."""
    calls = (
        visible_calls(user)
        .select_related("triage__reason")
        .prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("team__program"))
        )
    )
    try:
        return calls.get(pk=int(call_id))
    except (Call.DoesNotExist, ValueError, TypeError):
        raise Http404("No call found matching the query") from None


def queue(user, at: AsOf, limit: int = 25) -> list[Call]:
    """Calls waiting for a team or with a team still out, most urgent first."""
    calls = with_status(visible_calls(user).filter(received_at__lte=at.now))
    calls = calls.filter(Q(has_team=False) | Q(has_open_team=True))
    since = at.now - timedelta(days=2)
    calls = calls.filter(received_at__gte=since)
    ordered = sorted(
        calls.order_by("-received_at")[: limit * 4],
        key=lambda c: (c.priority or 9, -c.received_at.timestamp()),
    )
    return ordered[:limit]


def calls_today(user, at: AsOf) -> QuerySet[Call]:
    return visible_calls(user).filter(received_at__gte=at.start_of_today, received_at__lt=at.end)


def today_summary(user, at: AsOf) -> dict:
    counts = with_status(calls_today(user, at)).aggregate(
        total=Count("id"),
        waiting=Count("id", filter=Q(has_team=False)),
        active=Count("id", filter=Q(has_open_team=True)),
        urgent=Count("id", filter=Q(priority__lte=2)),
    )
    return counts


def calls_per_day(at: AsOf, days: int = 30, program_id: int | None = None) -> list[tuple]:
    """(date, count) for each of the last `days` local days, oldest first, zero days included."""
    start = at.days_back(days)
    calls = Call.objects.filter(received_at__gte=start, received_at__lt=at.end)
    if program_id:
        calls = calls.filter(program_id=program_id)
    counts: dict = {}
    for received_at in calls.values_list("received_at", flat=True).iterator():
        day = timezone.localtime(received_at).date()
        counts[day] = counts.get(day, 0) + 1
    first = at.today - timedelta(days=days - 1)
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def call_encounters(user, call: Call) -> tuple[list, int]:
    """The call's encounters of the user's partner programs (no person data), and how many more.

    Read through the reverse relation so this lower layer needs no import of `field`; the
    encounter page itself (with its person panel) is `coresponse.field`'s.
    """
    programs = partner_program_ids(user)
    encounters = list(call.encounters.select_related("program").order_by("on_scene_at", "id"))
    visible = [e for e in encounters if e.program_id in programs]
    return visible, len(encounters) - len(visible)


def known_call_types(limit: int = 300) -> list[str]:
    """The call types of the last year's calls, most used first: the call-taker's suggestions.

    Cached for ten minutes: a group-by over a year of calls is too slow for every form load.
    """
    types = cache.get("dispatch:known_call_types")
    if types is None:
        since = as_of().now - timedelta(days=365)
        rows = (
            Call.objects.filter(received_at__gte=since)
            .values("call_type")
            .annotate(n=Count("id"))
            .order_by("-n", "call_type")[:limit]
        )
        types = [row["call_type"] for row in rows]
        cache.set("dispatch:known_call_types", types, 600)
    return types


# --- teams on duty and the dispatch board ------------------------------------------------------

# How long a call may wait for a team, by priority, before its wait shows amber and then red
# (minutes from received to now). Priority 1 is a life at risk; 5 is a scheduled check. These are
# service targets for a co-responder desk, not national standards: a program sets its own with
# CORESPONSE_WAIT_THRESHOLDS = {priority: (amber, red)} in settings.
WAIT_THRESHOLDS = {1: (2, 5), 2: (5, 10), 3: (10, 20), 4: (20, 40), 5: (30, 60)}
NO_PRIORITY_THRESHOLDS = (10, 20)
# A call received longer ago than this that no team went to drops off the board (it was
# handled elsewhere, or is imported history); the call list still has it.
BOARD_WINDOW = timedelta(hours=12)
# A call triaged police only is patrol's: it stays this long, in case the dispatcher sends a
# ride-along pair anyway, then leaves the board (patrol has it in the CAD).
POLICE_ONLY_WINDOW = timedelta(minutes=30)
# How far ahead an off-duty team's next shift is looked up, to print "on at 13:00".
NEXT_SHIFT_HORIZON = timedelta(hours=24)

OPEN_STATUSES = (
    AssignmentStatus.DISPATCHED,
    AssignmentStatus.EN_ROUTE,
    AssignmentStatus.ON_SCENE,
    AssignmentStatus.CLEARING,
)
AVAILABLE, OFF_DUTY = "available", "off_duty"
TEAM_STATUS_LABELS = {
    AVAILABLE: "Available",
    **{s: AssignmentStatus(s).label for s in OPEN_STATUSES},
    OFF_DUTY: "Off duty",
}
OPEN_HANDOFF_STATES = (HandoffState.OFFERED, HandoffState.ACCEPTED)
# Teams with no officer: never sent to a call triaged police-only.
CIVILIAN_KINDS = frozenset({TeamKind.CIVILIAN_PAIR, TeamKind.THREE_PERSON})
# Teams that work beside an officer, whose officer can clear first ("clearing").
OFFICER_KINDS = frozenset({TeamKind.RIDE_ALONG_PAIR, TeamKind.ON_CALL_CLINICIAN})
# The kinds of team each recommendation asks for, best first; offered first in the dispatch list.
SUGGESTED_KINDS = {
    Recommendation.CO_RESPONDER: (TeamKind.RIDE_ALONG_PAIR, TeamKind.ON_CALL_CLINICIAN),
    Recommendation.CIVILIAN_TEAM: (TeamKind.THREE_PERSON, TeamKind.CIVILIAN_PAIR),
    Recommendation.CLINICIAN_PHONE: (TeamKind.ON_CALL_CLINICIAN,),
    Recommendation.TRANSFER_988: (TeamKind.ON_CALL_CLINICIAN,),  # if the hand-off bounces back
    Recommendation.EMS: (TeamKind.THREE_PERSON, TeamKind.CIVILIAN_PAIR),
    Recommendation.POLICE_ONLY: (TeamKind.RIDE_ALONG_PAIR,),
}
BOARD_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.PROGRAM_MANAGER})
DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def wait_thresholds(priority: int | None) -> tuple[int, int]:
    table = getattr(settings, "CORESPONSE_WAIT_THRESHOLDS", None) or WAIT_THRESHOLDS
    return tuple(table.get(priority, NO_PRIORITY_THRESHOLDS))


def wait_level(priority: int | None, waited: timedelta) -> str:
    """How a call's wait compares with its priority's targets: "ok", "amber" or "red"."""
    amber, red = wait_thresholds(priority)
    minutes = waited.total_seconds() / 60
    if minutes >= red:
        return "red"
    return "amber" if minutes >= amber else "ok"


def recommendation_of(call: Call) -> str:
    """The call's triage recommendation, or "" while it has not been triaged."""
    triage = getattr(call, "triage", None)  # the reverse one-to-one raises when missing
    return triage.recommendation if triage is not None else ""


def roles_of(user) -> set[str]:
    return {m.role for m in memberships(user)}


def can_view_board(user) -> bool:
    return bool(roles_of(user) & BOARD_ROLES)


def can_dispatch(user) -> bool:
    return bool(roles_of(user) & DISPATCH_ROLES)


def scoped_program_ids(user) -> set[int] | None:
    """The programs whose calls and teams the user works on the board; None for every program
    (a dispatcher). A supervisor or manager works on their agencies' partner programs."""
    return None if is_dispatcher(user) else partner_program_ids(user)


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    agency: str


@dataclass
class TeamOnDuty:
    """A team and where it is now. `status` is derived, never stored: the team's open
    assignment's status if it is out, else available while a shift covers the moment, else
    off duty."""

    team: Team
    shift: Shift | None
    status: str
    assignment: Assignment | None
    members: tuple[Member, ...] = ()
    next_shift: Shift | None = None

    @property
    def status_label(self) -> str:
        return TEAM_STATUS_LABELS[self.status]

    @property
    def on_call(self) -> bool:
        return self.shift is not None and self.shift.mode == ShiftMode.ON_CALL

    @property
    def is_available(self) -> bool:
        return self.status == AVAILABLE

    @property
    def is_civilian(self) -> bool:
        return self.team.kind in CIVILIAN_KINDS


def open_assignments(program_ids: set[int] | None = None) -> list[Assignment]:
    """Assignments not yet cleared, oldest dispatch first, with their call (and its triage),
    team and page-outs: two queries."""
    rows = (
        Assignment.objects.filter(status__in=OPEN_STATUSES)
        .select_related("call__program", "call__triage__reason", "team__program")
        .prefetch_related(
            Prefetch(
                "page_outs", queryset=PageOut.objects.select_related("user").order_by("paged_at")
            )
        )
        .order_by("dispatched_at", "id")
    )
    if program_ids is not None:
        rows = rows.filter(
            Q(team__program_id__in=program_ids) | Q(call__program_id__in=program_ids)
        )
    return list(rows)


def _member(user) -> Member:
    ms = list(user.memberships.all())  # prefetched, in id order: the first is the primary one
    first = ms[0] if ms else None
    return Member(
        name=user.get_full_name() or user.username,
        role=first.get_role_display() if first else "",
        agency=first.agency.name if first else "",
    )


def teams_on_duty(
    at: datetime,
    *,
    program_ids: set[int] | None = None,
    assignments: list[Assignment] | None = None,
) -> list[TeamOnDuty]:
    """Every team (of `program_ids`, or all) with its status at `at`: teams on shift or out
    first, then the off-duty ones, each group by program and name so that cards keep their
    place as statuses change. Five queries (four when `assignments` are given)."""
    members = User.objects.order_by("last_name", "first_name", "username").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("agency").order_by("id"))
    )
    teams = Team.objects.select_related("program").prefetch_related(
        Prefetch("members", queryset=members)
    )
    if program_ids is not None:
        teams = teams.filter(program_id__in=program_ids)
    teams = list(teams.order_by("program__name", "name"))
    shifts: dict[int, list[Shift]] = {}
    for shift in Shift.objects.filter(
        team__in=[t.id for t in teams], ends_at__gt=at, starts_at__lte=at + NEXT_SHIFT_HORIZON
    ).order_by("starts_at"):
        shifts.setdefault(shift.team_id, []).append(shift)
    if assignments is None:
        assignments = open_assignments(program_ids)
    out_on: dict[int, Assignment] = {}
    for assignment in assignments:  # oldest first: a team's newest open assignment wins
        out_on[assignment.team_id] = assignment
    rows = []
    for team in teams:
        current = next((s for s in shifts.get(team.id, ()) if s.starts_at <= at), None)
        upcoming = next((s for s in shifts.get(team.id, ()) if s.starts_at > at), None)
        assignment = out_on.get(team.id)
        if assignment is not None:
            status = assignment.status
        else:
            status = AVAILABLE if current is not None else OFF_DUTY
        rows.append(
            TeamOnDuty(
                team=team,
                shift=current,
                status=status,
                assignment=assignment,
                members=tuple(_member(u) for u in team.members.all()),
                next_shift=upcoming,
            )
        )
    rows.sort(key=lambda r: r.status == OFF_DUTY)  # stable: keeps program/name order
    return rows


def suggest_teams(call: Call, teams: list[TeamOnDuty]) -> tuple[list, list]:
    """(suggested, others) among the available teams for a call: the kinds its recommendation
    asks for, the call's own program first; civilian teams are never offered for a call
    triaged police-only."""
    recommendation = recommendation_of(call)
    kinds = SUGGESTED_KINDS.get(recommendation, ())
    available = [t for t in teams if t.is_available]
    if recommendation == Recommendation.POLICE_ONLY:
        available = [t for t in available if not t.is_civilian]

    def rank(t: TeamOnDuty):
        return (kinds.index(t.team.kind), t.team.program_id != call.program_id)

    suggested = sorted((t for t in available if t.team.kind in kinds), key=rank)
    others = [t for t in available if t.team.kind not in kinds]
    others.sort(key=lambda t: t.team.program_id != call.program_id)
    return suggested, others


@dataclass
class WaitingCall:
    call: Call
    waited: timedelta
    level: str
    recommendation: str
    suggested: list[TeamOnDuty]
    others: list[TeamOnDuty]
    bounced: bool  # a hand-off to a crisis line bounced back: the call is ours again

    @property
    def minutes(self) -> int:
        return max(0, int(self.waited.total_seconds() // 60))

    @property
    def handoff_fits(self) -> bool:
        """Triage says a crisis line can answer this caller: offer the hand-off on the board."""
        return self.recommendation in (Recommendation.TRANSFER_988, Recommendation.CLINICIAN_PHONE)


@dataclass
class Board:
    at: AsOf
    waiting: list[WaitingCall]
    active: list[Assignment]
    handoffs: list[Handoff]
    teams: list[TeamOnDuty]
    pages: list[PageOut]
    crisis_lines: list[Agency]
    counts: dict = field(default_factory=dict)

    @property
    def longest(self) -> WaitingCall | None:
        return max(self.waiting, key=lambda w: w.waited, default=None)

    @property
    def window_hours(self) -> int:
        return int(BOARD_WINDOW.total_seconds() // 3600)


def crisis_lines() -> list[Agency]:
    """The agencies a caller can be handed off to (988 and crisis lines)."""
    return list(Agency.objects.filter(kind=AgencyKind.CRISIS_LINE_988).order_by("name"))


def waiting_calls(user, at: AsOf) -> QuerySet[Call]:
    """Calls received in the board's window that no team went to and no crisis line holds, most
    urgent first (priority, then the longest wait). A call whose hand-off bounced back is
    waiting again. Calls with an encounter were answered (imported history has no
    assignments); police-only calls leave after POLICE_ONLY_WINDOW."""
    handoffs = Handoff.objects.filter(call=OuterRef("pk")).order_by("-offered_at", "-id")
    calls = (
        visible_calls(user)
        .select_related("triage__reason")
        .filter(received_at__lte=at.now, received_at__gt=at.now - BOARD_WINDOW)
        .annotate(
            has_team=Exists(Assignment.objects.filter(call=OuterRef("pk"))),
            handoff_state=Subquery(handoffs.values("state")[:1]),
        )
        .filter(has_team=False, encounters__isnull=True)
        .filter(Q(handoff_state__isnull=True) | Q(handoff_state=HandoffState.BOUNCED_BACK))
        .filter(
            ~Q(triage__recommendation=Recommendation.POLICE_ONLY)
            | Q(received_at__gt=at.now - POLICE_ONLY_WINDOW)
        )
    )
    return calls.order_by(F("priority").asc(nulls_last=True), "received_at", "id")


def board(user, at: AsOf | None = None) -> Board:
    """Everything the dispatch board shows, in a fixed number of queries (about ten).

    Calls are read as of `as_of()` (the clock, or the newest call of a data set that ended
    earlier, whose waiting calls are then shown as they stood); teams always at the clock, as a
    dispatch would find them."""
    at = at or as_of()
    program_ids = scoped_program_ids(user)
    assignments = open_assignments(program_ids)
    teams = teams_on_duty(timezone.now(), program_ids=program_ids, assignments=assignments)
    waiting = []
    for call in waiting_calls(user, at):
        suggested, others = suggest_teams(call, teams)
        waited = at.now - call.received_at
        waiting.append(
            WaitingCall(
                call=call,
                waited=waited,
                level=wait_level(call.priority, waited),
                recommendation=recommendation_of(call),
                suggested=suggested,
                others=others,
                bounced=call.handoff_state == HandoffState.BOUNCED_BACK,
            )
        )
    handoffs = Handoff.objects.filter(state__in=OPEN_HANDOFF_STATES).select_related(
        "call__program", "call__triage", "to_agency"
    )
    if program_ids is not None:
        handoffs = handoffs.filter(call__program_id__in=program_ids)
    pages = [p for a in assignments for p in a.page_outs.all() if p.acknowledged_at is None]
    on_shift = [t for t in teams if t.status != OFF_DUTY]
    return Board(
        at=at,
        waiting=waiting,
        active=assignments,
        handoffs=list(handoffs.order_by("offered_at", "id")),
        teams=teams,
        pages=pages,
        crisis_lines=crisis_lines(),
        counts={
            "waiting": len(waiting),
            "red": sum(1 for w in waiting if w.level == "red"),
            "on_shift": len(on_shift),
            "available": sum(1 for t in on_shift if t.is_available),
            "out": len(assignments),
            "pages": len(pages),
        },
    )


@dataclass
class Duty:
    """A team member's view: their teams now, and the page-outs waiting for their answer."""

    teams: list[TeamOnDuty]
    pages: list[PageOut]

    @property
    def out(self) -> list[TeamOnDuty]:
        return [t for t in self.teams if t.assignment is not None]

    @property
    def idle(self) -> list[TeamOnDuty]:
        return [t for t in self.teams if t.assignment is None]


def duty_for(user, at: datetime | None = None) -> Duty | None:
    """The user's teams with their status and open assignment; None when on no team."""
    mine = dict(user.teams.values_list("id", "program_id"))
    if not mine:
        return None
    at = at or timezone.now()
    team_ids, program_ids = set(mine), set(mine.values())
    assignments = [a for a in open_assignments(program_ids) if a.team_id in team_ids]
    teams = [
        t
        for t in teams_on_duty(at, program_ids=program_ids, assignments=assignments)
        if t.team.id in team_ids
    ]
    pages = [p for a in assignments for p in a.page_outs.all() if p.user_id == user.id]
    return Duty(teams=teams, pages=[p for p in pages if p.acknowledged_at is None])
