"""Template helpers of the dispatch board: badges that carry words, not colour alone, and the
actions block of a call's page."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html

from coresponse.agencies.models import TeamKind
from coresponse.dispatch import selectors
from coresponse.dispatch.models import AssignmentStatus, HandoffState, Recommendation
from coresponse.dispatch.services import board as service

register = template.Library()

TEAM_TONES = {
    selectors.AVAILABLE: "good",
    AssignmentStatus.DISPATCHED: "warn",
    AssignmentStatus.EN_ROUTE: "warn",
    AssignmentStatus.ON_SCENE: "info",
    AssignmentStatus.CLEARING: "info",
    AssignmentStatus.CLEARED: "neutral",
    selectors.OFF_DUTY: "neutral",
}
RECOMMENDATION_TONES = {
    Recommendation.CO_RESPONDER: "info",
    Recommendation.CIVILIAN_TEAM: "good",
    Recommendation.CLINICIAN_PHONE: "alert-soft",
    Recommendation.TRANSFER_988: "alert-soft",
    Recommendation.POLICE_ONLY: "neutral",
    Recommendation.EMS: "warn",
}
HANDOFF_TONES = {
    HandoffState.OFFERED: "warn",
    HandoffState.ACCEPTED: "info",
    HandoffState.CONNECTED: "good",
    HandoffState.BOUNCED_BACK: "alert",
}
WAIT_WORDS = {"ok": "", "amber": "long wait", "red": "overdue"}
SHORT_KINDS = {
    TeamKind.RIDE_ALONG_PAIR: "Ride-along pair",
    TeamKind.ON_CALL_CLINICIAN: "On-call clinician",
    TeamKind.CIVILIAN_PAIR: "Civilian pair",
    TeamKind.THREE_PERSON: "Three-person team",
}
# The button that moves a team to a status. Cleared before arrival is a cancellation.
MOVE_LABELS = {
    AssignmentStatus.EN_ROUTE: "En route",
    AssignmentStatus.ON_SCENE: "On scene",
    AssignmentStatus.CLEARING: "Officer cleared",
    AssignmentStatus.CLEARED: "Cleared",
}


def _badge(tone: str, text: str, hidden_prefix: str = ""):
    if hidden_prefix:
        return format_html(
            '<span class="badge badge-{}"><span class="visually-hidden">{} </span>{}</span>',
            tone,
            hidden_prefix,
            text,
        )
    return format_html('<span class="badge badge-{}">{}</span>', tone, text)


@register.simple_tag
def team_status_badge(status: str):
    label = selectors.TEAM_STATUS_LABELS.get(status) or AssignmentStatus(status).label
    return _badge(TEAM_TONES.get(status, "neutral"), label, "Status:")


@register.simple_tag
def recommendation_badge(recommendation: str):
    if not recommendation:
        return _badge("neutral", "Not triaged", "Triage:")
    return _badge(
        RECOMMENDATION_TONES.get(recommendation, "neutral"),
        Recommendation(recommendation).label,
        "Triage recommends:",
    )


@register.simple_tag
def handoff_badge(handoff):
    return _badge(HANDOFF_TONES.get(handoff.state, "neutral"), handoff.get_state_display())


@register.filter
def duration(value) -> str:
    """A wait as "45 s", "12 min" or "1 h 05 min"."""
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return "under 1 min"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


@register.simple_tag
def wait_badge(waiting):
    """The wait with its target level in words: "12 min · overdue"."""
    text = duration(waiting.waited)
    word = WAIT_WORDS[waiting.level]
    if word:
        text = f"{text} · {word}"
    return format_html(
        '<span class="wait wait-{}"><span class="visually-hidden">Waiting </span>{}</span>',
        waiting.level,
        text,
    )


@register.filter
def short_kind(team) -> str:
    return SHORT_KINDS.get(team.kind, team.get_kind_display())


@register.filter
def moves(assignment) -> list[tuple[str, str]]:
    """(status, button label) of the moves the assignment allows now, the usual next one first."""
    out = []
    for status in service.next_statuses(assignment):
        label = MOVE_LABELS[status]
        if status == AssignmentStatus.CLEARED and assignment.on_scene_at is None:
            label = "Cancel (clear)"
        out.append((status, label))
    return out


@register.filter
def beside_officer(team) -> bool:
    return team.kind in selectors.OFFICER_KINDS


@register.filter
def handoff_moves(handoff) -> list[tuple[str, str]]:
    return [(s, HandoffState(s).label) for s in service.HANDOFF_NEXT[HandoffState(handoff.state)]]


@register.simple_tag(takes_context=True)
def call_actions(context, call):
    """What the signed-in user may do on a call's page: dispatch it, move its teams along, hand
    it to a crisis line or record the hand-off's answer. Only what the user may do is offered."""
    request = context["request"]
    user = request.user
    now = timezone.now()
    assignments = [a for a in call.assignments.all() if a.status in selectors.OPEN_STATUSES]
    handoffs = list(call.handoffs.select_related("to_agency").order_by("-offered_at", "-id"))
    open_handoff = next((h for h in handoffs if h.state in selectors.OPEN_HANDOFF_STATES), None)
    may_dispatch = selectors.can_dispatch(user)
    teams, suggested, others = [], [], []
    if may_dispatch and open_handoff is None:
        teams = selectors.teams_on_duty(now, program_ids=selectors.scoped_program_ids(user))
        suggested, others = selectors.suggest_teams(call, teams)
    advanceable = [a for a in assignments if service.may_advance(user, a)]
    return {
        "may_dispatch": may_dispatch,
        "suggested": suggested,
        "others": others,
        "assignments": advanceable,
        "handoffs": handoffs,
        "open_handoff": open_handoff,
        "may_answer": open_handoff is not None and service.may_answer_handoff(user, open_handoff),
        "may_offer": may_dispatch and open_handoff is None and not assignments,
        "crisis_lines": selectors.crisis_lines() if may_dispatch else [],
    }
