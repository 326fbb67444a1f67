"""The dispatch board's writes: send a team, move it along, page the on-call clinician, and hand a
caller over to a crisis line. Each write checks who may make it, stamps its time, keeps the
statuses in order, and goes to the audit chain.

Who may do what:
- a dispatcher dispatches and moves any team; a supervisor those of their agencies' programs;
- a team member moves their own team's assignment (en route, on scene, cleared ...);
- a paged clinician acknowledges their page (a dispatcher may record a spoken acknowledgement);
- a dispatcher or supervisor offers a hand-off; the receiving crisis line's staff, or the
  dispatcher on the warm line, record its answer.

Refusals: `PermissionDenied` when the user may not, `ValueError` (with a sentence a dispatcher
can act on) when the move is out of order or the team cannot go.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from coresponse.agencies.models import AgencyKind, Role, Shift, ShiftMode, Team, TeamKind
from coresponse.dispatch.models import (
    Assignment,
    AssignmentStatus,
    Call,
    Handoff,
    HandoffState,
    PageOut,
    Recommendation,
)
from coresponse.dispatch.selectors import (
    CIVILIAN_KINDS,
    OFFICER_KINDS,
    OPEN_HANDOFF_STATES,
    OPEN_STATUSES,
    recommendation_of,
    roles_of,
    scoped_program_ids,
)
from coresponse.privacy.models import AuditAction
from coresponse.privacy.selectors import memberships
from coresponse.privacy.services import record

S = AssignmentStatus
# The moves a status allows, and the time each one stamps. En route comes before on scene; a
# dispatch cancelled before arrival is cleared straight away; "clearing" (the officer back on
# patrol while the clinician stays) only after on scene, and only for a team beside an officer.
NEXT = {
    S.DISPATCHED: (S.EN_ROUTE, S.CLEARED),
    S.EN_ROUTE: (S.ON_SCENE, S.CLEARED),
    S.ON_SCENE: (S.CLEARING, S.CLEARED),
    S.CLEARING: (S.CLEARED,),
    S.CLEARED: (),
}
STAMPS = {
    S.EN_ROUTE: "en_route_at",
    S.ON_SCENE: "on_scene_at",
    S.CLEARING: "officer_cleared_at",
    S.CLEARED: "cleared_at",
}
H = HandoffState
HANDOFF_NEXT = {
    H.OFFERED: (H.ACCEPTED, H.BOUNCED_BACK),
    H.ACCEPTED: (H.CONNECTED, H.BOUNCED_BACK),
    H.CONNECTED: (),
    H.BOUNCED_BACK: (),
}
HANDOFF_STAMPS = {
    H.ACCEPTED: "accepted_at",
    H.CONNECTED: "connected_at",
    H.BOUNCED_BACK: "bounced_back_at",
}


def next_statuses(assignment: Assignment) -> tuple[str, ...]:
    """The statuses the assignment may move to now (the board's buttons)."""
    return tuple(
        s
        for s in NEXT[assignment.status]
        if s != S.CLEARING or assignment.team.kind in OFFICER_KINDS
    )


def _scoped(user, *program_ids) -> bool:
    """Whether the user works on these programs on the board (a dispatcher works on all)."""
    scope = scoped_program_ids(user)
    return scope is None or all(p is not None and p in scope for p in program_ids)


def may_dispatch(user, call: Call, team: Team) -> bool:
    roles = roles_of(user)
    if Role.DISPATCHER in roles:
        return True
    return Role.SUPERVISOR in roles and _scoped(user, call.program_id, team.program_id)


def may_advance(user, assignment: Assignment) -> bool:
    roles = roles_of(user)
    if Role.DISPATCHER in roles:
        return True
    if Role.SUPERVISOR in roles and _scoped(user, assignment.team.program_id):
        return True
    return assignment.team.members.filter(pk=user.pk).exists()


def may_acknowledge(user, page_out: PageOut) -> bool:
    """The paged clinician; or a dispatcher (or the program's supervisor) recording a spoken
    acknowledgement."""
    if page_out.user_id == user.pk:
        return True
    roles = roles_of(user)
    if Role.DISPATCHER in roles:
        return True
    return Role.SUPERVISOR in roles and _scoped(user, page_out.assignment.team.program_id)


def may_offer_handoff(user, call: Call) -> bool:
    roles = roles_of(user)
    if Role.DISPATCHER in roles:
        return True
    return Role.SUPERVISOR in roles and _scoped(user, call.program_id)


def may_answer_handoff(user, handoff: Handoff) -> bool:
    """The dispatcher on the warm line, a supervisor, or anyone at the receiving crisis line."""
    if may_offer_handoff(user, handoff.call):
        return True
    return any(m.agency_id == handoff.to_agency_id for m in memberships(user))


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _shift_at(team: Team, at: datetime) -> Shift | None:
    return (
        Shift.objects.filter(team=team, starts_at__lte=at, ends_at__gt=at)
        .order_by("starts_at")
        .first()
    )


def dispatch_team(call: Call, team: Team, *, user, at: datetime | None = None) -> Assignment:
    """Send an available team to a call. A team on call pages its clinician member(s)."""
    if not may_dispatch(user, call, team):
        raise PermissionDenied("You may not dispatch this team to this call.")
    at = _now(at)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)  # one dispatch of a team at once
        busy = (
            Assignment.objects.filter(team=team, status__in=OPEN_STATUSES)
            .select_related("call")
            .first()
        )
        if busy is not None:
            raise ValueError(
                f"{team.name} is already out on call {busy.call.external_id} "
                f"({busy.get_status_display().lower()})."
            )
        shift = _shift_at(team, at)
        if shift is None:
            raise ValueError(f"{team.name} is off duty: no shift covers this time.")
        if recommendation_of(call) == Recommendation.POLICE_ONLY and team.kind in CIVILIAN_KINDS:
            raise ValueError(
                f"Call {call.external_id} was triaged police only; {team.name} is a civilian "
                "team and cannot be sent to it."
            )
        if call.handoffs.filter(state__in=OPEN_HANDOFF_STATES).exists():
            raise ValueError(
                f"Call {call.external_id} is being handed off to a crisis line: record the "
                "hand-off's answer (connected or bounced back) first."
            )
        if at < call.received_at:
            raise ValueError("A team cannot be dispatched before the call was received.")
        assignment = Assignment.objects.create(
            call=call, team=team, status=S.DISPATCHED, dispatched_at=at
        )
        record(
            user,
            AuditAction.WRITE,
            "assignment",
            assignment.pk,
            detail=f"dispatched {team.name} to call {call.external_id}",
        )
        if shift.mode == ShiftMode.ON_CALL or team.kind == TeamKind.ON_CALL_CLINICIAN:
            _page(assignment, team, user, at)
    return assignment


