"""Opening hours as people write them, and as the directory stores them.

    parse_hours("Mon-Fri 08:00-18:00; Sat 09:00-13:00")
      -> [{"days": [0, 1, 2, 3, 4], "open": "08:00", "close": "18:00"},
          {"days": [5], "open": "09:00", "close": "13:00"}]
    parse_hours("24/7") -> "24/7"
    parse_hours("Daily 22:00-06:00")  # past midnight: closes at 06:00 the next morning

Days are Mon Tue Wed Thu Fri Sat Sun (Monday = 0, as Python's weekday()), a range (Mon-Fri),
a list (Mon,Wed,Fri), or Daily. Times are 24-hour HH:MM. Parts are separated by ";". Pure:
no Django, so the CSV import, the forms and the tests share it.
"""

from __future__ import annotations

import re

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_PART = re.compile(
    r"^(?P<days>[A-Za-z ,\-]+?)\s+(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})$"
)


def _time(text: str) -> str:
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time HH:MM (24-hour)")
    return f"{int(match[1]):02d}:{match[2]}"


def _day(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in DAY_NAMES or len(text.strip()) < 3:
        raise ValueError(f"{text.strip()!r} is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)")
    return DAY_NAMES.index(key)


def _days(text: str) -> list[int]:
    text = text.strip()
    if text.lower() in ("daily", "every day", "mon-sun"):
        return list(range(7))
    days: list[int] = []
    for piece in text.split(","):
        if "-" in piece:
            first, last = (_day(p) for p in piece.split("-", 1))
            span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            days.extend(span)
        else:
            days.append(_day(piece))
    if len(set(days)) != len(days):
        raise ValueError(f"{text!r} names a day twice")
    return sorted(days)


def parse_hours(text: str) -> list[dict] | str:
    """The rules for `text`, or ALWAYS; raises ValueError saying what is wrong."""
    text = (text or "").strip()
    if text.lower() in (ALWAYS, "24x7", "24 hours", "always"):
        return ALWAYS
    rules = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        match = _PART.match(part)
        if not match:
            raise ValueError(f"{part!r} is not like 'Mon-Fri 08:00-18:00'")
        opens, closes = _time(match["open"]), _time(match["close"])
        if opens == closes:
            raise ValueError(f"{part!r} opens and closes at the same time")
        rules.append({"days": _days(match["days"]), "open": opens, "close": closes})
    return rules


def format_hours(rules: list[dict], always: bool = False) -> str:
    """The stored rules back in the written form (`parse_hours` reads it)."""
    if always:
        return ALWAYS
    parts = []
    for rule in rules:
        days = rule.get("days", list(range(7)))
        if list(days) == list(range(7)):
            label = "Daily"
        elif len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
            label = f"{DAY_NAMES[days[0]].title()}-{DAY_NAMES[days[-1]].title()}"
        else:
            label = ",".join(DAY_NAMES[d].title() for d in days)
        parts.append(f"{label} {rule['open']}-{rule['close']}")
    return "; ".join(parts)
