"""Reads of calls for service, filtered by who may see them, and the demo-safe "now".

A user sees the calls of programs in which one of their agencies is a partner; a dispatcher (at
any agency) sees every call. Calls carry no person record, so no disclosure decision is needed
here; encounters (with person data) are read through `coresponse.field.selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from coresponse.agencies.models import Program, Role
from coresponse.dispatch.models import Assignment, Call
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
    calls = Call.objects.select_related("program")
    if is_dispatcher(user):
        return calls
    return calls.filter(program__in=partner_programs(user).values("id"))


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
    calls = visible_calls(user).prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("team__program"))
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