def _page(assignment: Assignment, team: Team, user, at: datetime) -> list[PageOut]:
    """Page the on-call team's clinicians (every member when it has none)."""
    members = list(team.members.prefetch_related("memberships").order_by("id"))
    clinicians = [
        m for m in members if any(ms.role == Role.CLINICIAN for ms in m.memberships.all())
    ]
    pages = PageOut.objects.bulk_create(
        PageOut(assignment=assignment, user=member, paged_at=at)
        for member in (clinicians or members)
    )
    for page in pages:
        record(
            user,
            AuditAction.WRITE,
            "page_out",
            page.pk,
            detail=f"paged {page.user.get_full_name() or page.user.username} "
            f"for call {assignment.call.external_id}",
        )
    return pages


def advance(assignment: Assignment, status: str, *, user, at: datetime | None = None) -> Assignment:
    """Move an assignment to its next status and stamp the time; out-of-order moves are refused."""
    if status not in STAMPS:
        raise ValueError(f"{status!r} is not a status a team moves to.")
    if not may_advance(user, assignment):
        raise PermissionDenied("You may not change this team's status.")
    at = _now(at)
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("team", "call")
            .get(pk=assignment.pk)
        )
        current = S(assignment.status)
        if status not in next_statuses(assignment):
            if status == S.CLEARING and assignment.team.kind not in OFFICER_KINDS:
                raise ValueError(f"{assignment.team.name} has no officer to clear first.")
            raise ValueError(
                f"{assignment.team.name} is {current.label.lower()}; it cannot move to "
                f"{S(status).label.lower()} from there."
            )
        previous = max(
            t
            for t in (
                assignment.dispatched_at,
                assignment.en_route_at,
                assignment.on_scene_at,
                assignment.officer_cleared_at,
            )
            if t is not None
        )
        if at < previous:
            raise ValueError(
                f"{S(status).label} at {timezone.localtime(at):%H:%M} would be before the "
                f"last status ({timezone.localtime(previous):%H:%M})."
            )
        setattr(assignment, STAMPS[status], at)
        assignment.status = status
        assignment.save(update_fields=["status", STAMPS[status]])
        record(
            user,
            AuditAction.WRITE,
            "assignment",
            assignment.pk,
            detail=f"{assignment.team.name} {S(status).label.lower()} on call "
            f"{assignment.call.external_id}",
        )
    return assignment


