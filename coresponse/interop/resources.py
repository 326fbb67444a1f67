"""The resource directory from a CSV file (`coresponse import-resources FILE.csv`).

Every row is checked before anything is written, in the exchange bundle's way (its cell types,
its CSV reading and its `Problem`: FILE:LINE:COLUMN: reason); one problem anywhere and nothing
is written. Rows are matched by `resource_id`, so importing the same file again updates the
entries in place. Format: docs/care.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from coresponse.agencies.models import Agency
from coresponse.care.hours import ALWAYS, parse_hours
from coresponse.care.models import Eligibility, Resource, ServiceType
from coresponse.interop.bundle.reader import parse_csv
from coresponse.interop.bundle.schema import (
    BOOLEAN,
    TEXT,
    Choice,
    ChoiceList,
    Column,
    Float,
    Ident,
    Integer,
    Problem,
    shown,
)

COLUMNS = (
    Column("resource_id", Ident(), "external_id", required=True),
    Column("name", TEXT, required=True),
    Column("service_type", Choice(ServiceType), required=True),
    Column("description", TEXT, optional=True),
    Column("eligibility", TEXT, optional=True),
    Column("eligibility_tags", ChoiceList(Eligibility), optional=True),
    Column("min_age", Integer(0, 120), optional=True),
    Column("max_age", Integer(0, 120), optional=True),
    Column("hours", TEXT, optional=True),
    Column("opening_hours", TEXT, optional=True),
    Column("capacity", Integer(0, 100_000), optional=True),
    Column("available_today", Integer(0, 100_000), optional=True),
    Column("address", TEXT, optional=True),
    Column("latitude", Float(-90, 90), optional=True),
    Column("longitude", Float(-180, 180), optional=True),
    Column("phone", TEXT, optional=True),
    Column("website", TEXT, optional=True),
    Column("languages", TEXT, optional=True),
    Column("provider_agency_id", Ident(), optional=True),
    Column("active", BOOLEAN, optional=True, default=True),
)
BY_NAME = {c.name: c for c in COLUMNS}
for _column in COLUMNS:  # the model's sizes, as the bundle does
    if isinstance(_column.type, type(TEXT)) and _column.field in {
        f.name for f in Resource._meta.get_fields()
    }:
        _field = Resource._meta.get_field(_column.field)
        _column.max_length = getattr(_field, "max_length", None)
BY_NAME["resource_id"].max_length = 64


@dataclass
class Checked:
    path: str
    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check(path) -> Checked:
    """Read and check every row of the file; never raises for bad data."""
    path = Path(path)
    name = str(path)
    out = Checked(name)
    try:
        data = path.read_bytes()
    except OSError as error:
        out.problems.append(Problem(name, 0, "", f"cannot be read ({error.strerror})"))
        return out
    table = parse_csv(name, data)
    out.problems.extend(table.problems)
    if table.header is None:
        if not table.problems:
            out.problems.append(Problem(name, 1, "", "has no header line"))
        return out
    header = [h.strip() for h in table.header]
    for index, title in enumerate(header):
        if title not in BY_NAME:
            out.problems.append(
                Problem(name, table.header_line, title, "is not a column of the directory")
            )
        elif header.index(title) != index:
            out.problems.append(Problem(name, table.header_line, title, "appears twice"))
    for column in COLUMNS:
        if column.name not in header and not column.optional:
            out.problems.append(
                Problem(name, table.header_line, column.name, "is missing from the header")
            )
    if out.problems:
        return out
    agencies = dict(Agency.objects.values_list("external_id", "pk"))
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        if len(cells) != len(header):
            out.problems.append(
                Problem(name, line, "", f"has {len(cells)} values; the header has {len(header)}")
            )
            continue
        record = dict(zip(header, cells, strict=True))
        key = record["resource_id"].strip()
        if key and key in seen:
            out.problems.append(
                Problem(name, line, "resource_id", f"{shown(key)} is also on line {seen[key]}")
            )
            continue
        seen.setdefault(key, line)
        row = _row(name, line, record, agencies, out.problems)
        if row is not None:
            out.rows.append(row)
    return out


def _row(name: str, line: int, cells: dict[str, str], agencies, problems) -> dict | None:
    values, bad = {}, False
    for title, raw in cells.items():
        column = BY_NAME[title]
        try:
            values[title] = column.parse(raw)
        except ValueError as error:
            problems.append(Problem(name, line, title, str(error)))
            bad = True
    if bad:
        return None

    def problem(column: str, reason: str) -> None:
        nonlocal bad
        problems.append(Problem(name, line, column, reason))
        bad = True

    row = {"external_id": values.pop("resource_id")}
    hours = values.pop("opening_hours", None)
    if hours:
        try:
            parsed = parse_hours(hours)
        except ValueError as error:
            problem("opening_hours", str(error))
        else:
            row["open_24_7"] = parsed == ALWAYS
            row["opening_hours"] = [] if parsed == ALWAYS else parsed
            if not values.get("hours"):
                values["hours"] = hours
    elif "opening_hours" in cells:
        row["open_24_7"], row["opening_hours"] = False, []
    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lon is None) and ("latitude" in cells or "longitude" in cells):
        problem("longitude" if lon is None else "latitude", "give both latitude and longitude")
    low, high = values.get("min_age"), values.get("max_age")
    if low is not None and high is not None and high < low:
        problem("max_age", f"is {high}, below min_age {low}")
    capacity, today = values.get("capacity"), values.get("available_today")
    if capacity is not None and today is not None and today > capacity:
        problem("available_today", f"is {today}, more than the capacity {capacity}")
    website = values.get("website") or ""
    if website and not website.startswith(("https://", "http://")):
        problem("website", f"{shown(website)} is not a web address (https://...)")
    if "provider_agency_id" in values:
        agency = values.pop("provider_agency_id")
        if agency and agency not in agencies:
            problem("provider_agency_id", f"{shown(agency)} is not an agency in Coresponse")
        else:
            row["provider_agency_id"] = agencies.get(agency) if agency else None
    if bad:
        return None
    for title, value in values.items():
        if title == "eligibility_tags":
            row[title] = list(value)
        else:
            row[title] = value
    return row
