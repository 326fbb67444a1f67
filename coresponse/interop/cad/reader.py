"""Reading a CAD export through a mapping: every row checked, every problem with its place.

`check(path, mapping)` reads the whole file and returns the rows it could read, ready to write,
with every problem found as a bundle `Problem` (FILE:LINE:COLUMN: reason): LINE is the physical
line (a quoted value spanning lines moves the next row's number on), COLUMN is the export's own
column header. Columns the mapping does not name are ignored: exports carry many. A large file
is checked in two processes at once, with the same result as one pass (see "two passes" below).
"""

from __future__ import annotations

import csv
import heapq
import io
import marshal
import math
import multiprocessing
import os
import pickle
import re
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import itemgetter
from pathlib import Path

from coresponse.dispatch.models import CallSource
from coresponse.interop.bundle.schema import Phone, Problem, shown

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
    split = _split_point(text) if len(text) >= TWO_PASS_MIN_CHARS and _two_cores() else None
    if split is not None:
        halves = _check_halves(name, text, split, mapping, advance)
        if halves is not None:
            return halves
        # The first half did not end where a record ends (a quote in an unquoted cell moved
        # the count), or the file is not valid CSV: one pass then, for the same report.
    return _check_text(name, text, mapping, advance)


def _reader(text: str, mapping: Mapping):
    # strict: a quote left open or text after a closing quote is an error, not a silently
    # different row.
    return csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter, strict=True)


def _head(name: str, records, mapping: Mapping, out: Checked) -> tuple[int, _Plan | None]:
    """The header's width and the plan it gives, or (0, None) when the file cannot be read."""
    header_line, header = next(records, (0, None))
    if header is None:
        if not out.problems:
            out.problems.append(Problem(name, 1, "", "is empty: there is no header"))
        out.fatal = True
        return 0, None
    plan = _plan(name, header_line, header, mapping, out)
    return len(header), None if out.fatal else plan


def _check_text(name: str, text: str, mapping: Mapping, advance) -> Checked:
    """Every row in this process, in one pass."""
    out = Checked(name, mapping, [])
    records = _records(_reader(text, mapping), name, out)
    width, plan = _head(name, records, mapping, out)
    if plan is None:
        return out
    part = _convert(name, records, width, plan, mapping, out.problems, advance)
    _settle(name, plan, mapping, out, part, {})
    _sort(plan, out)
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


# --- two passes at once --------------------------------------------------------------------------
#
# A large file is checked in two processes: this one reads the header and the first half, a
# forked child the second half, from a line end near the middle where the count of quotes so
# far is even (so, in valid CSV, no quoted value is open there). Whether a record really ends
# there is proved afterwards: this process's reader reaches the end of its half without an open
# quote. Otherwise, or when either half is not valid CSV, the file is checked again in one pass,
# so the report is always the one-pass report. The child sends its rows back with marshal (a
# time as its wall-clock numbers and its zone), several times cheaper than pickling datetimes;
# line numbers are counted from its half's start and moved on by this half's lines.

TWO_PASS_MIN_CHARS = 8_000_000  # about 25,000 rows of a wide export: below, a fork costs more
SPLIT_TRIES = 1_000  # line ends tried after the middle for an even count of quotes
FIRST_SHARE = 0.56  # of the text, here: the child also checks columns and packs its rows


def _two_cores() -> bool:
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def _split_point(text: str) -> int | None:
    """A line start near the middle with an even number of quotes before it, or None."""
    end = text.find("\n", int(len(text) * FIRST_SHARE)) + 1
    if not end:
        return None
    quotes = text.count('"', 0, end)
    for _ in range(SPLIT_TRIES):
        if quotes % 2 == 0:
            return end if end < len(text) else None
        following = text.find("\n", end) + 1
        if not following:
            return None
        quotes += text.count('"', end, following)
        end = following
    return None


@dataclass
class _Part:
    """What one pass over some records found (lines from the start of its text)."""

    rows: list[list]
    lines: list[int]
    bad_ids: list[tuple[int, str]]  # (line, id) of the bad rows whose id could be read
    bad_rows: int
    records: int


def _check_halves(name: str, text: str, split: int, mapping: Mapping, advance) -> Checked | None:
    out = Checked(name, mapping, [])
    reader = _reader(text[:split], mapping)
    records = _records(reader, name, out)
    width, plan = _head(name, records, mapping, out)
    if plan is None:
        return out if out.fatal and width else None  # a bad header: as one pass reports it
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_second_half, args=(name, text, split, width, plan, mapping, send), daemon=True
    )
    child.start()
    send.close()
    payload = None
    try:
        first = _convert(name, records, width, plan, mapping, out.problems, advance)
        if out.fatal:  # not valid CSV, or the half ends inside a quoted value
            return None
        seen: dict[str, int] = {}
        _settle(name, plan, mapping, out, first, seen)  # while the child works on
        try:
            payload = receive.recv_bytes()
        except EOFError:
            return None  # the child died (out of memory?): one pass then
    finally:
        receive.close()
        if payload is None and child.is_alive():
            child.terminate()
        child.join()
    second, problems, fatal, failed = _unpack(payload, plan)
    if fatal:
        return None
    offset = reader.line_num
    second.lines = [line + offset for line in second.lines]
    second.bad_ids = [(line + offset, external_id) for line, external_id in second.bad_ids]
    out.problems.extend(replace(p, line=p.line + offset) for p in problems)
    failed = {
        index: [replace(p, line=p.line + offset) for p in found] for index, found in failed.items()
    }
    advance(second.records)
    _settle(name, plan, mapping, out, second, seen, failed)
    _sort(plan, out)
    return out