def acknowledge_page(page_out: PageOut, *, user, at: datetime | None = None) -> PageOut:
    if not may_acknowledge(user, page_out):
        raise PermissionDenied("Only the paged clinician or a dispatcher may acknowledge a page.")
    at = _now(at)
    with transaction.atomic():
        page_out = (
            PageOut.objects.select_for_update()
            .select_related("user", "assignment__call")
            .get(pk=page_out.pk)
        )
        if page_out.acknowledged_at is not None:
            raise ValueError("This page was already acknowledged.")
        if at < page_out.paged_at:
            raise ValueError("A page cannot be acknowledged before it was sent.")
        page_out.acknowledged_at = at
        page_out.save(update_fields=["acknowledged_at"])
        who = page_out.user.get_full_name() or page_out.user.username
        by = "" if user.pk == page_out.user_id else " (recorded by the dispatcher)"
        record(
            user,
            AuditAction.WRITE,
            "page_out",
            page_out.pk,
            detail=f"{who} acknowledged the page for call "
            f"{page_out.assignment.call.external_id}{by}",
        )
    return page_out


def offer_handoff(
    call: Call, to_agency, *, user, note: str = "", at: datetime | None = None
) -> Handoff:
    """Offer the caller to a 988 / crisis line: a warm hand-off, the dispatcher stays on the line
    until the line accepts and connects, or the call bounces back to the board."""
    if not may_offer_handoff(user, call):
        raise PermissionDenied("You may not hand this call off.")
    if to_agency.kind != AgencyKind.CRISIS_LINE_988:
        raise ValueError(f"{to_agency.name} is not a 988 or crisis line.")
    at = _now(at)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.handoffs.filter(state__in=OPEN_HANDOFF_STATES).exists():
            raise ValueError(f"Call {call.external_id} already has a hand-off under way.")
        if call.assignments.filter(status__in=OPEN_STATUSES).exists():
            raise ValueError(
                f"A team is out on call {call.external_id}; clear it before handing the caller off."
            )
        handoff = Handoff.objects.create(
            call=call,
            to_agency=to_agency,
            state=H.OFFERED,
            offered_at=at,
            note=note[:500],
            offered_by=user if getattr(user, "is_authenticated", False) else None,
        )
        record(
            user,
            AuditAction.WRITE,
            "handoff",
            handoff.pk,
            detail=f"offered call {call.external_id} to {to_agency.name}",
        )
    return handoff


def set_handoff_state(handoff: Handoff, state: str, *, user, at: datetime | None = None) -> Handoff:
    """Accepted, connected or bounced back, in that order; bounced back returns the call to the
    board's waiting list."""
    if state not in HANDOFF_STAMPS:
        raise ValueError(f"{state!r} is not a hand-off state to move to.")
    if not may_answer_handoff(user, handoff):
        raise PermissionDenied("You may not record this hand-off's answer.")
    at = _now(at)
    with transaction.atomic():
        handoff = (
            Handoff.objects.select_for_update()
            .select_related("call", "to_agency")
            .get(pk=handoff.pk)
        )
        current = H(handoff.state)
        if state not in HANDOFF_NEXT[current]:
            raise ValueError(
                f"The hand-off of call {handoff.call.external_id} is {current.label.lower()}; "
                f"it cannot become {H(state).label.lower()}."
            )
        if at < handoff.offered_at:
            raise ValueError("A hand-off cannot be answered before it was offered.")
        setattr(handoff, HANDOFF_STAMPS[state], at)
        handoff.state = state
        handoff.save(update_fields=["state", HANDOFF_STAMPS[state]])
        record(
            user,
            AuditAction.WRITE,
            "handoff",
            handoff.pk,
            detail=f"hand-off of call {handoff.call.external_id} to {handoff.to_agency.name}: "
            f"{H(state).label.lower()}",
        )
    return handoff
