from django import template

from coresponse.privacy.models import Purpose
from coresponse.privacy.selectors import PART2_REDISCLOSURE_NOTICE

register = template.Library()


@register.simple_tag
def part2_notice() -> str:
    """42 CFR 2.32's notice, shown with every disclosure of a substance-use record."""
    return PART2_REDISCLOSURE_NOTICE


@register.filter
def purpose_label(code: str) -> str:
    return Purpose(code).label if code in Purpose.values else code
