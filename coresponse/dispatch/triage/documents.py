"""Protocol documents as text: TOML for people (the editor), JSON in the database.

`dumps(document)` writes a document as TOML that `parse(text)` reads back unchanged, so a
program manager edits readable TOML while ProtocolVersion.document stays a JSON object.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib

from .engine import describe_windows, validate

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
WIDTH = 96


def parse(text: str) -> tuple[dict | None, list[str]]:
    """(document, problems): problems are TOML syntax errors (with line and column) or what
    validation finds; the document is None when the text is not TOML at all."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, [f"TOML: {error}"]
    return document, validate(document)


def dumps(document: dict) -> str:
    """The document as TOML: plain keys first, then each list of tables as [[key]] blocks."""
    lines: list[str] = []
    tables = []
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            if key in ("service_hours",):
                lines.append(f"{_key(key)} = {_value(value, len(key) + 3)}")
            else:
                tables.append((key, value))
        elif isinstance(value, dict):
            tables.append((key, [value]))
        else:
            lines.append(f"{_key(key)} = {_value(value, len(key) + 3)}")
    for key, items in tables:
        for item in items:
            lines.append("")
            lines.append(f"[[{_key(key)}]]")
            for k, v in item.items():
                lines.append(f"{_key(k)} = {_value(v, len(k) + 3)}")
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _value(value, indent: int = 0) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list):
        items = [_value(v) for v in value]
        flat = "[" + ", ".join(items) + "]"
        if indent + len(flat) <= WIDTH:
            return flat
        rows, row = [], ""
        for item in items:  # wrapped: as many items per line as fit
            if row and len(row) + len(item) + 2 > WIDTH - 4:
                rows.append(row)
                row = ""
            row = f"{row} {item}," if row else f"{item},"
        rows.append(row)
        return "[\n" + "\n".join(f"    {r}" for r in rows) + "\n]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


# --- what changed between two versions -----------------------------------------------------------

_SECTIONS = ("exclusions", "rules")


def changes(old: dict, new: dict) -> list[str]:
    """What changed from `old` to `new`, one readable line a change, rules named by id."""
    out = []
    for key in sorted((old.keys() | new.keys()) - set(_SECTIONS)):
        if old.get(key) != new.get(key):
            out.append(_changed(key, old.get(key), new.get(key)))
    for section in _SECTIONS:
        before = {r.get("id"): r for r in old.get(section, []) if isinstance(r, dict)}
        after = {r.get("id"): r for r in new.get(section, []) if isinstance(r, dict)}
        noun = "exclusion" if section == "exclusions" else "rule"
        for rule_id, rule in after.items():
            if rule_id not in before:
                out.append(f"Added {noun} {rule_id}: {rule.get('label', '')}")
        for rule_id, rule in before.items():
            if rule_id not in after:
                out.append(f"Removed {noun} {rule_id}: {rule.get('label', '')}")
        for rule_id, rule in after.items():
            if rule_id in before and rule != before[rule_id]:
                was = before[rule_id]
                for key in [*was.keys(), *(k for k in rule if k not in was)]:
                    if was.get(key) != rule.get(key):
                        out.append(_changed(f"{noun} {rule_id} {key}", was.get(key), rule.get(key)))
        order_before = [i for i in before if i in after]
        order_after = [i for i in after if i in before]
        if order_before != order_after:
            out.append(f"Reordered {section}: {', '.join(str(i) for i in order_after)}")
    return out


def _changed(what: str, old, new) -> str:
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(v, str) for v in (*old, *new))
    ):
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = []
        if added:
            parts.append("added " + ", ".join(f'"{v}"' for v in added))
        if removed:
            parts.append("removed " + ", ".join(f'"{v}"' for v in removed))
        return f"{what}: {'; '.join(parts) or 'reordered'}"
    if old is None:
        return f"{what}: set to {_short(new)}"
    if new is None:
        return f"{what}: removed (was {_short(old)})"
    return f"{what}: {_short(old)} → {_short(new)}"


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


def text_diff(old: dict, new: dict, old_number: int) -> str:
    """The two documents as TOML, as a unified diff."""
    return "".join(
        difflib.unified_diff(
            dumps(old).splitlines(keepends=True),
            dumps(new).splitlines(keepends=True),
            fromfile=f"version {old_number}",
            tofile=f"version {old_number + 1}",
            n=2,
        )
    )


# --- a rule in words, for the protocol page ------------------------------------------------------


def describe(rule: dict, program_hours: list | None) -> list[tuple[str, str]]:
    """A rule's conditions as (what, value) pairs a reader scans: ("Priority", "1–3"), ..."""

    out = []
    if rule.get("call_types"):
        out.append(("Call type", ", ".join(rule["call_types"])))
    if rule.get("categories"):
        out.append(("Category", ", ".join(rule["categories"])))
    if rule.get("call_sources"):
        out.append(("Source", ", ".join(rule["call_sources"])))
    priority = rule.get("priority")
    if priority is not None:
        low, high = (priority, priority) if isinstance(priority, int) else priority
        out.append(("Priority", str(low) if low == high else f"{low}–{high}"))
    for key, what in (
        ("keywords_any", "Words, any of"),
        ("keywords_all", "Words, all of"),
        ("keywords_none", "None of the words"),
    ):
        if rule.get(key):
            out.append((what, ", ".join(rule[key])))
    hours = rule.get("hours")
    if hours == "program":
        out.append(("When", f"program hours ({describe_windows(program_hours or [])})"))
    elif hours == "outside_program":
        out.append(("When", f"outside program hours ({describe_windows(program_hours or [])})"))
    elif isinstance(hours, list):
        out.append(("When", describe_windows(hours)))
    if rule.get("flags_any"):
        out.append(("Flag", ", ".join(f.replace("_", " ") for f in rule["flags_any"])))
    if rule.get("flags_none"):
        out.append(("Not flagged", ", ".join(f.replace("_", " ") for f in rule["flags_none"])))
    return out
