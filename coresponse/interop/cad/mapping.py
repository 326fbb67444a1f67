"""A CAD mapping: which columns of a city's calls-for-service export hold what Coresponse needs.

Cities publish their CAD data with their own column names, time formats and codes; a mapping
is a small TOML file (read with tomllib) that says, for one such format:

    name = "Seattle Police Department: Call Data"
    tag = "seattle"                        # prefix of every imported call id: "seattle-2021..."
    time_format = "%m/%d/%Y %I:%M:%S %p"   # strptime, or "iso"
    time_zone = "America/Los_Angeles"      # for times written without a UTC offset

    [columns]                              # Coresponse field = the export's column header
    id = "CAD Event Number"
    received_at = "Original Time Queued"
    call_type = "Initial Call Type"
    ...

    [priorities]    # optional: the export's priority code -> 1..5 (0: stored without one)
    [call_types]    # optional: call-type code -> label
    [sources]       # optional: the source column's values -> 911, 988, non_emergency, ...

Every mistake in a mapping is reported at once (MappingError.problems), before any row is read.
The format is documented in docs/cad-import.md; examples are in docs/cad-mappings/.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coresponse.dispatch.models import CallSource

# The fields a mapping can fill, in the order they are documented.
FIELDS: dict[str, str] = {
    "id": "the call's id in the export (stored prefixed with the tag)",
    "received_at": "when the call was received",
    "call_type": "the CAD call type, a code or a label",
    "priority": "the priority: 1 to 5, or codes that [priorities] translates",
    "source": "how the call came in, values that [sources] translates",
    "address": "the address or block",
    "latitude": "latitude in degrees, with longitude",
    "longitude": "longitude in degrees, with latitude",
    "point": 'one column holding both: "POINT (lon lat)" or "(lat, lon)"',
    "district": "precinct, district, sector or beat",
    "narrative": "the call-taker's narrative or remarks",
    "caller_name": "the caller's name",
    "caller_phone": "the caller's phone number",
}
REQUIRED = ("id", "received_at", "call_type")
SETTINGS = {
    "name": "what this export is, for people",
    "url": "where the export is published",
    "notes": "anything worth knowing about the format",
    "tag": "prefix of imported call ids, so that two cities never collide",
    "time_format": 'strptime format of received_at, or "iso"',
    "time_zone": "IANA time zone of times written without a UTC offset",
    "default_source": "the source of a call whose source cell is blank (default 911)",
    "encoding": "the file's text encoding (default utf-8; a byte-order mark is fine)",
    "delimiter": "the separator between values (default ,)",
    "columns": "table: Coresponse field = the export's column header",
    "priorities": "table: priority code = 1..5",
    "call_types": "table: call-type code = label",
    "sources": "table: source value = 911, 988, non_emergency, officer_initiated, ...",
}
TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,23}\Z")
ISO = "iso"
EXAMPLE = datetime(2021, 3, 28, 13, 5, 7, 250000)  # shows a time format in error messages


class MappingError(Exception):
    """The mapping cannot be used; `.problems` lists every reason, one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Mapping:
    name: str
    tag: str
    columns: dict[str, str]  # field -> column header
    time_format: str = ISO
    time_zone: str = "UTC"
    priorities: dict[str, int] = field(default_factory=dict)
    call_types: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    default_source: str = CallSource.E911.value
    encoding: str = "utf-8"
    delimiter: str = ","
    url: str = ""
    notes: str = ""
    path: str = ""  # where it was read from, for messages

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def external_id(self, value: str) -> str:
        return f"{self.tag}-{value}"

    def with_columns(self, **columns: str) -> Mapping:
        """The same mapping with more (or other) columns: an agency's own extract often has
        what its public export leaves out, such as the narrative and the caller's number."""
        merged = {**self.columns, **columns}
        mapping = replace(self, columns={k: v for k, v in merged.items() if v})
        problems = _check(mapping)
        if problems:
            raise MappingError(problems)
        return mapping

    def time_parser(self) -> Callable[[str], datetime]:
        """text -> aware datetime; raises ValueError saying what was expected."""
        return time_parser(self.time_format, self.zone)