def _second_half(name, text, split, width, plan, mapping, send) -> None:
    """In the child: check text[split:] and send what was found."""
    out = Checked(name, mapping, [])
    records = _records(_reader(text[split:], mapping), name, out)
    part = _convert(name, records, width, plan, mapping, out.problems, lambda n: None)
    failed = _column_failures(name, plan, part)
    _finish(plan, mapping, part.rows)
    send.send_bytes(_pack(part, out.problems, out.fatal, plan, failed))
    send.close()


def _pack(part: _Part, problems: list[Problem], fatal: bool, plan: _Plan, failed) -> bytes:
    at = plan.time_at
    zones: dict[tuple, int] = {}
    codes = array("H")
    for values in part.rows:
        moment = values[at]
        key = (moment.tzinfo, moment.fold)
        code = zones.get(key)
        if code is None:
            code = zones[key] = len(zones)
        codes.append(code)
        # The wall time as numbers: exact (a time in the spring gap stays as read) and cheap
        # both ways, unlike text or a timestamp.
        values[at] = (
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
        )
    head = pickle.dumps((list(zones), problems, fatal, part.bad_rows, part.records, failed))
    body = marshal.dumps((part.rows, part.lines, part.bad_ids, codes.tobytes()))
    return len(head).to_bytes(8, "little") + head + body


def _unpack(payload: bytes, plan: _Plan) -> tuple[_Part, list[Problem], bool, dict]:
    size = int.from_bytes(payload[:8], "little")
    zones, problems, fatal, bad_rows, records, failed = pickle.loads(payload[8 : 8 + size])
    rows, lines, bad_ids, raw_codes = marshal.loads(payload[8 + size :])
    codes = array("H")
    codes.frombytes(raw_codes)
    at = plan.time_at
    for values, code in zip(rows, codes, strict=True):
        zone, fold = zones[code]
        values[at] = datetime(*values[at], tzinfo=zone, fold=fold)
    return _Part(rows, lines, bad_ids, bad_rows, records), problems, fatal, failed


@dataclass
class _Plan:
    # (field, cell index, column header, careful convert, fast convert), in FIELDS order
    cells: list[tuple[str, int, str, Callable, Callable]]
    point: int | None  # position of the (lat, lon) value in a row, when read from one cell
    pair: tuple[int, int] | None  # positions of latitude and longitude read from two cells
    add_source: bool  # no source column: every row gets the mapping's default_source
    order: dict[str, int]  # column header -> position in the file, to sort problems
    time_at: int = 1  # position of received_at in a row as converted


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
    return _Plan(cells, point, pair, "source" not in names, position, names.index("received_at"))


def _convert(name, records, width, plan: _Plan, mapping: Mapping, problems, advance) -> _Part:
    """Every record through the fast converters; a row where one refuses a cell goes through
    the careful ones, which say what is wrong (a blank coordinate is the usual, harmless,
    case). What the fast converters let through unchecked (lengths, ranges) is checked per
    column afterwards (_column_failures), repeated ids over the whole file (_dedupe)."""
    fast = [(index, convert) for _, index, _, _, convert in plan.cells]
    rows, lines, bad_ids = [], [], []
    bad_rows = count = 0
    for line, cells in records:
        count += 1
        if count % PROGRESS_STEP == 0:
            advance(PROGRESS_STEP)
        if len(cells) != width:
            problems.append(
                Problem(name, line, "", f"has {len(cells)} values; the header has {width} columns")
            )
            bad_rows += 1
            continue
        try:
            values = [convert(cells[index]) for index, convert in fast]
        except ValueError:
            values, bad = _careful(name, line, cells, plan, mapping, problems)
            if bad:
                bad_rows += 1
                if values[0] is not _Unread:
                    bad_ids.append((line, values[0]))
                continue
        rows.append(values)
        lines.append(line)
    advance(count % PROGRESS_STEP)
    return _Part(rows, lines, bad_ids, bad_rows, count)


