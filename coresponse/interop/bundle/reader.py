"""Reading a bundle: where its tables come from, and every check made before anything is written."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from .links import NAME as LINKS_FILE
from .links import ParsedLinks, check_links
from .schema import FILES, SPECS, BundleError, Column, FileSpec, Problem, Ref, RefList

INVALID = object()  # stands in for a cell that did not parse, so later checks skip it
LOOKUP_BATCH = 500  # external ids per database query when resolving references
PROGRESS_STEP = 10_000


@dataclass
class Table:
    """A file's raw cells. `header` is None for a file without one (empty): nothing to import."""

    header: list[str] | None
    header_line: int = 1
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (physical line, cells)
    problems: list[Problem] = field(default_factory=list)


class DirectorySource:
    """A bundle on disk: a folder of UTF-8 CSV files (a byte-order mark and CRLF are fine)."""

    def __init__(self, path):
        self.path = Path(path)

    def __str__(self) -> str:
        return str(self.path)

    def names(self) -> list[str]:
        return sorted(
            p.name for p in self.path.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
        )

    def read(self, name: str) -> Table:
        return parse_csv(name, (self.path / name).read_bytes())


class MemorySource:
    """A bundle in memory: {"calls.csv": [{"call_id": "C1", ...}, ...], ...}.

    Values are strings exactly as they would appear in the CSV (None counts as blank); a
    record's line number is its index + 2, as if the header were line 1.
    """

    def __init__(self, mapping: Mapping[str, list[Mapping[str, str]]]):
        self.mapping = mapping

    def __str__(self) -> str:
        return "memory"

    def names(self) -> list[str]:
        return list(self.mapping)

    def read(self, name: str) -> Table:
        records = self.mapping[name]
        if not records:
            return Table(None)
        header = list(dict.fromkeys(key for record in records for key in record))
        rows = [
            (index, [cell_text(record.get(key)) for key in header])
            for index, record in enumerate(records, start=2)
        ]
        return Table(header, 1, rows)