def load(path) -> Mapping:
    """Read and check a mapping file; raises MappingError listing every problem."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError([f"{path}: no such file"]) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise MappingError([f"{path}: not a TOML file ({error})"]) from None
    return from_document(document, str(path))


def from_document(document: dict, path: str = "mapping") -> Mapping:
    """A Mapping from a parsed TOML document (see `load`)."""
    problems: list[str] = []

    def text(key: str, default: str = "") -> str:
        value = document.get(key, default)
        if not isinstance(value, str):
            problems.append(f"{path}: {key}: must be text")
            return default
        return value

    def table(key: str, kind: type, what: str) -> dict:
        value = document.get(key, {})
        if not isinstance(value, dict):
            problems.append(f"{path}: {key}: must be a table ([{key}])")
            return {}
        out = {}
        for name, item in value.items():
            if isinstance(item, bool) or not isinstance(item, kind):
                problems.append(f"{path}: {key}.{name}: must be {what}")
            else:
                out[str(name)] = item
        return out

    for key in document:
        if key not in SETTINGS:
            problems.append(f"{path}: {key}: unknown setting (expected: {', '.join(SETTINGS)})")
    mapping = Mapping(
        name=text("name"),
        tag=text("tag"),
        columns=table("columns", str, "a column header (text)"),
        time_format=text("time_format", ISO),
        time_zone=text("time_zone", "UTC"),
        priorities=table("priorities", int, "a whole number from 1 to 5 (0: no priority)"),
        call_types=table("call_types", str, "a label (text)"),
        sources=table("sources", str, "a call source (text)"),
        default_source=text("default_source", CallSource.E911.value),
        encoding=text("encoding", "utf-8"),
        delimiter=text("delimiter", ","),
        url=text("url"),
        notes=text("notes"),
        path=path,
    )
    problems.extend(_check(mapping))
    if problems:
        raise MappingError(problems)
    return mapping


def _check(mapping: Mapping) -> list[str]:
    path, problems = mapping.path or "mapping", []
    if not mapping.name.strip():
        problems.append(f"{path}: name: is required (what this export is)")
    if not TAG.match(mapping.tag):
        problems.append(
            f"{path}: tag: {mapping.tag!r} must be 1 to 24 letters, digits, '.', '_' or '-' "
            "(it prefixes every imported call id)"
        )
    columns = mapping.columns
    for name, header in columns.items():
        if name not in FIELDS:
            problems.append(
                f"{path}: columns.{name}: unknown field (expected: {', '.join(FIELDS)})"
            )
        elif not header.strip():
            problems.append(f"{path}: columns.{name}: names no column")
    for name in REQUIRED:
        if name not in columns:
            problems.append(f"{path}: columns.{name}: is required ({FIELDS[name]})")
    if ("latitude" in columns) != ("longitude" in columns):
        problems.append(f"{path}: columns: latitude and longitude go together")
    if "point" in columns and "latitude" in columns:
        problems.append(f"{path}: columns: point, or latitude and longitude, not both")
    try:
        ZoneInfo(mapping.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{path}: time_zone: {mapping.time_zone!r} is not an IANA time zone")
    if mapping.time_format != ISO:
        problems.extend(f"{path}: time_format: {p}" for p in _check_format(mapping.time_format))
    for code, value in mapping.priorities.items():
        if not 0 <= value <= 5:
            problems.append(
                f"{path}: priorities.{code}: is {value}; must be from 1 to 5 (0: no priority)"
            )
    if mapping.priorities and "priority" not in columns:
        problems.append(f"{path}: priorities: there is no priority column to translate")
    if mapping.sources and "source" not in columns:
        problems.append(f"{path}: sources: there is no source column to translate")
    valid = ", ".join(CallSource.values)
    for value, source in mapping.sources.items():
        if source not in CallSource.values:
            problems.append(f"{path}: sources.{value}: {source!r} is not one of: {valid}")
    if mapping.default_source not in CallSource.values:
        problems.append(
            f"{path}: default_source: {mapping.default_source!r} is not one of: {valid}"
        )
    for code, label in mapping.call_types.items():
        if not label.strip() or len(label) > 120:
            problems.append(f"{path}: call_types.{code}: a label has 1 to 120 characters")
    try:
        "".encode(mapping.encoding)
    except LookupError:
        problems.append(f"{path}: encoding: {mapping.encoding!r} is not a known encoding")
    if len(mapping.delimiter) != 1 or mapping.delimiter in '"\r\n':
        problems.append(f"{path}: delimiter: must be one character (not a quote or line end)")
    return problems


# --- times ---------------------------------------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# strptime directives read here by a regular expression (fast, and independent of the locale);
# any other directive falls back to datetime.strptime.
_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})",
    "I": r"(?P<I>\d{1,2})",
    "M": r"(?P<M>\d{1,2})",
    "S": r"(?P<S>\d{1,2})",
    "f": r"(?P<f>\d{1,6})",
    "p": r"(?P<p>[AaPp][Mm])",
    "b": r"(?P<b>[A-Za-z]{3})",
    "z": r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)",
}


def _check_format(fmt: str) -> list[str]:
    if "%" not in fmt:
        return [
            f'{fmt!r} has no % directive (a strptime format such as "%m/%d/%Y %H:%M", or "iso")'
        ]
    try:
        example = EXAMPLE.strftime(fmt)
        parsed = datetime.strptime(example, fmt)
    except ValueError as error:
        return [f"{fmt!r} is not a strptime format ({error})"]
    missing = [d for d in ("%Y|%y", "%m|%b|%B", "%d") if not any(x in fmt for x in d.split("|"))]
    if missing:
        return [f"{fmt!r} lacks a year, month or day ({', '.join(missing)})"]
    if parsed.date() != EXAMPLE.date():
        return [f"{fmt!r} does not read back the day it writes"]
    return []


def example(fmt: str) -> str:
    return "2021-03-28T13:05:07" if fmt == ISO else EXAMPLE.strftime(fmt)


def time_parser(fmt: str, zone) -> Callable[[str], datetime]:
    """A function text -> aware datetime for one format and zone. Naive times are read in
    `zone` (the first of two equal wall times in the autumn change, as PEP 495 says)."""
    if fmt == ISO:
        read = datetime.fromisoformat
        expected = "an ISO 8601 time such as 2021-03-28T13:05:07"
    else:
        read = _compile(fmt, zone)
        expected = f"a time like {EXAMPLE.strftime(fmt)!r} ({fmt})"

    def parse(text: str) -> datetime:
        try:
            value = read(text)
        except (ValueError, TypeError, KeyError):
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise ValueError(f"{shown!r} is not {expected}") from None
        if value.tzinfo is None:
            return value.replace(tzinfo=zone)
        return value

    return parse


def _compile(fmt: str, zone) -> Callable[[str], datetime]:
    """strptime's meaning of `fmt`, read with one regular expression (several times faster,
    and independent of the locale); datetime.strptime itself for directives not listed."""
    pattern, index, order = [], 0, []
    while index < len(fmt):
        char = fmt[index]
        if char == "%" and index + 1 < len(fmt):
            directive = fmt[index + 1]
            index += 2
            if directive == "%":
                pattern.append("%")
            elif directive in _DIRECTIVES and directive not in order:
                pattern.append(_DIRECTIVES[directive])
                order.append(directive)
            else:
                return _strptime(fmt)
        else:
            pattern.append(r"\s+" if char == " " else re.escape(char))
            index += 1
    match = re.compile("".join(pattern) + r"\Z").match
    at = {directive: position for position, directive in enumerate(order)}
    iY, iy, im, ib, iday, iH, iI, ip, iM, iS, ifr, iz = (at.get(d, -1) for d in "YymbdHIpMSfz")
    months = {name: number for number, name in enumerate(_MONTHS, start=1)}
    naive_zone = None if iz >= 0 else zone

    def read(text: str) -> datetime:
        found = match(text) or match(text.strip())
        if found is None:
            raise ValueError(text)
        g = found.groups()
        year = int(g[iY]) if iY >= 0 else 2000 + int(g[iy])
        month = int(g[im]) if im >= 0 else months[g[ib].lower()]
        if iI >= 0:
            hour = int(g[iI])
            if not 1 <= hour <= 12:
                raise ValueError(text)
            hour = hour % 12 + (12 if ip >= 0 and g[ip] in _PM else 0)
        else:
            hour = int(g[iH]) if iH >= 0 else 0
        moment = datetime(
            year,
            month,
            int(g[iday]),
            hour,
            int(g[iM]) if iM >= 0 else 0,
            int(g[iS]) if iS >= 0 else 0,
            int(g[ifr].ljust(6, "0")) if ifr >= 0 else 0,
            naive_zone,
        )
        if iz >= 0:
            return moment.replace(tzinfo=_fixed_zone(g[iz]))
        return moment

    return read


_PM = frozenset(("PM", "pm", "Pm", "pM"))


@functools.cache
def _fixed_zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return timezone(-offset if text[0] == "-" else offset)


def _strptime(fmt: str) -> Callable[[str], datetime]:
    parse = datetime.strptime
    return lambda text: parse(text.strip(), fmt)