def _settle(name, plan: _Plan, mapping: Mapping, out: Checked, part: _Part, seen, failed=None):
    """A part's rows (the parts in file order) into `out`: repeats of ids `seen` on earlier
    lines are bad, then rows that fail a per-column check (a repeat is reported as a repeat
    only), and the rest take their final shape. Settling part by part gives what settling the
    whole file at once gives: only repeats look back, and `seen` keeps that.

    `failed`: the part's per-column failures, worked out where it was read (the check's
    child), its rows then already in their final shape."""
    out.bad_rows += part.bad_rows
    repeated = _dedupe(name, mapping, out, part, seen)
    if failed is None:
        failed = _column_failures(name, plan, part)
        _finish(plan, mapping, part.rows)
    for index in sorted(failed.keys() - repeated):
        out.problems.extend(failed[index])
    if repeated or failed:
        _drop(out, part, repeated | failed.keys())
    out.rows.extend(part.rows)
    out.lines.extend(part.lines)
    out.call_types.update(map(itemgetter(out.fields.index("call_type")), part.rows))


def _sort(plan: _Plan, out: Checked) -> None:
    order = plan.order
    out.problems.sort(key=lambda p: (p.line, order.get(p.column, -1)))


def _dedupe(name, mapping: Mapping, out: Checked, part: _Part, seen: dict[str, int]) -> set[int]:
    """A call id seen on an earlier line (good row or bad) makes the row bad: the indices of
    the part's rows that repeat one, each reported."""
    ids = [values[0] for values in part.rows]
    if not part.bad_ids and seen.keys().isdisjoint(ids):
        first = dict(zip(ids, part.lines, strict=True))
        if len(first) == len(ids):  # the usual case, found in C
            seen.update(first)
            return set()
    id_column = mapping.columns["id"]
    tag_length = len(mapping.tag) + 1
    remember = seen.setdefault
    repeated = []
    good = zip(part.lines, ids, range(len(ids)), strict=True)
    bad = ((line, external_id, -1) for line, external_id in part.bad_ids)
    for line, external_id, index in heapq.merge(good, bad) if part.bad_ids else good:
        first = remember(external_id, line)
        if first != line:
            out.problems.append(
                Problem(
                    name,
                    line,
                    id_column,
                    f"repeats call {external_id[tag_length:]!r} (first on line {first})",
                )
            )
            if index >= 0:
                repeated.append(index)
    return set(repeated)


def _drop(out: Checked, part: _Part, indices) -> None:
    part.rows[:] = [row for index, row in enumerate(part.rows) if index not in indices]
    part.lines[:] = [line for index, line in enumerate(part.lines) if index not in indices]
    out.bad_rows += len(indices)


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


def _column_failures(name, plan: _Plan, part: _Part) -> dict[int, list[Problem]]:
    """The per-column checks of what the fast converters let through: row index -> problems."""
    failed: dict[int, list[Problem]] = {}
    for position, (field_name, _, column, _, _) in enumerate(plan.cells):
        limit = LENGTHS.get(field_name) if field_name in _STRIPPED else None
        if not limit and field_name not in ("latitude", "longitude"):
            continue
        values = [row[position] for row in part.rows]
        if limit and values and max(map(len, values)) > limit:
            for index, value in enumerate(values):
                if len(value) > limit:
                    reason = f"is {len(value)} characters long; at most {limit} fit"
                    failed.setdefault(index, []).append(
                        Problem(name, part.lines[index], column, reason)
                    )
        if field_name in ("latitude", "longitude"):
            bound = 90 if field_name == "latitude" else 180
            given = [value for value in values if value is not None]
            if not given or (
                -bound <= min(given) and max(given) <= bound and math.isfinite(sum(given))
            ):
                continue  # all in range (the sum is not finite when one is nan)
            for index, value in enumerate(values):
                if value is not None and not -bound <= value <= bound:
                    reason = f"is {value:g}; {field_name} must be from {-bound} to {bound}"
                    failed.setdefault(index, []).append(
                        Problem(name, part.lines[index], column, reason)
                    )
    return failed


def _finish(plan: _Plan, mapping: Mapping, rows: list[list]) -> None:
    """Rows into their final shape (see `Checked.fields`)."""
    point, pair, source = plan.point, plan.pair, mapping.default_source
    for values in rows:
        if point is not None:
            values.extend(values.pop(point) or (None, None))
        elif pair is not None and values[pair[0]] == 0 and values[pair[1]] == 0:
            values[pair[0]] = values[pair[1]] = None  # exports write 0, 0 for "no location"
        if plan.add_source:
            values.append(source)


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
        return float  # a blank raises: the careful path makes it None; ranges: _column_failures
    if name in _STRIPPED:
        return str.strip  # lengths: _column_failures
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
    return _PHONE.parse(raw.strip())  # the bundle's phone type: intake's rule and message


_PHONE = Phone()


def _narrative(raw: str):
    text = raw.strip()
    return text.replace("\r\n", "\n") if "\r" in text else text


def _text(limit: int | None):
    if limit is None:  # the narrative: any length; a quoted line break is stored as \n
        return _narrative

    def convert(raw: str):
        text = raw.strip()
        if len(text) > limit:
            raise ValueError(f"is {len(text)} characters long; at most {limit} fit")
        return text

    return convert