def cell_text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def parse_csv(name: str, data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return Table(None, problems=[Problem(name, line, "", f"is not UTF-8 ({error.reason})")])
    reader = csv.reader(io.StringIO(text, newline=""))
    table = Table(None)
    start = 1
    try:
        for cells in reader:
            if cells and "".join(cells).strip():  # completely empty lines are skipped
                if table.header is None:
                    table.header, table.header_line = cells, start
                else:
                    table.rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        table.problems.append(Problem(name, reader.line_num, "", f"is not valid CSV ({error})"))
    return table


@dataclass
class ParsedFile:
    spec: FileSpec
    columns: list[Column]  # the file's known columns, in declaration order
    rows: list[list]  # parsed values, aligned with `columns`
    lines: list[int]
    ids: set[str]


@dataclass
class Bundle:
    """A checked bundle, ready to load: parsed files in load order, the external ids of
    referenced records that exist only in the database with their primary keys, and the names
    of other files found beside the bundle's (ignored; the command mentions them)."""

    source: str
    files: dict[str, ParsedFile]
    existing: dict[str, dict[str, int]]
    ignored: list[str] = field(default_factory=list)  # other files (not bundle files)
    links: ParsedLinks | None = None  # identity_links.csv (links.py)

    @property
    def total_rows(self) -> int:
        return sum(len(f.rows) for f in self.files.values())


def check(source, advance: Callable[[int], object] = lambda n: None) -> Bundle:
    """Read and check every file of `source`; raise BundleError listing every problem."""
    problems: list[Problem] = []
    positions: dict[str, dict[str, int]] = {}
    names = source.names()
    parsed: dict[str, ParsedFile] = {}
    for spec in FILES:
        if spec.name not in names:
            continue
        table = source.read(spec.name)
        problems.extend(table.problems)
        if table.header is not None:
            parsed[spec.name] = _parse(spec, table, problems, positions, advance)
    existing = _resolve_references(parsed, problems)
    persons = parsed.get("persons.csv")
    links = check_links(source, persons.ids if persons else set(), problems)
    if problems:
        ranks = {spec.name: rank for rank, spec in enumerate(FILES)}
        problems.sort(
            key=lambda p: (
                ranks.get(p.file, -1),
                p.file,
                p.line,
                positions.get(p.file, {}).get(p.column, -1),
            )
        )
        raise BundleError(problems)
    ignored = [name for name in names if name not in SPECS and name != LINKS_FILE]
    return Bundle(str(source), parsed, existing, ignored, links)


def _parse(spec: FileSpec, table: Table, problems, positions, advance) -> ParsedFile:
    file = spec.name
    header = [name.strip() for name in table.header]
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in position:
            problems.append(Problem(file, table.header_line, name, "appears twice in the header"))
        elif name not in spec.by_name:
            reason = "unknown column" if name else "the header has an empty column name"
            reason += f" (expected: {', '.join(spec.by_name)})"
            problems.append(Problem(file, table.header_line, name, reason))
        position.setdefault(name, index)
    for column in spec.columns:
        if column.name not in position and not column.optional:
            problems.append(
                Problem(file, table.header_line, column.name, "column is missing from the header")
            )
    positions[file] = position

    columns = [c for c in spec.columns if c.name in position]
    index_of = {c.name: i for i, c in enumerate(columns)}
    plan = [(c.name, position[c.name], c.parser()) for c in columns]
    # A check on an optional column the file leaves out sees that column's default (what a new
    # row gets); a check on a missing required column is moot (the header is already wrong).
    checks = [
        (check, *(_cell_of(spec, name, index_of) for name in check.columns))
        for check in spec.checks
        if all(name in index_of or spec.by_name[name].optional for name in check.columns)
    ]
    id_position = position.get(spec.id.name)
    has_id = spec.id.name in index_of
    width = len(header)
    rows, lines, first_line = [], [], {}
    for count, (line, cells) in enumerate(table.rows, start=1):
        if count % PROGRESS_STEP == 0:
            advance(PROGRESS_STEP)
        if len(cells) != width:
            problems.append(
                Problem(file, line, "", f"has {len(cells)} values; the header has {width} columns")
            )
            if id_position is not None and id_position < len(cells):
                first_line.setdefault(cells[id_position].strip(), line)
            continue
        try:
            values = [parse(cells[index]) for _, index, parse in plan]
        except ValueError:  # at least one bad cell: parse again, one cell at a time
            values = []
            for name, index, parse in plan:
                try:
                    values.append(parse(cells[index]))
                except ValueError as error:
                    values.append(INVALID)
                    problems.append(Problem(file, line, name, str(error)))
        if has_id and values[0] is not INVALID:
            first = first_line.setdefault(values[0], line)
            if first != line:
                problems.append(
                    Problem(
                        file,
                        line,
                        spec.id.name,
                        f"repeats {spec.noun} {values[0]!r} (first on line {first})",
                    )
                )
        for rule, a, b in checks:
            value, other = a(values), b(values)
            if value is not INVALID and other is not INVALID:
                reason = rule(value, other)
                if reason:
                    problems.append(Problem(file, line, rule.column, reason))
        rows.append(values)
        lines.append(line)
    advance(len(table.rows) % PROGRESS_STEP)
    return ParsedFile(spec, columns, rows, lines, set(first_line))


def _cell_of(spec: FileSpec, name: str, index_of: dict[str, int]):
    """A function of a parsed row giving the column's value, or its default when absent."""
    if name in index_of:
        return itemgetter(index_of[name])
    default = spec.by_name[name].blank()
    return lambda values: default


def _resolve_references(parsed: dict[str, ParsedFile], problems) -> dict[str, dict[str, int]]:
    """References must name a row of the bundle or a record already in the database."""
    unresolved: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
    for pf in parsed.values():
        for index, column in enumerate(pf.columns):
            if not isinstance(column.type, Ref):
                continue
            target = column.type.target
            known = parsed[target].ids if target in parsed else set()
            many = isinstance(column.type, RefList)
            for values, line in zip(pf.rows, pf.lines, strict=True):
                value = values[index]
                if value is INVALID or value is None:
                    continue
                for external_id in value if many else (value,):
                    if external_id not in known:
                        unresolved[target].append((pf.spec.name, line, column.name, external_id))
    existing: dict[str, dict[str, int]] = {}
    for target, references in unresolved.items():
        spec = SPECS[target]
        wanted = sorted({ref[3] for ref in references})
        found = existing[target] = {}
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            found.update(
                spec.model.objects.filter(external_id__in=batch).values_list("external_id", "pk")
            )
        for file, line, column, external_id in references:
            if external_id not in found:
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        f"refers to unknown {spec.noun} {external_id!r}"
                        f" (not in {target} or the database)",
                    )
                )
    return existing
