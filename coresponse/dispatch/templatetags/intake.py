"""Template filters of call intake."""

from django import template

from coresponse.dispatch.services.intake import format_phone

register = template.Library()


@register.filter
def phone(digits) -> str:
    """A stored caller number as people read it: (303) 555-0142."""
    return format_phone(digits or "")
