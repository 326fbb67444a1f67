"""Reading a CAD export through a mapping: every row checked, every problem with its place.

`check(path, mapping)` reads the whole file and returns the rows it could read, ready to write,
with every problem found as a bundle `Problem` (FILE:LINE:COLUMN: reason): LINE is the physical
line (a quoted value spanning lines moves the next row's number on), COLUMN is the export's own
column header. Columns the mapping does not name are ignored: exports carry many.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from coresponse.dispatch.models import CallSource
from coresponse.dispatch.services.intake import normalize_phone, phone_problem
from coresponse.interop.bundle.schema import Problem, shown

from .mapping import FIELDS, Mapping

PROGRESS_STEP = 10_000
ID_LENGTH = 64  # Call.external_id
LENGTHS = {"call_type": 120, "address": 300, "district": 60, "caller_name": 200}

# "POINT (-122.33 47.61)" (WKT, longitude first) or "(47.61, -122.33)" (latitude first), also
# at the end of a multi-line location cell such as "100 MAIN ST\nDALLAS, TX\n(32.78, -96.80)".
_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_POINT = re.compile(rf"POINT\s*\(\s*{_NUMBER}\s+{_NUMBER}\s*\)", re.IGNORECASE)
_PAIR = re.compile(rf"\(\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\)")


@dataclass
class Checked:
    """The rows of one export that can be written, and what was wrong with the others."""

    path: str
    mapping: Mapping
    fields: list[str]  # Call field of each value in a row, in order (external_id first)
    rows: list[list] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False  # the file itself could not be read (header, encoding, CSV syntax)
    bad_rows: int = 0  # rows with at least one problem (left out of `rows`)
    call_types: Counter = field(default_factory=Counter)  # call type (as stored) -> calls

    @property
    def read_rows(self) -> int:
        return len(self.rows) + self.bad_rows


def check(path, mapping: Mapping, advance: Callable[[int], object] = lambda n: None) -> Checked:
    """Read and check every row of the export at `path`; never raises for bad data."""
    path = Path(path)
    name = str(path)
    out = Checked(name, mapping, [])
    try:
        data = path.read_bytes()
    except OSError as error:
        out.problems.append(Problem(name, 0, "", f"cannot be read ({error.strerror})"))
        out.fatal = True
        return out
    encoding = mapping.encoding
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is dropped
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        out.problems.append(
            Problem(name, line, "", f"is not {mapping.encoding} ({error.reason}); set encoding")
        )
        out.fatal = True
        return out
    del data
    text = text.removeprefix("\ufeff")
    # strict: a quote left open or text after a closing quote is an error, not a silently
    # different row.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter, strict=True)
    records = _records(reader, name, out)
    header_line, header = next(records, (0, None))
    if header is None:
        if not out.problems:
            out.problems.append(Problem(name, 1, "", "is empty: there is no header"))
        out.fatal = True
        return out
    plan = _plan(name, header_line, header, mapping, out)
    if out.fatal:
        return out
    _rows(name, records, len(header), plan, mapping, out, advance)
    return out


def _records(reader, name: str, out: Checked):
    """(first physical line, cells) of every non-empty record."""
    start = 1
    try:
        for cells in reader:
            # Empty lines (nothing but separators and spaces) are skipped; most rows show it
            # in their first cell already.
            if cells and (cells[0].strip() or "".join(cells).strip()):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:  # at the record that starts on line `start`
        out.problems.append(Problem(name, start, "", f"is not valid CSV ({error})"))
        out.fatal = True


@dataclass
class _Plan:
    # (field, cell index, column header, careful convert, fast convert), in FIELDS order
    cells: list[tuple[str, int, str, Callable, Callable]]
    point: int | None  # position of the (lat, lon) value in a row, when read from one cell
    pair: tuple[int, int] | None  # positions of latitude and longitude read from two cells
    add_source: bool  # no source column: every row gets the mapping's default_source
    order: dict[str, int]  # column header -> position in the file, to sort problems


def _plan(name, header_line, header, mapping: Mapping, out: Checked) -> _Plan:
    header = [cell.strip() for cell in header]
    position: dict[str, int] = {}
    for index, column in enumerate(header):
        position.setdefault(column, index)
    repeated = {column for column in header if column and header.count(column) > 1}
    for field_name, column in mapping.columns.items():
        if column not in position:
            out.problems.append(
                Problem(
                    name,
                    header_line,
                    column,
                    f"column is missing from the header (the mapping reads {field_name} from it)",
                )
            )
        elif column in repeated:
            out.problems.append(
                Problem(name, header_line, column, "appears twice in the header: which one?")
            )
    if out.problems:
        out.fatal = True
        return _Plan([], None, None, False, position)

    cells = []
    for field_name in FIELDS:
        if field_name in mapping.columns:
            column = mapping.columns[field_name]
            careful = _converter(field_name, mapping)
            cells.append(
                (field_name, position[column], column, careful, _fast(field_name, careful))
            )
    # A row's values: the cells' (id as external_id), then latitude and longitude when they
    # come from one cell, then the default source when no column holds it.
    names = ["external_id" if f == "id" else f for f, *_ in cells]
    point = names.index("point") if "point" in names else None
    pair = (names.index("latitude"), names.index("longitude")) if "latitude" in names else None
    out.fields = [n for n in names if n != "point"]
    if point is not None:
        out.fields += ["latitude", "longitude"]
    if "source" not in names:
        out.fields.append("source")
    return _Plan(cells, point, pair, "source" not in names, position)


def _rows(name, records, width, plan: _Plan, mapping: Mapping, out: Checked, advance) -> None:
    """Every row through the fast converters; a row where one refuses a cell goes through the
    careful ones, which say what is wrong (a blank coordinate is the usual, harmless, case).
    What the fast converters let through unchecked (lengths, ranges) is checked per column
    afterwards."""
    fast = [(index, convert) for _, index, _, _, convert in plan.cells]
    first_line: dict[str, int] = {}
    rows, lines, problems = out.rows, out.lines, out.problems
    id_column = mapping.columns["id"]
    tag_length = len(mapping.tag) + 1
    count = 0
    for line, cells in records:
        count += 1
        if count % PROGRESS_STEP == 0:
            advance(PROGRESS_STEP)
        if len(cells) != width:
            problems.append(
                Problem(name, line, "", f"has {len(cells)} values; the header has {width} columns")
            )
            out.bad_rows += 1
            continue
        try:
            values = [convert(cells[index]) for index, convert in fast]
            bad = False
        except ValueError:
            values, bad = _careful(name, line, cells, plan, mapping, problems)
        external_id = values[0]
        if external_id is not _Unread:
            first = first_line.setdefault(external_id, line)
            if first != line:
                problems.append(
                    Problem(
                        name,
                        line,
                        id_column,
                        f"repeats call {external_id[tag_length:]!r} (first on line {first})",
                    )
                )
                bad = True
        if bad:
            out.bad_rows += 1
            continue
        rows.append(values)
        lines.append(line)
    advance(count % PROGRESS_STEP)
    _columns(name, plan, out)
    _finish(plan, mapping, out)
    order = plan.order
    problems.sort(key=lambda p: (p.line, order.get(p.column, -1)))


def _careful(name, line, cells, plan: _Plan, mapping: Mapping, problems) -> tuple[list, bool]:
    values, failed = [], set()
    for field_name, index, column, convert, _ in plan.cells:
        try:
            values.append(convert(cells[index]))
        except ValueError as error:
            values.append(_Unread if field_name == "id" else None)
            problems.append(Problem(name, line, column, str(error)))
            failed.add(field_name)
    if plan.pair is not None and not failed & {"latitude", "longitude"}:
        latitude, longitude = values[plan.pair[0]], values[plan.pair[1]]
        if (latitude is None) != (longitude is None):
            blank, given = ("latitude", "longitude")
            if longitude is None:
                blank, given = given, blank
            problems.append(
                Problem(name, line, mapping.columns[blank], f"is blank but {given} is not")
            )
            failed.add(blank)
    return values, bool(failed)


def _columns(name, plan: _Plan, out: Checked) -> None:
    """The per-column checks of what the fast converters let through; failing rows are bad."""
    failed: dict[int, list[Problem]] = {}
    for position, (field_name, _, column, _, _) in enumerate(plan.cells):
        limit = LENGTHS.get(field_name) if field_name in _STRIPPED else None
        values = [row[position] for row in out.rows]
        if limit and values and max(map(len, values)) > limit:
            for index, value in enumerate(values):
                if len(value) > limit:
                    reason = f"is {len(value)} characters long; at most {limit} fit"
                    failed.setdefault(index, []).append(
                        Problem(name, out.lines[index], column, reason)
                    )
        if field_name in ("latitude", "longitude"):
            bound = 90 if field_name == "latitude" else 180
            for index, value in enumerate(values):
                if value is not None and not -bound <= value <= bound:
                    reason = f"is {value:g}; {field_name} must be from {-bound} to {bound}"
                    failed.setdefault(index, []).append(
                        Problem(name, out.lines[index], column, reason)
                    )
    if failed:
        for index in sorted(failed):
            out.problems.extend(failed[index])
        out.rows[:] = [row for index, row in enumerate(out.rows) if index not in failed]
        out.lines[:] = [line for index, line in enumerate(out.lines) if index not in failed]
        out.bad_rows += len(failed)


def _finish(plan: _Plan, mapping: Mapping, out: Checked) -> None:
    """Rows into their final shape (see `out.fields`), and the call types counted."""
    point, pair, source = plan.point, plan.pair, mapping.default_source
    for values in out.rows:
        if point is not None:
            values.extend(values.pop(point) or (None, None))
        elif pair is not None and values[pair[0]] == 0 and values[pair[1]] == 0:
            values[pair[0]] = values[pair[1]] = None  # exports write 0, 0 for "no location"
        if plan.add_source:
            values.append(source)
    position = out.fields.index("call_type")
    out.call_types = Counter(map(itemgetter(position), out.rows))


_STRIPPED = ("address", "caller_name")  # fast path: str.strip, lengths checked per column


class _Memo(dict):
    """A converter's results by cell text, for columns whose values repeat (call types,
    priorities, sources, numbers): a hit is one dictionary lookup. Refusals are not kept."""

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, raw):
        value = self.convert(raw)
        if len(self) >= 100_000:
            self.clear()
        self[raw] = value
        return value


def _fast(name: str, careful: Callable) -> Callable:
    """The fast path's converter: the careful one memoised, or a cheaper one that refuses
    (ValueError) every cell it cannot take as it is, checked per column afterwards."""
    if name in ("call_type", "priority", "source", "point", "caller_phone", "district"):
        return _Memo(careful).__getitem__
    if name in ("latitude", "longitude"):
        return float  # a blank raises: the careful path makes it None; ranges: _columns
    if name in _STRIPPED:
        return str.strip  # lengths: _columns
    return careful


class _Unread:
    """An id that did not parse (so it cannot be a repeat of another)."""


# --- cells ---------------------------------------------------------------------------------------


def _converter(name: str, mapping: Mapping) -> Callable[[str], object]:
    if name == "id":
        prefix = f"{mapping.tag}-"
        limit = ID_LENGTH - len(prefix)

        def convert_id(raw: str):
            text = raw.strip()
            if not text:
                raise ValueError("is required: the call's id")
            if len(text) > limit:
                raise ValueError(
                    f"is {len(text)} characters long; with the tag at most {limit} fit"
                )
            return prefix + text

        return convert_id
    if name == "received_at":
        parse = mapping.time_parser()

        def convert_time(raw: str):
            if not raw.strip():
                raise ValueError("is required: when the call was received")
            return parse(raw)

        return convert_time
    if name == "call_type":
        labels = mapping.call_types
        limit = LENGTHS["call_type"]

        def convert_type(raw: str):
            text = raw.strip()
            if not text:
                raise ValueError("is required: the call type")
            text = labels.get(text, text)
            if len(text) > limit:
                raise ValueError(f"is {len(text)} characters long; at most {limit} fit")
            return text

        return convert_type
    if name == "priority":
        return _priority(mapping)
    if name == "source":
        return _source(mapping)
    if name in ("latitude", "longitude"):
        return _degrees(name, 90 if name == "latitude" else 180)
    if name == "point":
        return _point
    if name == "caller_phone":
        return _phone
    return _text(LENGTHS.get(name))


def _priority(mapping: Mapping):
    table = mapping.priorities
    if table:
        known = ", ".join(table)
        if len(known) > 80:
            known = known[:80] + "…"

        def convert_code(raw: str):
            text = raw.strip()
            if not text:
                return None
            value = table.get(text)
            if value is None:
                raise ValueError(f"{shown(text)} is not a priority code of the mapping ({known})")
            return value or None  # 0: the code means "no priority"

        return convert_code

    def convert_number(raw: str):
        text = raw.strip()
        if not text:
            return None
        if not (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())):
            raise ValueError(f"{shown(text)} is not a priority from 1 to 5")
        value = int(text)
        if not 1 <= value <= 5:
            raise ValueError(f"is {value}; a priority is from 1 to 5 (or map it in [priorities])")
        return value

    return convert_number


def _source(mapping: Mapping):
    table, default = mapping.sources, mapping.default_source
    folded = {key.strip().lower(): value for key, value in table.items()}
    known = ", ".join(table) or "none"
    if len(known) > 80:
        known = known[:80] + "…"

    def convert(raw: str):
        text = raw.strip()
        if not text:
            return default
        value = table.get(text) or folded.get(text.lower())
        if value is None:
            if not table and text in CallSource.values:
                return text
            raise ValueError(f"{shown(text)} is not a source value of the mapping ({known})")
        return value

    return convert


def _degrees(name: str, limit: int):
    def convert(raw: str):
        text = raw.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{shown(text)} is not a number") from None
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise ValueError(f"is {value:g}; {name} must be from {-limit} to {limit}")
        return value

    return convert


def _point(raw: str):
    text = raw.strip()
    if not text:
        return None
    found = _POINT.search(text)
    if found:
        longitude, latitude = float(found[1]), float(found[2])
    else:
        found = _PAIR.search(text)
        if not found:
            raise ValueError(f'{shown(text)} is not "POINT (longitude latitude)" or "(lat, lon)"')
        latitude, longitude = float(found[1]), float(found[2])
    if latitude == 0 and longitude == 0:
        return None  # exports write POINT (0 0) for "no location"
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"{shown(text)} is outside -90..90 latitude, -180..180 longitude")
    return (latitude, longitude)


def _phone(raw: str):
    text = raw.strip()
    if not text:
        return ""
    problem = phone_problem(text)
    if problem:
        raise ValueError(f"{shown(text)}: {problem}")
    return normalize_phone(text)


def _narrative(raw: str):
    text = raw.strip()
    return text.replace("\r\n", "\n") if "\r" in text else text


_PHONES: dict[str, str] = {}  # number as written -> digits: callers call again


def _text(limit: int | None):
    if limit is None:  # the narrative: any length; a quoted line break is stored as \n
        return _narrative

    def convert(raw: str):
        text = raw.strip()
        if len(text) > limit:
            raise ValueError(f"is {len(text)} characters long; at most {limit} fit")
        return text

    return convert
