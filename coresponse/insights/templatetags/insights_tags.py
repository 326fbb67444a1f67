"""Formatting for the insights templates: rates, intervals, money, query strings."""

from urllib.parse import urlencode

from django import template

register = template.Library()


@register.filter
def pct(value, digits: int = 0):
    if value is None or value == "":
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def ci(interval):
    """'95% CI 12.1–15.0%' for a rate interval."""
    if not interval:
        return ""
    return f"{interval.low * 100:.1f}–{interval.high * 100:.1f}%"


@register.simple_tag
def query(base: dict, **changes) -> str:
    """The query string of `base` with `changes` (a value of '' removes the key)."""
    merged = {**(base or {}), **changes}
    return urlencode({k: v for k, v in merged.items() if v not in ("", None)})


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def money(value, currency="USD"):
    from coresponse.insights.selectors import money as format_money

    if value in (None, ""):
        return "—"
    return format_money(float(value), currency or None)
