"""Small template helpers for the shell: badges that carry text, not colour alone."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

PRIORITY_TONES = {1: "alert", 2: "warn"}
DISPOSITION_TONES = {
    "resolved_on_scene": "good",
    "referred": "good",
    "voluntary_transport_crisis_center": "info",
    "voluntary_transport_er": "info",
    "transferred_ems": "info",
    "involuntary_hold": "warn",
    "citation": "warn",
    "arrest": "alert",
}
STATUS_TONES = {
    "dispatched": "warn",
    "en_route": "warn",
    "on_scene": "info",
    "cleared": "neutral",
}
KIND_TONES = {"crisis": "alert-soft", "follow_up": "neutral", "outreach": "info"}


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
def priority_badge(priority):
    if not priority:
        return _badge("neutral", "P–", "Priority not set")
    return _badge(PRIORITY_TONES.get(priority, "neutral"), f"P{priority}", "Priority")


@register.simple_tag
def disposition_badge(encounter):
    if not encounter.disposition:
        return _badge("neutral", "No disposition")
    return _badge(
        DISPOSITION_TONES.get(encounter.disposition, "neutral"),
        encounter.get_disposition_display(),
    )


@register.simple_tag
def kind_badge(encounter):
    return _badge(KIND_TONES.get(encounter.kind, "neutral"), encounter.get_kind_display())


@register.simple_tag
def assignment_badge(assignment):
    return _badge(STATUS_TONES.get(assignment.status, "neutral"), assignment.get_status_display())


@register.simple_tag
def call_status_badge(call, queue=False):
    """From `with_status` annotations: waiting for a team (on the live queue), a team out, or
    cleared. An old call no team went to is not "waiting": it was handled without one."""
    if not getattr(call, "has_team", True):
        return _badge("alert", "Waiting") if queue else _badge("neutral", "No team sent")
    if getattr(call, "has_open_team", False):
        return _badge("warn", "Active")
    return _badge("neutral", "Cleared")


@register.simple_tag
def yes_no(value):
    if value:
        return mark_safe('<span class="yn yn-yes"><span aria-hidden="true">●</span> Yes</span>')
    return mark_safe('<span class="yn yn-no"><span aria-hidden="true">○</span> No</span>')


@register.simple_tag
def referral_badge(referral):
    tone = {
        "completed": "good",
        "declined": "alert",
        "no_show": "warn",
        "closed": "neutral",
    }.get(referral.status, "info")
    return _badge(tone, referral.get_status_display())


@register.simple_tag
def followup_badge(followup, now=None):
    if followup.outcome:
        tone = "good" if followup.outcome == "connected" else "neutral"
        return _badge(tone, followup.get_outcome_display())
    if now is not None and followup.due_at < now:
        return _badge("alert", "Overdue")
    return _badge("info", "Due")


@register.filter
def minutes(value):
    if value is None:
        return "—"
    return f"{value} min"
